"""Map, reduce, map-reduce and sort in dev: jobs from the code bundle, outputs committed atomically.

Each operation checks what the cluster would check before starting (input tables exist,
reduce input is sorted, the job script is in the bundle), runs its jobs in a sandbox under
``.dev/``, and only when every job succeeded replaces (or appends to) the output tables.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ytflow.bundle import Bundle, extract_bundle, launcher_command, require_script
from ytflow.dev import job_memory
from ytflow.dev.job_input import Segment, json_key, split_keys, split_lines
from ytflow.dev.job_runner import JobSpec
from ytflow.dev.ordering import row_key
from ytflow.dev.progress import OperationProgress
from ytflow.dev.scheduler import JobsFailed, TimeLimitExceeded, default_parallelism, run_jobs
from ytflow.dev.stage_log import StageLogs
from ytflow.dev.table_sort import sort_files
from ytflow.dev.table_store import DevTableStore
from ytflow.errors import OperationError, TableNotFound
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    ReduceOperation,
    Resources,
    SortOperation,
)
from ytflow.paths import table_name

_logger = logging.getLogger("ytflow.operations")
JOBS_DIR = ".ytflow_jobs"


@dataclass(frozen=True)
class _PhaseResult:
    parts: list[list[Path]]  # per output table, the job output files in job order
    rows: list[int]  # per output table
    jobs: int
    failed: int


@dataclass(frozen=True)
class _Limits:
    """What bounds every phase of one operation."""

    resources: Resources
    max_failed: int
    time_limit: float | None  # seconds
    started: float  # time.monotonic() when the operation started

    def remaining(self) -> float | None:
        """Seconds left of the operation's time limit (phases share it)."""
        if self.time_limit is None:
            return None
        return self.time_limit - (time.monotonic() - self.started)


