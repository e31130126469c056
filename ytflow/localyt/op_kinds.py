"""The seam between the operation framework and each operation type.

``operations.py`` owns the lifecycle (ids, state, job counters, ``get_operation``); each kind
(map, reduce, map_reduce, sort, merge, vanilla) is a function that runs the operation to its
end and returns the output writes. The framework applies every write in one Cypress mutation
only when the kind returns, so outputs change only if the operation completes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Chunk
from ytflow.localyt.rich_paths import RichPath

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


@dataclass
class JobCounters:
    """What ``get_operation`` reports under ``progress/jobs``."""

    total: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    aborted: int = 0


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


OperationKind = Callable[[OperationContext], list[OutputWrite]]
KINDS: dict[str, OperationKind] = {}


def operation_kind(name: str) -> Callable[[OperationKind], OperationKind]:
    """Register the function that runs operations of type ``name``."""

    def register(run: OperationKind) -> OperationKind:
        KINDS[name] = run
        return run

    return register
