"""One job of a local-yt operation: a subprocess in its own sandbox, watched as YT watches it.

The job runs ``bash -c <command>`` in a fresh sandbox holding the spec's files, with its own
session so the whole process tree can be killed at once (abort, memory limit, endpoint
shutdown). Its stdin, its stderr and each output table are plain files, not pipes: data of
any size streams through the file system, and no reader thread can deadlock with the job.
Output table k is file descriptor 3k+1 (table 0 is stdout), as on a YT node; with the spec's
``redirect_stdout_to_stderr`` stdout joins stderr and table k is 3k+4, as YT does (it says so
in ``YT_FIRST_OUTPUT_TABLE_FD``, which the client's Python jobs read).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytflow.dev.job_memory import tree_rss
from ytflow.localyt.yt_errors import YtLocalError

# Codes from yt/yt/server/lib/job_proxy/public.h and yt/yt/library/process/public.h.
MEMORY_LIMIT_EXCEEDED = 1200
JOB_TIME_LIMIT_EXCEEDED = 1202
USER_JOB_FAILED = 1205
PROCESS_NON_ZERO_EXIT = 10000
PROCESS_SIGNAL = 10001

MAX_STDERR_BYTES = 5 << 20  # YT's default max_stderr_size
_POLL_SECONDS = 0.05
_HIGH_FD = 200  # outputs are parked above the descriptors bash remaps them to
_SHELL = "/bin/bash" if Path("/bin/bash").exists() else "/bin/sh"


@dataclass(frozen=True)
class SandboxFile:
    """A file the job finds in its working directory (from the spec's ``file_paths``)."""

    name: str
    sources: tuple[Path, ...]  # chunk files, concatenated
    executable: bool = False


@dataclass(frozen=True)
class JobLaunch:
    """Everything one attempt of one job needs."""

    command: str
    sandbox: Path
    environment: dict[str, str]
    files: tuple[SandboxFile, ...] = ()
    stdin: Path | None = None  # the job's input rows, already in its format
    output_count: int = 1
    memory_limit: int | None = None  # bytes of resident memory for the whole process tree
    time_limit: float | None = None  # seconds (the spec's job_time_limit)
    directories: tuple[str, ...] = ()  # made in the sandbox (tmpfs_path: a plain folder here)
    first_output_fd: int = 1  # 4 when stdout goes to stderr (redirect_stdout_to_stderr)


@dataclass
class JobExit:
    """How an attempt ended: its output streams (table k -> file), stderr and error."""

    outputs: list[Path]
    stderr: bytes
    error: YtLocalError | None = None
    killed: bool = False  # stopped by the operation (abort, shutdown), not failed by itself


class JobProcesses:
    """The process groups of running jobs, so abort and shutdown can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()

    def add(self, pid: int) -> None:
        with self._lock:
            self._groups.add(pid)

    def discard(self, pid: int) -> None:
        with self._lock:
            self._groups.discard(pid)

    def kill_all(self) -> None:
        with self._lock:
            groups = list(self._groups)
        for group in groups:
            _kill_group(group)


def run_job(launch: JobLaunch, cancelled: Callable[[], bool], processes: JobProcesses) -> JobExit:
    """Run one attempt to its end (or until ``cancelled()``)."""
    _prepare_sandbox(launch)
    outputs = [
        launch.sandbox.parent / f"{launch.sandbox.name}.out{k}" for k in range(launch.output_count)
    ]
    stderr_path = launch.sandbox.parent / f"{launch.sandbox.name}.stderr"
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(path.open("wb")) for path in outputs]
        stderr_handle = stack.enter_context(stderr_path.open("wb"))
        stdin = (
            stack.enter_context(launch.stdin.open("rb"))
            if launch.stdin is not None
            else subprocess.DEVNULL
        )
        # Table 0 is stdout unless stdout goes to stderr (redirect_stdout_to_stderr: tables
        # start at fd 4); the other tables are parked high and moved into place by bash.
        on_stdout = handles[0] if handles and launch.first_output_fd == 1 else None
        parked = [
            fcntl.fcntl(handle.fileno(), fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
            for handle in handles[1 if on_stdout else 0 :]
        ]
        stack.callback(_close_fds, parked)
        first = 1 if on_stdout else 0
        redirects = " ".join(
            f"{3 * table + launch.first_output_fd}>&{fd} {fd}>&-"
            for table, fd in enumerate(parked, first)
        )
        # fd 5 takes user job statistics on YT; local-yt does not report them
        script = f"exec 5>/dev/null {redirects}\n{launch.command}"
        stdout: Any = on_stdout or subprocess.DEVNULL
        if launch.first_output_fd != 1:
            stdout = stderr_handle
        try:
            process = subprocess.Popen(
                [_SHELL, "-c", script],
                cwd=launch.sandbox,
                env=launch.environment,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr_handle,
                pass_fds=parked,
                start_new_session=True,
            )
        except OSError as error:
            return JobExit(outputs, b"", _job_error(f"Failed to start the job process: {error}"))
        processes.add(process.pid)
        try:
            exceeded = _watch(process, launch, cancelled)
        finally:
            _kill_group(process.pid)  # as on YT, the job's leftover processes go with it
            processes.discard(process.pid)
    stderr = _read_stderr(stderr_path)
    if cancelled():
        return JobExit(outputs, stderr, _job_error("Job aborted by the operation"), killed=True)
    if exceeded is not None:
        return JobExit(outputs, stderr, _job_error("User job failed", inner=exceeded))
    status = process.returncode
    if status == 0:
        return JobExit(outputs, stderr)
    if status < 0:
        name = signal.Signals(-status).name
        inner = YtLocalError(
            f"Process terminated by signal {name}",
            code=PROCESS_SIGNAL,
            attributes={"signal": -status, "signal_name": name},
        )
    else:
        inner = YtLocalError(
            f"Process exited with code {status}",
            code=PROCESS_NON_ZERO_EXIT,
            attributes={"exit_code": status},
        )
    return JobExit(outputs, stderr, _job_error("User job failed", inner=inner))


def _job_error(message: str, inner: YtLocalError | None = None) -> YtLocalError:
    return YtLocalError(message, code=USER_JOB_FAILED, inner=[inner] if inner else [])


def _prepare_sandbox(launch: JobLaunch) -> None:
    """A fresh working directory with the job's files (copies: a job may change its own)."""
    shutil.rmtree(launch.sandbox, ignore_errors=True)
    launch.sandbox.mkdir(parents=True)
    for name in ("tmp", *launch.directories):
        (launch.sandbox / name).mkdir(parents=True, exist_ok=True)
    for item in launch.files:
        target = launch.sandbox / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for source in item.sources:
                with source.open("rb") as data:
                    shutil.copyfileobj(data, out, 1 << 20)
        mode = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH
        if item.executable:
            mode |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        target.chmod(mode)


def _watch(
    process: subprocess.Popen[bytes], launch: JobLaunch, cancelled: Callable[[], bool]
) -> YtLocalError | None:
    """Wait for the job; the error if it was killed at its memory or time limit."""
    memory_limit = launch.memory_limit
    deadline = None if launch.time_limit is None else time.monotonic() + launch.time_limit
    next_check = 0.0
    while True:
        try:
            process.wait(timeout=_POLL_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        if cancelled():
            _kill_group(process.pid)
            process.wait()
            return None
        if deadline is not None and time.monotonic() > deadline:
            _kill_group(process.pid)
            process.wait()
            return YtLocalError(
                "Job time limit exceeded",
                code=JOB_TIME_LIMIT_EXCEEDED,
                attributes={"limit": int((launch.time_limit or 0) * 1000)},
            )
        if memory_limit is None:
            continue
        next_check -= _POLL_SECONDS
        if next_check > 0:
            continue
        measured = tree_rss(process.pid)
        if measured is None:
            continue
        used, pause = measured
        next_check = pause
        if used > memory_limit:
            _kill_group(process.pid)
            process.wait()
            return YtLocalError(
                "Memory limit exceeded",
                code=MEMORY_LIMIT_EXCEEDED,
                attributes={"rss": used, "limit": memory_limit},
            )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _close_fds(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _read_stderr(path: Path) -> bytes:
    """The job's stderr, its last MAX_STDERR_BYTES if it wrote more (YT keeps a bounded one)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - MAX_STDERR_BYTES))
            return handle.read()
    except OSError:
        return b""
