"""Cluster errors as ytflow errors: the cluster's message and code kept, secrets masked.

A failed operation becomes ``ProdOperationError`` (an ``OperationError``) naming the operation
id, its UI URL, the cluster's reason and the stderr of the first failed job, so stage code
catches one type in dev and prod and a reader can open the operation in the UI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from ytflow.errors import (
    YT_RESOLVE_ERROR,
    OperationError,
    TableNotFound,
    YtflowError,
)

if TYPE_CHECKING:
    import yt.wrapper
    from yt.common import YtError

Mask = Callable[[str], str]

STDERR_TAIL_LINES = 20
_STDERR_BYTES = 64 << 10
_NOT_SORTED = "is not sorted"


class ProdOperationError(OperationError):
    """An operation failed on the cluster; ``operation_id`` and ``url`` say which."""

    def __init__(
        self,
        message: str,
        *,
        operation_id: str,
        url: str,
        exit_status: int | None = None,
        stderr_tail: list[str] | None = None,
        hint: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(
            f"{message}\n  operation {operation_id}: {url}",
            exit_status=exit_status,
            stderr_tail=stderr_tail or [],
            hint=hint,
            code=code,
        )
        self.operation_id = operation_id
        self.url = url


def translate(error: YtError, doing: str, mask: Mask) -> YtflowError:
    """A ``yt`` error met while ``doing`` something, as the matching ytflow error.

    A resolve error naming its path is ``TableNotFound``; anything else ``OperationError``
    with the cluster's message and code.
    """
    simple: dict[str, Any] = error.simplify()
    message = mask(f"{doing}: {error_text(simple)}")
    path = _attribute(simple, "path") if _has_code(simple, YT_RESOLVE_ERROR) else None
    if path:
        return TableNotFound(str(path), hint=message)
    return OperationError(message, code=_code(simple))


def operation_failure(
    yt: yt.wrapper.YtClient,
    *,
    operation_id: str,
    url: str,
    title: str,
    state: str,
    error: Mapping[str, Any] | None,
    mask: Mask,
) -> ProdOperationError:
    """The error for an operation that ended ``failed`` or ``aborted``."""
    reason = error_text(error) if error else f"the operation is {state}"
    job = first_failed_job(yt, operation_id)
    exit_status, tail = None, list[str]()
    if job is not None:
        exit_status = _exit_status(job.get("error"))
        tail = [mask(line) for line in _stderr_tail(yt, operation_id, str(job.get("id", "")))]
    hint = "the output tables are unchanged"
    if _NOT_SORTED in reason:
        hint = (
            "reduce needs its input sorted by the reduce key, as on YT: run a sort operation "
            "on it first (client.operations.sort with sort_by), or use run_map_reduce, which "
            "sorts for you; " + hint
        )
    return ProdOperationError(
        mask(f"{title} {state}: {reason}"),
        operation_id=operation_id,
        url=url,
        exit_status=exit_status,
        stderr_tail=tail,
        hint=hint,
        code=_code(error),
    )


def first_failed_job(yt: yt.wrapper.YtClient, operation_id: str) -> dict[str, Any] | None:
    """The first failed job of the operation (by start time), or None (none, or unreadable)."""
    from yt.wrapper.errors import YtError  # noqa: PLC0415

    try:
        listed: Any = yt.list_jobs(operation_id, job_state="failed", limit=100)
    except YtError:
        return None
    jobs: list[dict[str, Any]] = list(listed.get("jobs") or [])
    jobs.sort(key=lambda job: str(job.get("start_time", "")))
    return jobs[0] if jobs else None


def error_text(error: Mapping[str, Any]) -> str:
    """The error's message and its first inner errors' messages: ``outer: inner: cause``."""
    messages: list[str] = []
    for item in _chain(error):
        text = str(item.get("message", "")).strip()
        if text and text not in messages:
            messages.append(text)
    return ": ".join(messages) or "unknown error"


def _stderr_tail(yt: yt.wrapper.YtClient, operation_id: str, job_id: str) -> list[str]:
    from yt.wrapper.errors import YtError  # noqa: PLC0415

    if not job_id:
        return []
    try:
        stream: Any = yt.get_job_stderr(operation_id, job_id)
        data = bytes(stream.read() if hasattr(stream, "read") else stream)
    except YtError:
        return []
    text = data[-_STDERR_BYTES:].decode("utf-8", errors="replace")
    return text.splitlines()[-STDERR_TAIL_LINES:]


def _chain(error: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The error and its first inner error, recursively (YT nests the cause that way)."""
    current: Any = error
    while isinstance(current, Mapping):
        found = cast(Mapping[str, Any], current)
        yield found
        inner = cast(list[Any], found.get("inner_errors") or [])
        current = inner[0] if inner else None


def _walk(error: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield error
    for inner in cast(list[Any], error.get("inner_errors") or []):
        if isinstance(inner, Mapping):
            yield from _walk(cast(Mapping[str, Any], inner))


def _has_code(error: Mapping[str, Any], code: int) -> bool:
    return any(item.get("code") == code for item in _walk(error))


def _attribute(error: Mapping[str, Any], name: str) -> Any:
    for item in _walk(error):
        attributes: Mapping[str, Any] = item.get("attributes") or {}
        if name in attributes:
            return attributes[name]
    return None


def _exit_status(error: Mapping[str, Any] | None) -> int | None:
    if not error:
        return None
    value = _attribute(error, "exit_code")
    with contextlib.suppress(TypeError, ValueError):
        return int(value) if value is not None else None
    return None


def _code(error: Mapping[str, Any] | None) -> int | None:
    code = (error or {}).get("code")
    return int(code) if isinstance(code, int) and code else None
