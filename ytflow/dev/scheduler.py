"""Running a set of jobs like YT's scheduler: bounded parallelism, retries, a failure budget."""

from __future__ import annotations

import os
import threading
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
) -> list[JobOutcome]:
    """Run jobs ``0..count-1``; return their successful outcomes in job order.

    A failed attempt is retried until ``max_failed`` attempts have failed in total; then the
    running jobs are killed and ``JobsFailed`` carries the attempt that tipped it over.
    """
    cancel = threading.Event()
    results: dict[int, JobOutcome] = {}
    failed = 0
    fatal: JobOutcome | None = None
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:

        def submit(index: int, attempt: int) -> Future[JobOutcome]:
            return pool.submit(
                run_job,
                make_spec(index, attempt),
                cancel=cancel,
                on_input_bytes=progress.add_input_bytes,
            )

        pending = {submit(index, 0): index for index in range(count)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                pending.pop(future)
                outcome = future.result()
                if outcome.ok:
                    results[outcome.index] = outcome
                    progress.job_done(outcome.index, outcome.seconds)
                    continue
                if outcome.failure == "cancelled":
                    continue
                failed += 1
                progress.job_failed()
                if failed >= max_failed and fatal is None:
                    fatal = outcome
                    cancel.set()
                elif fatal is None:
                    pending[submit(outcome.index, outcome.attempt + 1)] = outcome.index
    if fatal is not None:
        raise JobsFailed(fatal, failed)
    return [results[index] for index in range(count)]
