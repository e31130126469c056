"""The operation framework: start, track, abort and report operations, and their jobs' stderr.

``start_operation`` hands the spec to the kind registered for its type (``op_kinds.KINDS``)
in a thread of its own and answers at once, as YT's scheduler does; the client then polls
``get_operation``. The kind returns its output writes and the framework applies them all in
one Cypress mutation inside the operation's transaction, so outputs change only if the
operation completes. Operations live in memory: a restarted endpoint has none.
"""

from __future__ import annotations

import importlib
import shutil
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import new_id, now_iso
from ytflow.localyt.job_pool import OperationAborted, sandbox_root
from ytflow.localyt.job_runner import JobProcesses
from ytflow.localyt.op_kinds import KINDS, OperationContext, OutputWrite
from ytflow.localyt.registry import Request, command
from ytflow.localyt.state import NULL_TRANSACTION
from ytflow.localyt.yt_errors import NO_SUCH_OPERATION, YtLocalError, resolve_error

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint

# Modules whose @operation_kind registrations make up the operation types local-yt runs.
KIND_MODULES = ("op_jobs", "op_sort_merge")
FINISHED = ("completed", "failed", "aborted")
_JOIN_SECONDS = 10


@dataclass
class Operation:
    """One operation's record: what ``get_operation`` and ``list_operations`` report."""

    context: OperationContext
    state: str = "running"
    start_time: str = field(default_factory=now_iso)
    finish_time: str | None = None
    error: YtLocalError | None = None
    thread: threading.Thread | None = None

    @property
    def id(self) -> str:
        return self.context.operation_id


