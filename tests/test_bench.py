"""The benchmark suite runs (a smoke run: it asserts the table, never a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_quick_prints_every_workload() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| workload | target | ytflow s | baseline s | ratio | ytflow peak RSS MB |" in lines
    for key in ("W1", "W2", "W7", "I"):
        assert any(line.startswith(f"| {key} ") for line in lines), key
