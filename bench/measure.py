"""Timing whole processes: wall time and the process's own peak RSS (via wait4)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One process run."""

    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class Measurement:
    """The median of several runs of one command."""

    seconds: float
    peak_rss_mb: float
    runs: int


def run_once(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run ``command`` to completion; fail loudly if it fails (a benchmark of an error is void).

    Python may cache bytecode, as it does for a user: with ``PYTHONDONTWRITEBYTECODE`` set
    (some sandboxes set it) every run would compile ytflow's modules afresh, while the
    baselines' packages come precompiled.
    """
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr.decode(errors='replace')}")
    return Sample(elapsed, usage.ru_maxrss / 1024)


def measure(
    command: list[str], *, cwd: Path, repeat: int, env: dict[str, str] | None = None
) -> Measurement:
    """Median wall time and median peak RSS over ``repeat`` runs."""
    samples = [run_once(command, cwd=cwd, env=env) for _ in range(repeat)]
    return Measurement(
        statistics.median(sample.seconds for sample in samples),
        statistics.median(sample.peak_rss_mb for sample in samples),
        repeat,
    )
