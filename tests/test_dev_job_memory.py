"""Memory limits without ``/proc`` (macOS): measured through ``ps``, or refused, never ignored.

The Linux reads are hidden by monkeypatching ``proc_tree_rss`` (the one function that reads
``/proc``), so these tests run the fallbacks for real on Linux.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ytflow.dev import job_memory
from ytflow.dev.job_runner import JobSpec, run_job
from ytflow.dev.operations import memory_limit_bytes
from ytflow.errors import OperationError
from ytflow.ops import Resources

HOG = "import time; block = bytearray(300 * 2**20); block[::4096] = b'x' * len(block[::4096]); "


def _hide_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_memory, "proc_tree_rss", lambda pid: None)


def _hog_tree() -> subprocess.Popen[bytes]:
    """A process whose child holds 300 MiB: only a whole-tree measure sees it."""
    hog = HOG + "time.sleep(60)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {hog!r}])"
    return subprocess.Popen([sys.executable, "-c", child], start_new_session=True)


def test_ps_measures_the_whole_tree_like_proc_does() -> None:
    process = _hog_tree()
    try:
        for _ in range(100):
            via_proc = job_memory.proc_tree_rss(process.pid) or 0
            if via_proc > 300 * 2**20:
                break
            threading.Event().wait(0.05)
        via_ps = job_memory.ps_tree_rss(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the tree is its own process group
        process.wait()
    assert via_proc > 300 * 2**20
    assert via_ps is not None
    assert abs(via_ps - via_proc) < 50 * 2**20


def test_without_proc_a_job_over_its_memory_limit_is_still_killed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _hide_proc(monkeypatch)
    spec = JobSpec(
        index=0,
        attempt=0,
        argv=[sys.executable, "-c", HOG + "time.sleep(60)"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        outputs=[tmp_path / "out0.jsonl"],
        stderr=tmp_path / "job.stderr",
        memory_limit=100 * 2**20,
    )

    outcome = run_job(spec, cancel=threading.Event(), on_input_bytes=lambda count: None)

    assert outcome.failure is not None
    assert outcome.failure.startswith("memory limit exceeded: the job used"), outcome.failure
    assert outcome.seconds < 20


def test_where_memory_cannot_be_measured_a_memory_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_proc(monkeypatch)
    monkeypatch.setattr(job_memory, "ps_tree_rss", lambda pid: None)

    with pytest.raises(OperationError, match="memory_limit_gb cannot be enforced on this machine"):
        memory_limit_bytes(Resources(memory_limit_gb=1))
    assert memory_limit_bytes(Resources()) is None  # no limit: nothing to enforce


def test_ps_missing_from_path_reads_as_cannot_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")

    assert job_memory.ps_tree_rss(1) is None
