"""Committed Cypress, transactions and locks: what every command reads and changes.

The committed tree lives in memory and on disk (``<root>/cypress.yson``, replaced atomically
after each committed change). A transaction is a log of mutations; its view is the parent's
current view with that log replayed on a copy, so a transaction sees its own writes, others
see none of them until commit, and an abort simply drops the log. Commit replays the log on
the parent (the committed tree, or the parent transaction's log).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ytflow.localyt.chunks import ChunkStore
from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import Chunk, Node, new_id
from ytflow.localyt.locks import Lock, LockRequest, check_mode, lock_conflict
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError, no_such_transaction

Mutation = Callable[[Tree], Any]
NULL_TRANSACTION = "0-0-0-0"
DEFAULT_TIMEOUT_MS = 15_000
INITIAL_NODES = ("tmp", "home", "sys")


@dataclass
class Transaction:
    """A live transaction: its mutations, locks and ping deadline."""

    id: str
    parent: Transaction | None
    timeout_ms: int
    attributes: dict[str, Any]
    log: list[Mutation] = field(default_factory=list[Mutation])
    locks: list[Lock] = field(default_factory=list[Lock])
    last_ping: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.time)
    deadline: float | None = None  # wall-clock time after which it is aborted, pinged or not

    def ancestors(self) -> Iterator[Transaction]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class State:
    """All of one endpoint's Cypress state, guarded by one lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunks = ChunkStore(root)
        self.lock = threading.RLock()
        self.transactions: dict[str, Transaction] = {}
        self._file = root / "cypress.yson"
        self.committed = self._load()
        self._version = 0
        self._views: dict[str, tuple[tuple[Any, ...], Tree]] = {}
        self.chunks.sweep(self._referenced_chunks(self.committed.root))
        for leftover in root.glob(f"{self._file.name}.*.tmp"):  # a save cut short by a crash
            leftover.unlink(missing_ok=True)

    # -- views ------------------------------------------------------------------------------

    def view(self, transaction_id: str | None) -> Tree:
        """The tree as ``transaction_id`` (or no transaction) sees it; read-only to callers."""
        with self.lock:
            self.expire()
            return self._view(self._transaction(transaction_id))

    def _view(self, transaction: Transaction | None) -> Tree:
        if transaction is None:
            return self.committed
        key = self._key(transaction)
        cached = self._views.get(transaction.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        tree = self._view(transaction.parent).clone()
        for mutation in transaction.log:
            mutation(tree)
        self._views[transaction.id] = (key, tree)
        return tree

    def _key(self, transaction: Transaction | None) -> tuple[Any, ...]:
        if transaction is None:
            return (self._version,)
        return (*self._key(transaction.parent), len(transaction.log))

    # -- mutations --------------------------------------------------------------------------

    def mutate(
        self,
        transaction_id: str | None,
        mutation: Mutation,
        *,
        locks: tuple[tuple[Any, ...] | LockRequest, ...] = (),
    ) -> Any:
        """Apply ``mutation`` inside the transaction (or commit it at once), taking ``locks``
        (``(path, mode)`` tuples or ``LockRequest``s)."""
        with self.lock:
            self.expire()
            transaction = self._transaction(transaction_id)
            requests = [LockRequest.of(spec) for spec in locks]
            for request in requests:
                self._check_lock(transaction, request)
            for request in requests:
                self._record_lock(transaction, request, explicit=False)
            tree = self._view(transaction).clone()
            result = mutation(tree)
            if transaction is None:
                self._commit_tree(tree)
            else:
                transaction.log.append(mutation)
                self._views[transaction.id] = (self._key(transaction), tree)
            return result

    def _commit_tree(self, tree: Tree) -> None:
        self._save(tree)
        self.committed = tree
        self._version += 1

    # -- transactions -----------------------------------------------------------------------

    def start(
        self,
        parent_id: str | None,
        timeout_ms: int | None,
        attributes: dict[str, Any],
        *,
        deadline: float | None = None,
    ) -> str:
        with self.lock:
            self.expire()
            parent = self._transaction(parent_id)
            transaction = Transaction(
                id=new_id(),
                parent=parent,
                timeout_ms=int(timeout_ms or DEFAULT_TIMEOUT_MS),
                attributes=attributes,
                deadline=deadline,
            )
            self.transactions[transaction.id] = transaction
            return transaction.id

    def ping(self, transaction_id: str) -> None:
        with self.lock:
            self.expire()
            transaction = self._required(transaction_id)
            for each in (transaction, *transaction.ancestors()):
                each.last_ping = time.monotonic()

    def commit(self, transaction_id: str) -> None:
        with self.lock:
            self.expire()
            transaction = self._required(transaction_id)
            self._abort_children(transaction)
            if transaction.parent is None:
                tree = self.committed.clone()
                for mutation in transaction.log:
                    mutation(tree)
                self._commit_tree(tree)
            else:
                transaction.parent.log.extend(transaction.log)
                parent_id = transaction.parent.id
                transaction.parent.locks.extend(
                    Lock(each.id, each.request, parent_id) for each in transaction.locks
                )
            self._forget(transaction)

    def abort(self, transaction_id: str) -> None:
        with self.lock:
            transaction = self._required(transaction_id)
            self._abort_children(transaction)
            self._forget(transaction)

    def expire(self) -> None:
        """Abort every transaction not pinged within its timeout (and its descendants)."""
        with self.lock:
            now = time.monotonic()
            for transaction in list(self.transactions.values()):
                alive = transaction.id in self.transactions
                past_deadline = (
                    transaction.deadline is not None and time.time() > transaction.deadline
                )
                if alive and (
                    now - transaction.last_ping > transaction.timeout_ms / 1000 or past_deadline
                ):
                    self._abort_children(transaction)
                    self._forget(transaction)

    def transaction_attributes(self, transaction_id: str) -> dict[str, Any]:
        with self.lock:
            transaction = self._required(transaction_id)
            return {
                "id": transaction.id,
                "type": "transaction",
                "timeout": transaction.timeout_ms,
                "parent_id": transaction.parent.id if transaction.parent else NULL_TRANSACTION,
                "start_time": time.strftime(
                    "%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(transaction.started)
                ),
                **transaction.attributes,
            }

    def _required(self, transaction_id: str | None) -> Transaction:
        """The live transaction a command names; the null id names none (YT's error too)."""
        transaction = self._transaction(transaction_id)
        if transaction is None:
            raise no_such_transaction(str(transaction_id or NULL_TRANSACTION))
        return transaction

    def _transaction(self, transaction_id: str | None) -> Transaction | None:
        if not transaction_id or transaction_id == NULL_TRANSACTION:
            return None
        transaction = self.transactions.get(str(transaction_id))
        if transaction is None:
            raise no_such_transaction(str(transaction_id))
        return transaction

    def _abort_children(self, transaction: Transaction) -> None:
        for child in [each for each in self.transactions.values() if each.parent is transaction]:
            self._abort_children(child)
            self._forget(child)

    def _forget(self, transaction: Transaction) -> None:
        self.transactions.pop(transaction.id, None)
        self._views.pop(transaction.id, None)

    # -- locks ------------------------------------------------------------------------------

    def _check_lock(self, transaction: Transaction | None, wanted: LockRequest) -> None:
        related = set[str]()
        if transaction is not None:
            related = {transaction.id, *(each.id for each in transaction.ancestors())}
        for other in self.transactions.values():
            if other.id in related or (
                transaction is not None and any(a is transaction for a in other.ancestors())
            ):
                continue
            for held in other.locks:
                if wanted.conflicts_with(held.request):
                    raise lock_conflict(wanted, held)

    def _record_lock(
        self, transaction: Transaction | None, wanted: LockRequest, *, explicit: bool
    ) -> str:
        if transaction is None:
            return NULL_TRANSACTION
        if not explicit and any(wanted.covered_by(held.request) for held in transaction.locks):
            return NULL_TRANSACTION
        lock = Lock(new_id(), wanted, transaction.id)
        transaction.locks.append(lock)
        return lock.id

    def lock_node(self, transaction_id: str | None, wanted: LockRequest) -> str:
        """An explicit ``lock`` command; the lock lives as long as the transaction."""
        check_mode(wanted.mode)
        with self.lock:
            self.expire()
            transaction = self._transaction(transaction_id)
            if transaction is None:
                raise YtLocalError(
                    f"Cannot take a lock for node {wanted.path} outside of a transaction",
                    attributes={"path": wanted.path},
                )
            self._check_lock(transaction, wanted)
            return self._record_lock(transaction, wanted, explicit=True)

    def unlock_node(self, transaction_id: str | None, path: str) -> None:
        """Drop the transaction's explicit locks on ``path`` (``unlock``)."""
        with self.lock:
            transaction = self._transaction(transaction_id)
            if transaction is not None:
                transaction.locks = [
                    each for each in transaction.locks if each.request.path != path
                ]

    def transaction_listing(self) -> dict[str, dict[str, Any]]:
        """Live transactions by id with their attributes (``//sys/transactions``)."""
        with self.lock:
            self.expire()
            return {
                transaction_id: self.transaction_attributes(transaction_id)
                for transaction_id in self.transactions
            }

    def locks_on(self, path: str) -> list[dict[str, Any]]:
        """The locks every live transaction holds on ``path`` (``@locks``)."""
        with self.lock:
            self.expire()
            return [
                held.describe()
                for transaction in self.transactions.values()
                for held in transaction.locks
                if held.request.path == path
            ]

    def find_lock(self, lock_id: str) -> Lock | None:
        with self.lock:
            for transaction in self.transactions.values():
                for held in transaction.locks:
                    if held.id == lock_id:
                        return held
            return None

    # -- persistence ------------------------------------------------------------------------

    def _load(self) -> Tree:
        if not self._file.exists():
            tree = Tree()
            for name in INITIAL_NODES:  # a fresh cluster has these
                tree.root.children[name] = Node(id=new_id(), type="map_node")
            return tree
        try:
            raw = yson().loads(self._file.read_bytes())
        except (OSError, Exception) as error:
            raise YtLocalError(
                f"local-yt state file {self._file} is unreadable ({error}); move it away to start "
                "with an empty Cypress"
            ) from None
        return Tree(_node_from_data(raw))

    def _save(self, tree: Tree) -> None:
        data = yson().dumps(_node_to_data(tree.root), yson_format="binary")
        temporary = self._file.with_name(
            f"{self._file.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        )
        try:
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self._file)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise YtLocalError(f"local-yt could not save {self._file}: {error}") from None

    @staticmethod
    def _referenced_chunks(node: Node) -> set[str]:
        found = {chunk.id for chunk in node.chunks}
        for child in node.children.values():
            found |= State._referenced_chunks(child)
        return found


def _node_to_data(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "type": node.type,
        "attributes": node.attributes,
        "children": {name: _node_to_data(child) for name, child in node.children.items()},
        "value": node.value,
        "chunks": [[chunk.id, chunk.rows, chunk.size] for chunk in node.chunks],
        "creation_time": node.creation_time,
        "modification_time": node.modification_time,
    }


def _node_from_data(data: Any) -> Node:
    return Node(
        id=str(data["id"]),
        type=str(data["type"]),
        attributes=dict(data["attributes"]),
        children={str(name): _node_from_data(child) for name, child in data["children"].items()},
        value=data["value"],
        chunks=[Chunk(id=str(c[0]), rows=int(c[1]), size=int(c[2])) for c in data["chunks"]],
        creation_time=str(data["creation_time"]),
        modification_time=str(data["modification_time"]),
    )
