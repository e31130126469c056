"""Vanilla operations in dev: ``job_count`` copies of a command, all running at once.

Each copy runs in ``.dev/<stage>_sandbox/`` (the extracted bundle) and is told its index
through ``YT_JOB_COOKIE``, as on YT. Its stdout and stderr go, line by line, to
``.dev/<stage>.log`` and to the terminal with a ``[stage#index]`` prefix.
"""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ytflow.bundle import Bundle, extract_bundle, vanilla_command
from ytflow.dev.job_runner import JobSpec
from ytflow.dev.operations import memory_limit_bytes, time_limit_error
from ytflow.dev.progress import OperationProgress
from ytflow.dev.scheduler import JobsFailed, TimeLimitExceeded, run_jobs
from ytflow.dev.stage_log import StageLog
from ytflow.errors import OperationError
from ytflow.ops import OperationResult, VanillaOperation

TAIL_LINES = 20


def run_vanilla(
    spec: VanillaOperation,
    stage: str,
    *,
    dev_dir: Path,
    bundle: Bundle,
    job_env: Callable[[Path], dict[str, str]],
    mask: Callable[[str], str],
    open_log: Callable[[], StageLog],
) -> OperationResult:
    """Run the vanilla operation; raise ``OperationError`` once the failure budget is spent."""
    sandbox = dev_dir / f"{stage}_sandbox"
    extract_bundle(bundle, sandbox)
    (sandbox / "tmp").mkdir(exist_ok=True)
    argv = vanilla_command(spec.command, stage, bundle.files)
    count = spec.resources.job_count or 1
    env = job_env(sandbox)
    # A shell command gets what the launcher gives a script: the config and the bundle.
    env["JOB_CONFIG_PATH"] = str(sandbox / "stages" / stage / "config.yaml")
    env["PYTHONPATH"] = str(sandbox)
    memory = memory_limit_bytes(spec.resources)
    log = open_log()
    lock = threading.Lock()
    tails = {index: collections.deque[str](maxlen=TAIL_LINES) for index in range(count)}
    with log:

        def sink_for(index: int) -> Callable[[bytes], None]:
            prefix = f"[{stage}#{index}] " if count > 1 else f"[{stage}] "

            def sink(line: bytes) -> None:
                text = mask(line.decode("utf-8", "replace").rstrip("\n"))
                log.write((prefix if count > 1 else "") + text)
                with lock:
                    tails[index].append(text)
                    print(prefix + text, file=sys.stderr, flush=True)

            return sink

        def make_spec(index: int, attempt: int) -> JobSpec:
            tails[index].clear()
            return JobSpec(
                index=index,
                attempt=attempt,
                argv=argv,
                cwd=sandbox,
                env={
                    **env,
                    "YT_JOB_COOKIE": str(index),
                    "YT_JOB_INDEX": str(index),
                    "PYTHONUNBUFFERED": "1",  # echo output live, in the order it was printed
                },
                memory_limit=memory,
                on_output_line=sink_for(index),
            )

        progress = OperationProgress(spec.describe(), jobs=count, input_bytes=0, input_rows=0)
        try:
            run_jobs(
                make_spec,
                count,
                parallelism=count,
                max_failed=spec.max_failed_job_count,
                progress=progress,
                time_limit=spec.time_limit_seconds,
            )
        except TimeLimitExceeded:
            title = f"vanilla {spec.command}"
            raise time_limit_error(title, spec.time_limit_seconds or 0, log.path) from None
        except JobsFailed as failure:
            outcome = failure.outcome
            raise OperationError(
                f"vanilla {spec.command} failed: job {outcome.index} {outcome.failure}",
                job_index=outcome.index,
                exit_status=outcome.exit_status,
                stderr_tail=list(tails[outcome.index]),
                hint=f"{failure.failed} job attempt(s) failed (max_failed_job_count: "
                f"{spec.max_failed_job_count}); the full output is in {log.path}",
            ) from None
    return OperationResult(spec.describe(), {}, jobs=count, failed_jobs=progress.failed_jobs)
