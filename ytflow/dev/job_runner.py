"""Running one dev job: a subprocess in the sandbox, fed its input range, watched like on YT.

The job gets a clean environment (what the launcher needs, the secure vault, ``PATH``),
writes output table 0 to stdout and table k to file descriptor 3k+1, and is killed with a
"memory limit exceeded" error when its resident memory passes ``memory_limit``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ytflow.dev.job_input import Segment, open_input, read_position
from ytflow.dev.job_output import check_output

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_POLL_SECONDS = 0.05
STDERR_TAIL_LINES = 20


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to start one attempt of one job."""

    index: int
    attempt: int
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    inputs: Sequence[Segment] = ()
    outputs: Sequence[Path] = ()  # output table k -> file; table 0 is stdout
    stderr: Path | None = None  # None: stderr is merged into stdout (vanilla)
    memory_limit: int | None = None  # bytes
    on_output_line: Callable[[bytes], None] | None = None  # vanilla: stdout+stderr lines


@dataclass(frozen=True)
class JobOutcome:
    """How one attempt ended; ``failure`` is None for a success."""

    index: int
    attempt: int
    exit_status: int | None
    failure: str | None = None
    stderr_tail: list[str] = field(default_factory=list[str])
    output_rows: list[int] = field(default_factory=list[int])
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True if the attempt succeeded."""
        return self.failure is None


def run_job(
    spec: JobSpec, *, cancel: threading.Event, on_input_bytes: Callable[[int], None]
) -> JobOutcome:
    """Run one attempt to completion (or until ``cancel`` is set) and judge its output."""
    started = time.perf_counter()
    if cancel.is_set():
        return JobOutcome(spec.index, spec.attempt, None, "cancelled")
    with contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(path.open("wb")) for path in spec.outputs]
        env = dict(spec.env)
        extra = outputs[1:]
        if extra:
            env["YTFLOW_FD_MAP"] = ",".join(
                f"{3 * table + 1}:{handle.fileno()}" for table, handle in enumerate(extra, 1)
            )
        stderr: IO[bytes] | int = (
            stack.enter_context(spec.stderr.open("wb")) if spec.stderr else subprocess.STDOUT
        )
        stdout: IO[bytes] | int = outputs[0] if outputs else subprocess.DEVNULL
        if spec.on_output_line is not None:
            stdout = subprocess.PIPE
        stdin, scratch = subprocess.DEVNULL, None
        if spec.inputs:
            scratch_path = spec.cwd / "tmp" / f"input_{spec.index}.{spec.attempt}.jsonl"
            stdin, scratch = open_input(spec.inputs, scratch_path)
            if scratch is not None:
                stack.callback(scratch.unlink, missing_ok=True)
        try:
            process = subprocess.Popen(
                spec.argv,
                cwd=spec.cwd,
                env=env,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                pass_fds=[handle.fileno() for handle in extra],
                start_new_session=True,
            )
        except OSError as error:
            return JobOutcome(spec.index, spec.attempt, None, f"could not start: {error}")
        finally:
            if spec.inputs:
                os.close(stdin)
        threads = _start_io_threads(spec, process)
        start = spec.inputs[0].start if spec.inputs and scratch is None else 0
        exceeded = _supervise(process, spec.memory_limit, cancel, _Reader(start, on_input_bytes))
        for thread in threads:
            thread.join()
    return _judge(spec, process.returncode, exceeded, cancel, time.perf_counter() - started)


class _Reader:
    """Reports how much input a job has read, from its stdin's file position."""

    def __init__(self, start: int, report: Callable[[int], None]) -> None:
        self.position = start
        self.report = report

    def poll(self, pid: int) -> None:
        position = read_position(pid)
        if position is not None and position > self.position:
            self.report(position - self.position)
            self.position = position


def _start_io_threads(spec: JobSpec, process: subprocess.Popen[bytes]) -> list[threading.Thread]:
    threads: list[threading.Thread] = []
    if spec.on_output_line is not None and process.stdout is not None:
        threads.append(
            threading.Thread(target=_pump_lines, args=(process.stdout, spec.on_output_line))
        )
    for thread in threads:
        thread.daemon = True
        thread.start()
    return threads


def _pump_lines(stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
    with stream:
        for line in stream:
            sink(line)


def _supervise(
    process: subprocess.Popen[bytes],
    memory_limit: int | None,
    cancel: threading.Event,
    reader: _Reader,
) -> str | None:
    """Wait for the job; kill it on cancel or when it exceeds its memory limit."""
    while True:
        try:
            process.wait(timeout=_POLL_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        reader.poll(process.pid)
        if cancel.is_set():
            _kill(process)
            process.wait()
            return None
        if memory_limit is not None:
            used = _tree_rss(process.pid)
            if used > memory_limit:
                _kill(process)
                process.wait()
                return (
                    f"memory limit exceeded: the job used {used / 2**20:.0f} MiB, its limit "
                    f"(resources.memory_limit_gb) is {memory_limit / 2**20:.0f} MiB"
                )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (YT limits the whole job's memory)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            resident = int(Path(f"/proc/{current}/statm").read_text().split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue
        total += resident * _PAGE_SIZE
        pending.extend(int(child) for child in children)
    return total


def _judge(
    spec: JobSpec, status: int, exceeded: str | None, cancel: threading.Event, seconds: float
) -> JobOutcome:
    tail = _tail(spec.stderr) if spec.stderr else []
    base: dict[str, Any] = {
        "index": spec.index,
        "attempt": spec.attempt,
        "exit_status": status,
        "stderr_tail": tail,
        "seconds": seconds,
    }
    if exceeded:
        return JobOutcome(**base, failure=exceeded)
    if cancel.is_set() and status != 0:
        return JobOutcome(**base, failure="cancelled")
    if status != 0:
        how = (
            f"was killed by signal {signal.Signals(-status).name}"
            if status < 0
            else f"exited with status {status}"
        )
        return JobOutcome(**base, failure=how)
    rows: list[int] = []
    for table, path in enumerate(spec.outputs):
        count, bad = check_output(path)
        if bad is not None:
            where = "stdout" if table == 0 else f"file descriptor {3 * table + 1}"
            failure = (
                f"wrote a line that is not a JSON object to output table {table} ({where}), "
                f"line {bad.line_number} is {bad.reason}: {bad.text!r}"
            )
            return JobOutcome(**base, failure=failure)
        rows.append(count)
    return JobOutcome(**base, output_rows=rows)


def _tail(path: Path, *, max_bytes: int = 16384) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[-STDERR_TAIL_LINES:]
