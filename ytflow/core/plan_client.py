"""The recording client behind ``ytflow plan``: stage code runs, nothing reaches a cluster.

Each stage's ``run()`` is called with this client, so operations and YQL built from computed
arguments are planned the way the stage would really build them. Operations are turned into
the exact YT spec prod would submit (``ytflow.prod.specs``) and recorded; YQL texts are
recorded; table calls are recorded with the answer given offline, which is always "nothing
there" (no rows, ``exists`` False, row count 0), because reading a table needs the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ytflow.bundle import require_script
from ytflow.client.base import Mode, Row, YtClient
from ytflow.client.row_encoding import RowEncoder
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    OperationSpec,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)
from ytflow.paths import validate_table_path
from ytflow.prod.specs import JobContext, operation_spec


@dataclass(frozen=True)
class PlannedOperation:
    """An operation a stage asked for, and the YT spec prod would submit for it."""

    spec: OperationSpec
    op_type: str
    yt_spec: dict[str, Any]
    """With ``Attributed`` values where YT wants YSON attributes."""


@dataclass(frozen=True)
class PlannedYql:
    """A YQL text a stage (or a YQL table helper) would send to the query tracker."""

    text: str


@dataclass(frozen=True)
class TableCall:
    """A table call and what the plan answered, e.g. ``read_table //t`` -> ``no rows``."""

    call: str
    answer: str


Step = PlannedOperation | PlannedYql | TableCall


@dataclass
class StageRecord:
    """Everything one stage did under the recording client, in call order."""

    steps: list[Step] = field(default_factory=list[Step])


class PlanClient(YtClient):
    """A ``YtClient`` that records instead of running; ``mode`` is ``prod``, as planned.

    ``bundle_path`` and ``bundle_files`` describe the bundle prod would upload;
    ``secure_vault`` is what specs show as the vault (its values already masked).
    """

    mode: Mode = "prod"

    def __init__(
        self,
        *,
        pipeline: str,
        bundle_path: str,
        bundle_files: tuple[str, ...],
        secure_vault: Mapping[str, str],
    ) -> None:
        self._pipeline = pipeline
        self._bundle_path = bundle_path
        self._bundle_files = bundle_files
        self._vault = dict(secure_vault)
        self._stage = ""
        self.record = StageRecord()

    def begin_stage(self, stage: str) -> StageRecord:
        """Record the calls of ``stage`` from now on, into the returned record."""
        self._stage = stage
        self.record = StageRecord()
        return self.record

    def context(self, stage: str) -> JobContext:
        """The job context prod would build for ``stage``'s operations."""
        return JobContext(
            pipeline=self._pipeline,
            stage=stage,
            bundle_path=self._bundle_path,
            bundle_files=self._bundle_files,
            secure_vault=self._vault,
        )

    # --- operations: the spec is built and checked now, as prod would before submitting ---

    def _run_map(self, spec: MapOperation, stage: str) -> OperationResult:
        return self._record_operation(spec, stage, scripts=[spec.mapper])

    def _run_reduce(self, spec: ReduceOperation, stage: str) -> OperationResult:
        return self._record_operation(spec, stage, scripts=[spec.reducer])

    def _run_map_reduce(self, spec: MapReduceOperation, stage: str) -> OperationResult:
        return self._record_operation(spec, stage, scripts=[spec.mapper, spec.reducer])

    def _run_sort(self, spec: SortOperation, stage: str) -> OperationResult:
        return self._record_operation(spec, stage, scripts=[])

    def _run_vanilla(self, spec: VanillaOperation, stage: str) -> OperationResult:
        return self._record_operation(spec, stage, scripts=[])

    def _record_operation(
        self, spec: OperationSpec, stage: str, *, scripts: list[str]
    ) -> OperationResult:
        for script in scripts:  # a script the bundle lacks fails before submitting, as in dev
            require_script(self._bundle_files, stage, script)
        op_type, yt_spec = operation_spec(spec, self.context(stage))
        self.record.steps.append(PlannedOperation(spec, op_type, yt_spec))
        outputs = [spec.output_table] if isinstance(spec, SortOperation) else []
        if isinstance(spec, MapOperation | ReduceOperation | MapReduceOperation):
            outputs = list(spec.output_table)
        return OperationResult(spec.describe(), output_rows=dict.fromkeys(outputs, 0))

    # --- YQL: recorded, no rows come back -------------------------------------------------

    def run_yql(self, query: str) -> list[Row]:
        self.record.steps.append(PlannedYql(query))
        return []

    def _run_helper(self, query: str, output_table: str, *, dry_run: bool) -> int | str:
        if dry_run:
            return query
        self.run_yql(query)
        return 0  # the output's row count needs the cluster

    # --- tables: written rows are checked and counted, nothing is stored -----------------

    def write_table(
        self, table_path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False
    ) -> int:
        validate_table_path(table_path)
        encoder = RowEncoder(table_path)
        for _chunk in encoder.chunks(rows):  # rows the cluster would refuse raise RowError
            pass
        how = "appended" if append else "written"
        self._table_call(f"write_table {table_path}", f"{encoder.count:,} row(s) {how}")
        return encoder.count

    def read_table(self, table_path: str) -> Iterator[Row]:
        validate_table_path(table_path)
        self._table_call(f"read_table {table_path}", "no rows")
        return iter(())

    def exists(self, path: str) -> bool:
        self._table_call(f"exists {path}", "False")
        return False

    def remove(self, path: str, *, force: bool = False) -> None:
        validate_table_path(path)
        self._table_call(f"remove {path}", "nothing to remove")

    def row_count(self, table_path: str) -> int:
        validate_table_path(table_path)
        self._table_call(f"row_count {table_path}", "0")
        return 0

    def _table_call(self, call: str, answer: str) -> None:
        self.record.steps.append(TableCall(call, answer))
