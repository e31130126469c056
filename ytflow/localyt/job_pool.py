"""Running an operation's user jobs: in parallel, retried up to ``max_failed_job_count``.

Each planned job gets a fresh job id per attempt (as on YT, a retried job is a new job), a
``JobInfo`` that ``list_jobs`` and ``get_job_stderr`` read, and the counters ``get_operation``
reports. When failures reach the limit the operation fails with YT's "Failed jobs limit
exceeded" error, the failed job's error inside, and the other jobs are aborted.
"""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytflow.localyt.cypress_nodes import Chunk, new_id, now_iso
from ytflow.localyt.formats import RowFormat
from ytflow.localyt.job_runner import JobLaunch, JobProcesses, run_job
from ytflow.localyt.op_io import (
    first_output_fd,
    job_environment,
    max_failed_job_count,
    memory_limit,
    read_output,
    rows_to_chunk,
    sandbox_files,
)
from ytflow.localyt.op_kinds import JobInfo, OperationContext
from ytflow.localyt.yt_errors import YtLocalError

MAX_PARALLEL_JOBS = max(2, os.cpu_count() or 2)
STDERR_IN_ERROR_BYTES = 16 << 10  # the stderr tail put on a failed job's error


@dataclass(frozen=True)
class JobPlan:
    """One job to run: its user job spec, its stdin file (None: no input) and output count."""

    index: int
    job_type: str
    task_name: str
    user_spec: dict[str, Any]
    stdin: Path | None
    output_count: int
    output_format: RowFormat
    start_row_index: int | None = None  # YT_START_ROW_INDEX: the first input row's index


class OperationAborted(Exception):
    """The operation was aborted (or the endpoint is stopping) while jobs ran."""


def sandbox_root(ctx: OperationContext) -> Path:
    return ctx.endpoint.root / "sandboxes" / ctx.operation_id


def run_jobs(ctx: OperationContext, plans: list[JobPlan]) -> list[list[Chunk]]:
    """Run every plan to success; return each job's output chunks (one per output table)."""
    with ctx.lock:
        ctx.jobs.total += len(plans)
        ctx.jobs.pending += len(plans)
    runner = _Runner(ctx)
    if not plans:
        return []
    with ThreadPoolExecutor(min(len(plans), MAX_PARALLEL_JOBS), "local-yt-job") as pool:
        futures = [pool.submit(runner.run, plan) for plan in plans]
        results = [future.result() for future in futures]
    if runner.failure is not None:
        raise runner.failure
    if ctx.cancelled():
        raise OperationAborted
    return [result for result in results if result is not None]