class DevOperations:
    """The operations of the dev backend; one per client."""

    def __init__(
        self,
        *,
        store: DevTableStore,
        dev_dir: Path,
        bundle: Callable[[], Bundle],
        job_env: Callable[[Path], dict[str, str]],
        mask: Callable[[str], str],
    ) -> None:
        self.store = store
        self._mask = mask
        self.dev_dir = dev_dir
        self._bundle = bundle
        self._job_env = job_env
        self._noted_images: set[str] = set()
        self.stage_logs = StageLogs(dev_dir)

    def map(self, spec: MapOperation, stage: str) -> OperationResult:
        """Run ``spec.mapper`` over the input rows in ``job_count`` parallel jobs."""
        inputs = self._input_files(spec.input_table)
        self._check_outputs(spec.output_table)
        sandbox = self._sandbox(spec.input_table, spec.output_table, stage, [spec.mapper])
        ranges = split_lines(inputs, spec.resources.job_count or 1) if _has_data(inputs) else []
        phase = self._run_phase(
            spec.describe(),
            sandbox,
            stage,
            spec.mapper,
            ranges,
            outputs=len(spec.output_table),
            limits=_limits(spec, spec.max_failed_job_count),
            name="map",
            input_rows=self._rows(spec.input_table),
        )
        return self._commit(spec.describe(), spec.output_table, phase, append=spec.append)

    def reduce(self, spec: ReduceOperation, stage: str) -> OperationResult:
        """Run ``spec.reducer`` over key ranges of sorted input; a key never spans two jobs."""
        inputs = self._input_files(spec.input_table)
        for path in spec.input_table:
            self._require_sorted(path, spec.key_columns)
        self._check_outputs(spec.output_table)
        sandbox = self._sandbox(spec.input_table, spec.output_table, stage, [spec.reducer])
        source = self._merged(inputs, spec.key_columns, sandbox)
        ranges = (
            split_keys(source, spec.resources.job_count or 1, json_key(row_key(spec.reduce_by)))
            if _has_data([source])
            else []
        )
        phase = self._run_phase(
            spec.describe(),
            sandbox,
            stage,
            spec.reducer,
            ranges,
            outputs=len(spec.output_table),
            limits=_limits(spec, spec.max_failed_job_count),
            name="reduce",
            input_rows=self._rows(spec.input_table),
        )
        return self._commit(spec.describe(), spec.output_table, phase, append=spec.append)

    def map_reduce(self, spec: MapReduceOperation, stage: str) -> OperationResult:
        """Mapper, then sort the mapper output by the key, then reducer over key ranges."""
        inputs = self._input_files(spec.input_table)
        self._check_outputs(spec.output_table)
        sandbox = self._sandbox(
            spec.input_table, spec.output_table, stage, [spec.mapper, spec.reducer]
        )
        title = spec.describe()
        limits = _limits(spec, spec.max_failed_job_count)
        ranges = split_lines(inputs, spec.resources.job_count or 1) if _has_data(inputs) else []
        mapped = self._run_phase(
            f"{title} (map)",
            sandbox,
            stage,
            spec.mapper,
            ranges,
            outputs=1,
            limits=limits,
            name="map",
            input_rows=self._rows(spec.input_table),
        )
        intermediate = sandbox / JOBS_DIR / "sorted.jsonl"
        sort_files(mapped.parts[0], intermediate, spec.key_columns, temp_dir=intermediate.parent)
        reduce_jobs = spec.reduce_job_count or spec.resources.job_count or 1
        key = json_key(row_key(spec.reduce_by))
        reduce_ranges = split_keys(intermediate, reduce_jobs, key) if mapped.rows[0] else []
        reduced = self._run_phase(
            f"{title} (reduce)",
            sandbox,
            stage,
            spec.reducer,
            reduce_ranges,
            outputs=len(spec.output_table),
            limits=_limits(
                spec, max(1, spec.max_failed_job_count - mapped.failed), started=limits.started
            ),
            name="reduce",
            input_rows=mapped.rows[0],
        )
        combined = _PhaseResult(
            reduced.parts, reduced.rows, mapped.jobs + reduced.jobs, mapped.failed + reduced.failed
        )
        return self._commit(title, spec.output_table, combined, append=spec.append)

    def sort(self, spec: SortOperation) -> OperationResult:
        """Sort the input rows by ``sort_by`` in YT's order; the output remembers its columns."""
        # Under the write locks of the output (its scratch folder, with the runs and the staged
        # result, is removed afterwards, or after a crash by the next access of the table) and
        # of the inputs, which must hold still while they are read in place.
        with self.store.staging(spec.output_table, reading=spec.input_table) as scratch:
            inputs = self._input_files(spec.input_table)
            staged = scratch / "sorted.jsonl"
            rows = sort_files(inputs, staged, spec.sort_by, temp_dir=scratch).rows
            self.store.commit([(spec.output_table, [staged], rows)], sorted_by=spec.sort_by)
        return OperationResult(spec.describe(), {spec.output_table: rows}, jobs=0)

    def note_image(self, resources: Resources) -> None:
        """Say once per image that dev ignores it and runs the local interpreter."""
        image = resources.docker_image
        if image and image not in self._noted_images:
            self._noted_images.add(image)
            _logger.info(
                "dev runs jobs with the local interpreter (%s); docker_image %s applies in prod",
                sys.executable,
                image,
            )

    def _run_phase(
        self,
        title: str,
        sandbox: Path,
        stage: str,
        script: str,
        ranges: Sequence[Sequence[Segment]],
        *,
        outputs: int,
        limits: _Limits,
        name: str,
        input_rows: int,
    ) -> _PhaseResult:
        resources = limits.resources
        self.note_image(resources)
        jobs_dir = sandbox / JOBS_DIR / name
        jobs_dir.mkdir(parents=True, exist_ok=True)
        argv = launcher_command(stage, script)
        env = self._job_env(sandbox)
        memory = memory_limit_bytes(resources)
        log = self.stage_logs.open(stage)

        def log_sink(index: int) -> Callable[[str], None]:
            prefix = f"[{name} job {index}] "
            return lambda line: log.write(prefix + line)

        def make_spec(index: int, attempt: int) -> JobSpec:
            return JobSpec(
                index=index,
                attempt=attempt,
                argv=argv,
                cwd=sandbox,
                env={**env, "YT_JOB_INDEX": str(index)},
                inputs=ranges[index],
                outputs=[jobs_dir / f"job_{index}.out{table}.jsonl" for table in range(outputs)],
                stderr=jobs_dir / f"job_{index}.attempt_{attempt}.stderr",
                memory_limit=memory,
                on_log_line=log_sink(index),
                mask=self._mask,
            )

        input_bytes = sum(segment.size for job in ranges for segment in job)
        progress = OperationProgress(
            title, jobs=len(ranges), input_bytes=input_bytes, input_rows=input_rows
        )
        with progress, log:
            try:
                outcomes = run_jobs(
                    make_spec,
                    len(ranges),
                    parallelism=min(default_parallelism(), max(1, len(ranges))),
                    max_failed=limits.max_failed,
                    progress=progress,
                    time_limit=limits.remaining(),
                )
            except JobsFailed as failure:
                raise _operation_error(
                    title, failure, jobs_dir, limits.max_failed, self._mask
                ) from None
            except TimeLimitExceeded:
                raise time_limit_error(title, limits.time_limit or 0, log.path) from None
        parts = [
            [jobs_dir / f"job_{index}.out{table}.jsonl" for index in range(len(ranges))]
            for table in range(outputs)
        ]
        rows = [sum(outcome.output_rows[table] for outcome in outcomes) for table in range(outputs)]
        return _PhaseResult(parts, rows, len(ranges), progress.failed_jobs)

    def _commit(
        self, title: str, outputs: Sequence[str], phase: _PhaseResult, *, append: bool
    ) -> OperationResult:
        self.store.commit(
            [(path, phase.parts[table], phase.rows[table]) for table, path in enumerate(outputs)],
            append=append,
        )
        return OperationResult(
            title,
            {path: phase.rows[table] for table, path in enumerate(outputs)},
            jobs=phase.jobs,
            failed_jobs=phase.failed,
        )

    def _input_files(self, paths: Sequence[str]) -> list[Path]:
        files: list[Path] = []
        for path in paths:
            if not self.store.exists(path):
                raise TableNotFound(path, hint="an operation's input tables must exist")
            files.append(self.store.file_for(path))
        return files

    def _check_outputs(self, paths: Sequence[str]) -> None:
        for path in paths:
            self.store.file_for(path)  # validates the path and refuses a base-name conflict

    def _rows(self, paths: Sequence[str]) -> int:
        return sum(self.store.row_count(path) for path in paths)

    def _require_sorted(self, path: str, columns: Sequence[str]) -> None:
        sorted_by = self.store.sorted_by(path) or []
        if sorted_by[: len(columns)] != list(columns):
            state = f"sorted by {sorted_by}" if sorted_by else "not sorted"
            raise OperationError(
                f"Input table {path} is not sorted by {list(columns)} ({state}); reduce "
                "needs its input sorted by the reduce key, as on YT",
                hint=f"run run_sort on it first (client.operations.sort with sort_by: "
                f"{list(columns)}), or use run_map_reduce, which sorts for you",
            )

    def _merged(self, inputs: Sequence[Path], columns: Sequence[str], sandbox: Path) -> Path:
        """One sorted file: the input itself, or several sorted inputs merged by key."""
        if len(inputs) == 1:
            return inputs[0]
        merged = sandbox / JOBS_DIR / "merged.jsonl"
        merged.parent.mkdir(parents=True, exist_ok=True)
        sort_files(inputs, merged, columns, temp_dir=merged.parent)
        return merged

    def _sandbox(
        self, inputs: Sequence[str], outputs: Sequence[str], stage: str, scripts: Sequence[str]
    ) -> Path:
        """``.dev/sandbox_<in>-><out>/``, recreated clean with the extracted bundle."""
        bundle = self._bundle()
        for script in scripts:
            require_script(bundle.files, stage, script)
        name = "+".join(map(table_name, inputs)) + "->" + "+".join(map(table_name, outputs))
        sandbox = self.dev_dir / f"sandbox_{name}"
        extract_bundle(bundle, sandbox)
        (sandbox / "tmp").mkdir(exist_ok=True)
        return sandbox


