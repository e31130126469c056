"""The issue's "done when": `examples/local_yt/tour.py`, a script written only against
`yt.wrapper`, passes against `ytflow local-yt` started from the CLI, in both client
configurations, and a restart of the endpoint keeps the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parents[1] / "examples" / "local_yt" / "tour.py"
YTFLOW = str(Path(sys.executable).with_name("ytflow"))


def _start(root: Path, port_file: Path) -> subprocess.Popen[bytes]:
    port_file.unlink(missing_ok=True)
    with (root.parent / "local-yt.stderr").open("ab") as log:
        process = subprocess.Popen(
            [YTFLOW, "local-yt", "--port", "0", "--root", str(root), "--port-file", str(port_file)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            error = (root.parent / "local-yt.stderr").read_text()
            raise AssertionError(f"local-yt did not start: {error}")
        time.sleep(0.05)
    return process


def _tour(port: str, flavor: str) -> str:
    env = {**os.environ, "YT_PROXY": f"http://127.0.0.1:{port}"}
    result = subprocess.run(
        [sys.executable, str(TOUR), flavor],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


@pytest.mark.slow  # about 50 s: a dozen operations, Python jobs importing yt.wrapper
def test_tour_passes_in_both_configurations_and_survives_a_restart(tmp_path: Path) -> None:
    root, port_file = tmp_path / "localyt", tmp_path / "port"
    process = _start(root, port_file)
    try:
        first = _tour(port_file.read_text().strip(), "yson")
    finally:
        _stop(process)
    assert "tour complete" in first
    process = _start(root, port_file)
    try:
        second = _tour(port_file.read_text().strip(), "json")
    finally:
        _stop(process)
    assert "ok  kept across runs" in second
    assert "tour complete" in second