class _Runner:
    """Runs plans for one phase; the first fatal failure stops the others."""

    def __init__(self, ctx: OperationContext) -> None:
        self.ctx = ctx
        self.failure: YtLocalError | None = None
        self.stop = threading.Event()
        self.processes: JobProcesses = ctx.endpoint.operations.processes

    def stopped(self) -> bool:
        return self.stop.is_set() or self.ctx.cancelled()

    def run(self, plan: JobPlan) -> list[Chunk] | None:
        ctx = self.ctx
        try:
            while not self.stopped():
                launch = self._launch(plan, new_id())  # a missing file fails here, before
                info = JobInfo(id=launch.sandbox.name, type=plan.job_type, task_name=plan.task_name)
                with ctx.lock:
                    ctx.job_infos[info.id] = info
                    ctx.jobs.pending -= 1
                    ctx.jobs.running += 1
                chunks, error, killed = self._attempt(plan, info, launch)
                self._finish(info, error, killed)
                if error is None:
                    return chunks
                if killed:
                    return None
                self._count_failure(_with_stderr(error, info.stderr))
            return None
        except YtLocalError as error:  # the spec names a file that is missing, ...
            self._fail(error)
            return None
        except Exception as error:  # a bug must fail the operation, not hang it
            self._fail(YtLocalError(f"local-yt failed to run a job: {error!r}"))
            return None

    def _launch(self, plan: JobPlan, job_id: str) -> JobLaunch:
        ctx = self.ctx
        return JobLaunch(
            command=str(plan.user_spec.get("command") or ""),
            sandbox=sandbox_root(ctx) / job_id,
            environment=job_environment(
                ctx,
                plan.user_spec,
                job_id=job_id,
                job_index=plan.index,
                start_row_index=plan.start_row_index,
            ),
            files=sandbox_files(ctx, plan.user_spec),
            stdin=plan.stdin,
            output_count=plan.output_count,
            memory_limit=memory_limit(plan.user_spec),
            time_limit=_seconds(plan.user_spec.get("job_time_limit")),
            directories=_tmpfs_paths(plan.user_spec),
            first_output_fd=first_output_fd(plan.user_spec),
        )

    def _attempt(
        self, plan: JobPlan, info: JobInfo, launch: JobLaunch
    ) -> tuple[list[Chunk], YtLocalError | None, bool]:
        ctx = self.ctx
        sandbox = launch.sandbox
        outcome = run_job(launch, self.stopped, self.processes)
        info.stderr = outcome.stderr
        chunks: list[Chunk] = []
        error = outcome.error
        try:
            if error is None:
                for table, path in enumerate(outcome.outputs):
                    rows = read_output(path, plan.output_format, table)
                    chunks.append(rows_to_chunk(ctx, rows))
        except YtLocalError as failure:
            error = YtLocalError("User job failed", code=1205, inner=[failure])
        finally:
            shutil.rmtree(sandbox, ignore_errors=True)
            for path in outcome.outputs:
                path.unlink(missing_ok=True)
            sandbox.with_name(f"{sandbox.name}.stderr").unlink(missing_ok=True)
        return chunks, error, outcome.killed

    def _finish(self, info: JobInfo, error: YtLocalError | None, killed: bool) -> None:
        ctx = self.ctx
        with ctx.lock:
            ctx.jobs.running -= 1
            info.finish_time = now_iso()
            if error is None:
                info.state = "completed"
                ctx.jobs.completed += 1
            elif killed:
                info.state = "aborted"
                ctx.jobs.aborted += 1
            else:
                info.state = "failed"
                info.error = error.to_yt()
                ctx.jobs.failed += 1
                ctx.jobs.pending += 1  # it runs again unless the operation fails
            ctx.stderrs[info.id] = info.stderr

    def _count_failure(self, error: YtLocalError) -> None:
        limit = max_failed_job_count(self.ctx)
        with self.ctx.lock:
            failed = self.ctx.jobs.failed
        if failed >= limit:
            self._fail(
                YtLocalError(
                    "Failed jobs limit exceeded",
                    attributes={"max_failed_job_count": limit},
                    inner=[error],
                )
            )

    def _fail(self, error: YtLocalError) -> None:
        with self.ctx.lock:
            if self.failure is None:
                self.failure = error
        self.stop.set()


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else int(milliseconds) / 1000


def _tmpfs_paths(user_spec: dict[str, Any]) -> tuple[str, ...]:
    """Folders YT would mount as tmpfs; here plain folders the job can write to."""
    paths = [str(user_spec["tmpfs_path"])] if user_spec.get("tmpfs_path") else []
    volumes: list[Any] = list(user_spec.get("tmpfs_volumes") or [])
    paths.extend(str(volume["path"]) for volume in volumes)
    for path in paths:
        if path.startswith("/") or ".." in path.split("/"):
            raise YtLocalError(f"tmpfs path {path!r} must be relative to the sandbox")
    return tuple(paths)


def _with_stderr(error: YtLocalError, stderr: bytes) -> YtLocalError:
    """The job's error with the tail of its stderr, as the operation's result shows it."""
    if not stderr:
        return error
    tail = stderr[-STDERR_IN_ERROR_BYTES:].decode("utf-8", errors="replace")
    return YtLocalError(
        error.message,
        code=error.code,
        attributes={**error.attributes, "stderr": tail},
        inner=error.inner,
    )