def _limits(
    spec: MapOperation | ReduceOperation | MapReduceOperation,
    max_failed: int,
    *,
    started: float | None = None,
) -> _Limits:
    return _Limits(
        spec.resources,
        max_failed,
        spec.time_limit_seconds,
        time.monotonic() if started is None else started,
    )


def memory_limit_bytes(resources: Resources) -> int | None:
    """A job's memory limit in bytes; refuses to start what this machine cannot enforce."""
    if not resources.memory_limit_gb:
        return None
    if not job_memory.can_measure():
        raise OperationError(
            "resources.memory_limit_gb cannot be enforced on this machine: neither /proc nor "
            "ps can tell how much memory a job uses",
            hint="remove memory_limit_gb to run without a limit in dev (prod still applies it)",
        )
    return int(resources.memory_limit_gb * 2**30)


def time_limit_error(title: str, seconds: float, log: Path) -> OperationError:
    """The error for an operation stopped at its ``time_limit_seconds``."""
    return OperationError(
        f"{title} failed: time limit exceeded: the operation ran longer than "
        f"time_limit_seconds: {seconds:g}; its jobs were killed",
        hint="the output tables are unchanged; raise time_limit_seconds, or find what makes "
        f"a job slow (the jobs' log lines are in {log})",
    )


def _has_data(files: Sequence[Path]) -> bool:
    return any(file.stat().st_size > 0 for file in files)


def _operation_error(
    title: str, failure: JobsFailed, jobs_dir: Path, max_failed: int, mask: Callable[[str], str]
) -> OperationError:
    """The error for a failed phase; job output in it has secret values masked."""
    outcome = failure.outcome
    return OperationError(
        mask(f"{title} failed: job {outcome.index} {outcome.failure}"),
        job_index=outcome.index,
        exit_status=outcome.exit_status,
        stderr_tail=[mask(line) for line in outcome.stderr_tail],
        hint=f"{failure.failed} job attempt(s) failed (max_failed_job_count: {max_failed}); "
        f"the output tables are unchanged; every attempt's stderr is kept in {jobs_dir}",
    )
