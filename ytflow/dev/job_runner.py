"""Running one dev job: a subprocess in the sandbox, fed its input range, watched like on YT.

The job gets a clean environment (what the launcher needs, the secure vault, ``PATH``) and
its own session, so the driver can kill its whole process tree at once (cancel, interrupt,
time limit, memory limit: ``os.killpg``). Output table 0 is its stdout and table k file
descriptor 3k+1, each a pipe into a checker process (``job_output.py``) that writes the
output file and fails the attempt at the first line YT would refuse. Its stderr is read by
the driver, secrets masked, into the attempt's stderr file and the stage's log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ytflow.client.row_encoding import MAX_ROW_WEIGHT
from ytflow.dev import job_output
from ytflow.dev.job_input import Segment, open_input, read_position
from ytflow.dev.job_memory import tree_rss

_POLL_SECONDS = 0.05
_STDERR_LINE_BYTES = 1 << 16  # a longer stderr line is stored in pieces
_PIPE_BYTES = 1 << 20
_CHECKER_GRACE_SECONDS = 60
_CHECKER = [sys.executable, "-I", job_output.__file__]
STDERR_TAIL_LINES = 20


def _unmasked(text: str) -> str:
    return text


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
    on_log_line: Callable[[str], None] | None = None  # each (masked) stderr line
    mask: Callable[[str], str] = _unmasked  # hides secret values in stored stderr
    max_row_weight: int = MAX_ROW_WEIGHT


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
        pipes = [_pipe() for _ in spec.outputs]
        unclosed = {fd for pair in pipes for fd in pair}
        stack.callback(_close_all, unclosed)
        env = dict(spec.env)
        extra = [write for _, write in pipes[1:]]
        if extra:
            env["YTFLOW_FD_MAP"] = ",".join(
                f"{3 * table + 1}:{fd}" for table, fd in enumerate(extra, 1)
            )
        stdout: int = pipes[0][1] if pipes else subprocess.DEVNULL
        if spec.on_output_line is not None:
            stdout = subprocess.PIPE
        stderr = subprocess.PIPE if spec.stderr else subprocess.STDOUT
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
                pass_fds=extra,
                start_new_session=True,
            )
        except OSError as error:
            return JobOutcome(spec.index, spec.attempt, None, f"could not start: {error}")
        finally:
            if spec.inputs:
                os.close(stdin)
        stack.callback(_kill, process)  # whatever happens, nothing of the job outlives this
        _close_all(unclosed, {write for _, write in pipes})
        checkers: list[subprocess.Popen[bytes]] = []
        stack.callback(_stop_checkers, checkers)
        try:
            for (read, _), path in zip(pipes, spec.outputs, strict=True):
                checkers.append(_start_checker(read, path, spec))
        except OSError as error:
            return JobOutcome(spec.index, spec.attempt, None, f"could not check output: {error}")
        _close_all(unclosed)
        threads = _start_io_threads(spec, process)
        start = spec.inputs[0].start if spec.inputs and scratch is None else 0
        watch = _Watch(process, checkers, spec.memory_limit, _Reader(start, on_input_bytes))
        exceeded = watch.wait(cancel)
        _kill(process)  # as on YT, the job's leftover processes go with it
        if cancel.is_set():
            _stop_checkers(checkers)  # their verdict no longer matters: stop at once
        reports = [_report(checker) for checker in checkers]
        for thread in threads:
            thread.join()
    seconds = time.perf_counter() - started
    return _judge(spec, process.returncode, exceeded, reports, cancel=cancel, seconds=seconds)


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # Linux only: larger pipe, fewer wakeups
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[attr-defined]
    return read, write


def _close_all(unclosed: set[int], which: set[int] | None = None) -> None:
    """Close each fd once (a second close could hit a descriptor another thread reopened)."""
    for fd in sorted(unclosed if which is None else which & unclosed):
        unclosed.discard(fd)
        with contextlib.suppress(OSError):
            os.close(fd)


def _start_checker(read: int, path: Path, spec: JobSpec) -> subprocess.Popen[bytes]:
    """The process that copies one output pipe into its file, checking every line."""
    return subprocess.Popen(
        [*_CHECKER, str(path), str(spec.max_row_weight)],
        stdin=read,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a Ctrl-C in the terminal reaches the driver only
    )


def _stop_checkers(checkers: list[subprocess.Popen[bytes]]) -> None:
    for checker in checkers:
        if checker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                checker.kill()
            checker.wait()


def _report(checker: subprocess.Popen[bytes]) -> dict[str, Any]:
    try:
        # Seconds at most once the job is gone, unless a process that left the job's
        # session still holds the pipe open: then the checker is stopped.
        out, err = checker.communicate(timeout=_CHECKER_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _stop_checkers([checker])
        out, err = checker.communicate()
    try:
        report: dict[str, Any] = json.loads(out)
    except ValueError:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no report"]
        return {"crashed": f"the output checker failed ({detail[0]})"}
    return report


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


class _Watch:
    """Waits for a job; stops it on cancel, at its memory limit, or at a bad output line."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        checkers: list[subprocess.Popen[bytes]],
        memory_limit: int | None,
        reader: _Reader,
    ) -> None:
        self.process = process
        self.checkers = checkers
        self.memory_limit = memory_limit
        self.reader = reader
        self._next_memory_check = 0.0

    def wait(self, cancel: threading.Event) -> str | None:
        """Return the memory failure, if the job was killed for it."""
        process = self.process
        while True:
            try:
                process.wait(timeout=_POLL_SECONDS)
                return None
            except subprocess.TimeoutExpired:
                pass
            self.reader.poll(process.pid)
            if cancel.is_set() or any(checker.poll() is not None for checker in self.checkers):
                _kill(process)  # a checker that stopped early found a bad line
                process.wait()
                return None
            exceeded = self._memory_exceeded()
            if exceeded:
                _kill(process)
                process.wait()
                return exceeded

    def _memory_exceeded(self) -> str | None:
        now = time.monotonic()
        if self.memory_limit is None or now < self._next_memory_check:
            return None
        measured = tree_rss(self.process.pid)
        if measured is None:
            return None  # the operation refused to start if this machine cannot measure
        used, pause = measured
        self._next_memory_check = now + pause
        if used <= self.memory_limit:
            return None
        return (
            f"memory limit exceeded: the job used {used / 2**20:.0f} MiB, its limit "
            f"(resources.memory_limit_gb) is {self.memory_limit / 2**20:.0f} MiB"
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the job's whole process group (its session), leader reaped or not."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _start_io_threads(spec: JobSpec, process: subprocess.Popen[bytes]) -> list[threading.Thread]:
    threads: list[threading.Thread] = []
    if spec.on_output_line is not None and process.stdout is not None:
        threads.append(
            threading.Thread(target=_pump_lines, args=(process.stdout, spec.on_output_line))
        )
    if spec.stderr is not None and process.stderr is not None:
        threads.append(threading.Thread(target=_store_stderr, args=(process.stderr, spec)))
    for thread in threads:
        thread.daemon = True
        thread.start()
    return threads


def _pump_lines(stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
    with stream:
        for line in stream:
            sink(line)


def _store_stderr(stream: IO[bytes], spec: JobSpec) -> None:
    """Masked stderr lines into the attempt's stderr file and the stage's log."""
    assert spec.stderr is not None
    with stream, spec.stderr.open("wb") as stored:
        while line := stream.readline(_STDERR_LINE_BYTES):
            text = spec.mask(line.decode("utf-8", "replace").rstrip("\n"))
            stored.write(text.encode() + b"\n")
            if spec.on_log_line is not None:
                spec.on_log_line(text)


def _judge(
    spec: JobSpec,
    status: int,
    exceeded: str | None,
    reports: list[dict[str, Any]],
    *,
    cancel: threading.Event,
    seconds: float,
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
    if cancel.is_set():
        return JobOutcome(**base, failure="cancelled")
    for table, report in enumerate(reports):
        bad = report.get("bad")
        if bad is not None:
            where = "stdout" if table == 0 else f"file descriptor {3 * table + 1}"
            what = (
                "a row over the row weight limit"
                if bad["too_heavy"]
                else "a line that is not a JSON object"
            )
            return JobOutcome(
                **base,
                failure=f"wrote {what} to output table {table} ({where}), line "
                f"{bad['line_number']} is {bad['reason']}: {bad['text']!r}",
            )
    if status != 0:
        how = (
            f"was killed by signal {signal.Signals(-status).name}"
            if status < 0
            else f"exited with status {status}"
        )
        return JobOutcome(**base, failure=how)
    for report in reports:
        if "crashed" in report:
            return JobOutcome(**base, failure=report["crashed"])
    return JobOutcome(**base, output_rows=[int(report["rows"]) for report in reports])


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
