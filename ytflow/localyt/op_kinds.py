"""The seam between the operation framework and each operation type.

``operations.py`` owns the lifecycle (ids, state, job counters, ``get_operation``); each kind
(map, reduce, map_reduce, sort, merge, vanilla) is a function that runs the operation to its
end and returns the output writes. The framework applies every write in one Cypress mutation
only when the kind returns, so outputs change only if the operation completes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import Chunk, now_iso
from ytflow.localyt.rich_paths import RichPath

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


@dataclass
class JobCounters:
    """What ``get_operation`` reports under ``progress/jobs``."""

    total: int = 0
    pending: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    aborted: int = 0


@dataclass
class JobInfo:
    """One job as ``list_jobs`` and ``get_job`` report it (a retried job is a new JobInfo)."""

    id: str
    type: str  # YT's job type: map, partition_map, reduce, partition_reduce, vanilla, ...
    task_name: str
    state: str = "running"  # running, completed, failed, aborted
    start_time: str = field(default_factory=now_iso)
    finish_time: str | None = None
    error: dict[str, Any] | None = None  # YT's wire shape of the job's error
    stderr: bytes = b""


@dataclass
class OutputWrite:
    """One output table's new content, applied when the operation completes."""

    path: RichPath
    chunks: list[Chunk]
    sorted_by: list[str] | None = None
    append: bool = False


@dataclass
class OperationContext:
    """What a kind gets: the endpoint, the operation's id, type and spec, and its counters."""

    endpoint: Endpoint
    operation_id: str
    operation_type: str
    spec: dict[str, Any]
    transaction_id: str | None
    jobs: JobCounters = field(default_factory=JobCounters)
    stderrs: dict[str, bytes] = field(default_factory=dict[str, bytes])  # job id -> stderr
    cancelled: Callable[[], bool] = lambda: False
    # Added for jobs: the Cypress view the operation started with (kinds read inputs from it),
    # every job run so far, and a lock for counters updated from job threads.
    tree: Tree | None = None
    job_infos: dict[str, JobInfo] = field(default_factory=dict[str, JobInfo])
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    created_chunks: list[Chunk] = field(default_factory=list[Chunk])  # removed unless written

    def view(self) -> Tree:
        """The tree inputs are read from: the view at start, else the transaction's now."""
        if self.tree is not None:
            return self.tree
        return self.endpoint.state.view(self.transaction_id)


OperationKind = Callable[[OperationContext], list[OutputWrite]]
KINDS: dict[str, OperationKind] = {}


def operation_kind(name: str) -> Callable[[OperationKind], OperationKind]:
    """Register the function that runs operations of type ``name``."""

    def register(run: OperationKind) -> OperationKind:
        KINDS[name] = run
        return run

    return register
