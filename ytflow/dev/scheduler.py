"""Running a set of jobs like YT's scheduler: bounded parallelism, retries, a failure budget.

However the run ends early (a failure past the budget, the operation's time limit, Ctrl-C,
SIGTERM turned into an exception), queued jobs never start and every running job's process
tree is killed before the exception leaves ``run_jobs``: a stopped operation leaves nothing
running behind it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ytflow.dev.job_runner import JobOutcome, JobSpec, run_job
from ytflow.dev.progress import OperationProgress


class JobsFailed(Exception):
    """Raised when failed attempts reach ``max_failed_job_count``."""

    def __init__(self, outcome: JobOutcome, failed: int) -> None:
        super().__init__(outcome.failure)
        self.outcome = outcome
        self.failed = failed


class TimeLimitExceeded(Exception):
    """Raised when the operation runs longer than its ``time_limit_seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"time limit of {seconds:g} s exceeded")
        self.seconds = seconds


def _attempt(
    spec: JobSpec, *, cancel: threading.Event, on_input_bytes: Callable[[int], None]
) -> JobOutcome:
    """One attempt; a system error (no fd left, disk full) fails it like a job failure."""
    try:
        return run_job(spec, cancel=cancel, on_input_bytes=on_input_bytes)
    except OSError as error:
        return JobOutcome(spec.index, spec.attempt, None, f"could not run: {error}")


def default_parallelism() -> int:
    """At most one job per CPU at a time, as a node would schedule them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_jobs(
    make_spec: Callable[[int, int], JobSpec],
    count: int,
    *,
    parallelism: int,
    max_failed: int,
    progress: OperationProgress,
    time_limit: float | None = None,
) -> list[JobOutcome]:
    """Run jobs ``0..count-1``; return their successful outcomes in job order.

    A failed attempt is retried until ``max_failed`` attempts have failed in total; then the
    running jobs are killed and ``JobsFailed`` carries the attempt that tipped it over.
    Past ``time_limit`` seconds every job is killed and ``TimeLimitExceeded`` raised.
    """
    cancel = threading.Event()
    results: dict[int, JobOutcome] = {}
    failed = 0
    deadline = None if time_limit is None else time.monotonic() + time_limit
    pool = ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="ytflow-job")

    def submit(index: int, attempt: int) -> Future[JobOutcome]:
        spec = make_spec(index, attempt)
        return pool.submit(_attempt, spec, cancel=cancel, on_input_bytes=progress.add_input_bytes)

    try:
        pending = {submit(index, 0): index for index in range(count)}
        while pending:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                raise TimeLimitExceeded(time_limit or 0)
            finished, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in finished:
                pending.pop(future)
                outcome = future.result()
                if outcome.ok:
                    results[outcome.index] = outcome
                    progress.job_done(outcome.index, outcome.seconds)
                    continue
                failed += 1
                progress.job_failed()
                if failed >= max_failed:
                    raise JobsFailed(outcome, failed)
                pending[submit(outcome.index, outcome.attempt + 1)] = outcome.index
    finally:
        # Normally a no-op; after an error or an interrupt, the jobs still running see the
        # event within one poll and kill their process trees, queued ones never start.
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[index] for index in range(count)]
