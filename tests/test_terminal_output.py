"""Colour on a terminal, plain text otherwise (pipes, CI logs, .dev/operation.log)."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "01_hello_world"
YTFLOW = str(Path(sys.executable).with_name("ytflow"))
ESCAPE = "\x1b["


def _copy_example(tmp_path: Path) -> Path:

    target = tmp_path / "hello"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dev"))
    return target


def _run_in_pty(command: list[str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in {"NO_COLOR", "TERM"}}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(command, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(), b"".join(chunks).decode(errors="replace")


def test_terminal_gets_colour_and_stage_timings(tmp_path: Path) -> None:
    pipeline = _copy_example(tmp_path)
    code, output = _run_in_pty([YTFLOW, "run", str(pipeline)])
    assert code == 0, output
    assert ESCAPE in output
    assert "stage hello started" in output
    assert "finished in" in output


def test_pipe_and_log_file_get_plain_text(tmp_path: Path) -> None:
    pipeline = _copy_example(tmp_path)
    result = subprocess.run(
        [YTFLOW, "run", str(pipeline)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "stage hello started" in result.stderr
    assert ESCAPE not in result.stderr
    log = (pipeline / ".dev" / "operation.log").read_text()
    assert "[hello] wrote 2 greetings" in log
    assert ESCAPE not in log