class OperationService:
    """The endpoint's operations, their threads and their jobs' processes."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.lock = threading.Lock()
        self.operations: dict[str, Operation] = {}
        self.processes = JobProcesses()
        self._closed = False
        # Sandboxes of jobs a stopped endpoint left behind belong to no operation now.
        shutil.rmtree(endpoint.root / "sandboxes", ignore_errors=True)
        for name in KIND_MODULES:
            try:
                importlib.import_module(f"ytflow.localyt.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"ytflow.localyt.{name}":
                    raise

    def start(self, operation_type: str, spec: dict[str, Any], transaction_id: str | None) -> str:
        kind = KINDS.get(operation_type)
        if kind is None:
            known = ", ".join(sorted(KINDS))
            raise YtLocalError(
                f"local-yt does not support operations of type {operation_type!r}; it runs {known}",
                attributes={"operation_type": operation_type},
            )
        tree = self.endpoint.state.view(transaction_id)  # inputs as of the start (and checks it)
        context = OperationContext(
            endpoint=self.endpoint,
            operation_id=new_id(),
            operation_type=operation_type,
            spec=spec,
            transaction_id=transaction_id,
            tree=tree,
        )
        operation = Operation(context)
        context.cancelled = lambda: self._cancelled(operation)
        with self.lock:
            if self._closed:
                raise YtLocalError("local-yt is stopping and starts no operations")
            self.operations[operation.id] = operation
        operation.thread = threading.Thread(
            target=self._run, args=(operation,), name=f"local-yt-op-{operation.id}", daemon=True
        )
        operation.thread.start()
        return operation.id

    def _cancelled(self, operation: Operation) -> bool:
        """Aborted by request, by shutdown, or because its transaction ended (as on YT)."""
        context = operation.context
        if context.cancel_event.is_set():
            return True
        transaction_id = context.transaction_id
        if transaction_id is None or transaction_id == NULL_TRANSACTION:
            return False
        state = self.endpoint.state
        state.expire()  # a client that stopped pinging loses its transaction here too
        if transaction_id in state.transactions:
            return False
        with self.lock:
            if operation.error is None:
                operation.error = YtLocalError(
                    f"Operation aborted since its transaction {transaction_id} has expired or "
                    "was aborted",
                    attributes={"transaction_id": transaction_id},
                )
        context.cancel_event.set()
        return True

    def get(self, operation_id: Any) -> Operation:
        with self.lock:
            found = self.operations.get(str(operation_id or ""))
        if found is None:
            raise YtLocalError(
                f"No such operation {operation_id}",
                code=NO_SUCH_OPERATION,
                attributes={"operation_id": str(operation_id)},
            )
        return found

    def abort(self, operation_id: Any, message: str | None) -> None:
        operation = self.get(operation_id)
        with self.lock:
            if operation.state in FINISHED:
                return
            operation.error = YtLocalError(message or "Operation aborted by user request")
        operation.context.cancel_event.set()  # its jobs see it within a poll and are killed

    def close(self) -> None:
        """Abort every running operation and kill its jobs (endpoint shutdown)."""
        with self.lock:
            self._closed = True
            running = [each for each in self.operations.values() if each.state not in FINISHED]
        for operation in running:
            operation.error = YtLocalError("Operation aborted: local-yt is stopping")
            operation.context.cancel_event.set()
        self.processes.kill_all()
        for operation in running:
            if operation.thread is not None:
                operation.thread.join(timeout=_JOIN_SECONDS)

    # -- one operation's thread ---------------------------------------------------------------

    def _run(self, operation: Operation) -> None:
        context = operation.context
        state, error = "completed", None
        kept: set[str] = set()
        try:
            writes = KINDS[context.operation_type](context)
            if context.cancelled():
                raise OperationAborted
            _apply(context, writes)
            kept = {chunk.id for write in writes for chunk in write.chunks}
        except OperationAborted:
            state = "aborted"
        except YtLocalError as failure:
            state, error = "failed", failure
        except Exception as failure:  # a local-yt bug fails the operation, visibly
            state = "failed"
            error = YtLocalError(f"local-yt failed while running the operation: {failure!r}")
        if context.cancelled() and state == "failed":  # its jobs were killed by the abort
            state = "aborted"
        shutil.rmtree(sandbox_root(context), ignore_errors=True)
        store = self.endpoint.state.chunks
        for chunk in context.created_chunks:
            if chunk.id not in kept:
                store.path(chunk).unlink(missing_ok=True)
        with self.lock:
            operation.state = state
            if state != "aborted" or operation.error is None:
                operation.error = error
            operation.finish_time = now_iso()


def _apply(context: OperationContext, writes: list[OutputWrite]) -> None:
    """All outputs in one mutation of the operation's transaction."""
    if not writes:
        return

    def mutation(tree: Tree) -> None:
        for write in writes:
            node = tree.find(write.path.path)
            if node is None:
                raise resolve_error(write.path.key, f"Table {write.path.key} does not exist")
            append = write.append and bool(node.chunks)
            was_sorted = node.attributes.get("sorted_by")
            tree.replace_data(write.path.path, write.chunks, append=write.append)
            if write.sorted_by and (not append or was_sorted == write.sorted_by):
                node.attributes["sorted_by"] = list(write.sorted_by)
            elif not (append and not any(chunk.rows for chunk in write.chunks)):
                node.attributes.pop("sorted_by", None)

    locks = tuple((write.path.key, "shared" if write.append else "exclusive") for write in writes)
    context.endpoint.state.mutate(context.transaction_id, mutation, locks=locks)


# -- commands ---------------------------------------------------------------------------------


def _service(endpoint: Endpoint) -> OperationService:
    return endpoint.operations


@command("start_operation")
@command("start_op")
def start_operation(endpoint: Endpoint, request: Request) -> Any:
    operation_type = str(request.get("operation_type") or "")
    if not operation_type:
        raise YtLocalError("start_operation needs the 'operation_type' parameter")
    spec = request.get_dict("spec")
    return {"operation_id": _service(endpoint).start(operation_type, spec, request.transaction_id)}


@command("abort_operation")
@command("abort_op")
def abort_operation(endpoint: Endpoint, request: Request) -> Any:
    _service(endpoint).abort(operation_id_param(request), request.get("abort_message"))
    return {}


def operation_id_param(request: Request) -> Any:
    if request.get("operation_alias"):
        raise YtLocalError("local-yt does not support operation aliases; pass operation_id")
    operation_id = request.get("operation_id")
    if not operation_id:
        raise YtLocalError(f"{request.command} needs the 'operation_id' parameter")
    return operation_id
