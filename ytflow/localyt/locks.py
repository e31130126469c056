"""Cypress locks as YT takes them: snapshot, shared (optionally on one child or attribute key)
and exclusive, held by a transaction until it ends.

Writes take these implicitly (a child's creation takes a shared lock on the parent by that
child's key, setting an attribute a shared lock by the attribute's key, replacing a node an
exclusive lock on it); ``lock`` takes them explicitly. Two transactions conflict on a node when
either lock is exclusive, or both are shared on the same child or attribute key; snapshot locks
never conflict. A transaction never conflicts with its ancestors or descendants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ytflow.localyt.yt_errors import CONCURRENT_TRANSACTION_LOCK_CONFLICT, YtLocalError

LOCK_MODES = ("snapshot", "shared", "exclusive")


@dataclass(frozen=True)
class LockRequest:
    """A lock a command needs: node path, mode and the optional shared-lock key."""

    path: str
    mode: str
    child_key: str | None = None
    attribute_key: str | None = None

    @staticmethod
    def of(spec: tuple[Any, ...] | LockRequest) -> LockRequest:
        """Accept ``(path, mode)`` tuples as well, the form most commands use."""
        if isinstance(spec, LockRequest):
            return spec
        return LockRequest(*spec)

    def conflicts_with(self, held: LockRequest) -> bool:
        if self.path != held.path or "snapshot" in (self.mode, held.mode):
            return False
        if "exclusive" in (self.mode, held.mode):
            return True
        same_child = self.child_key is not None and self.child_key == held.child_key
        same_attribute = self.attribute_key is not None and self.attribute_key == held.attribute_key
        return same_child or same_attribute

    def covered_by(self, held: LockRequest) -> bool:
        """Whether ``held`` already gives what this asks (so an implicit lock adds nothing)."""
        if self.path != held.path:
            return False
        if held.mode == "exclusive":
            return True
        return (
            held.mode == self.mode
            and held.child_key == self.child_key
            and held.attribute_key == self.attribute_key
        )


@dataclass(frozen=True)
class Lock:
    """A lock held by a transaction (what ``@locks`` lists)."""

    id: str
    request: LockRequest
    transaction_id: str

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "id": self.id,
            "mode": self.request.mode,
            "state": "acquired",
            "transaction_id": self.transaction_id,
        }
        if self.request.child_key is not None:
            described["child_key"] = self.request.child_key
        if self.request.attribute_key is not None:
            described["attribute_key"] = self.request.attribute_key
        return described


def lock_conflict(wanted: LockRequest, held: Lock) -> YtLocalError:
    """YT's error for a lock another transaction's lock prevents (code 402)."""
    key = ""
    if wanted.child_key is not None:
        key = f" (child {wanted.child_key!r})"
    elif wanted.attribute_key is not None:
        key = f" (attribute {wanted.attribute_key!r})"
    return YtLocalError(
        f"Cannot take {wanted.mode!r} lock for node {wanted.path}{key} since "
        f"{held.request.mode!r} lock is taken by concurrent transaction {held.transaction_id}",
        code=CONCURRENT_TRANSACTION_LOCK_CONFLICT,
        attributes={"path": wanted.path, "winner_transaction": {"id": held.transaction_id}},
    )


def check_mode(mode: str) -> None:
    if mode not in LOCK_MODES:
        raise YtLocalError(
            f"Unknown lock mode {mode!r}; expected one of {', '.join(LOCK_MODES)}",
            attributes={"mode": mode},
        )
