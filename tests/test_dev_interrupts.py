"""Ctrl-C, SIGTERM and ``time_limit_seconds`` stop a dev operation at once, leaving nothing behind.

Each test runs ``ytflow run`` in its own process group, with jobs that ignore SIGINT and
SIGTERM, start a child of their own and sleep forever; every job and child writes its pid
to a folder. After the signal the driver must exit with 130 / 143 within about two
seconds, no process of the run may be left (recorded pids, and anything whose command line
names the pipeline folder: jobs, output checkers), and the output table keeps its rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MakePipeline, read_dev_table, stage_code, start_cli
from dev_map_helpers import MAP_STAGE, map_config, run

SLEEPER = """
import os, signal, subprocess, sys, time

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(
    [sys.executable, "-c", "import signal, time; signal.signal(2, signal.SIG_IGN); "
     "signal.signal(15, signal.SIG_IGN); time.sleep(10**6)"]
)
for pid in (os.getpid(), child.pid):
    open(os.path.join({pids!r}, str(pid)), "w").close()
sys.stdin.read()
time.sleep(10**6)
"""

CREATE = stage_code(
    """
    yt = self.deps.yt_client
    yt.write_table(table_path="//tmp/p/input", rows=[{"i": i} for i in range(4)])
    yt.write_table(table_path="//tmp/p/output", rows=[{"old": True}])
    """
)

VANILLA_STAGE = stage_code("self.run_vanilla(self.config.client.operations.vanilla)")


def _pipeline(make_pipeline: MakePipeline, tmp_path: Path, *, kind: str, **fields: object) -> Path:
    pids = tmp_path / "pids"
    pids.mkdir()
    script = SLEEPER.format(pids=str(pids))
    if kind == "map":
        return make_pipeline(
            {"create": CREATE, "mapit": MAP_STAGE},
            stage_configs={"mapit": map_config(resources={"job_count": 4}, **fields)},
            files={"stages/mapit/src/mapper.py": script},
        )
    node = "".join(f"      {key}: {value}\n" for key, value in fields.items())
    return make_pipeline(
        {"create": CREATE, "train": VANILLA_STAGE},
        stage_configs={
            "train": "client:\n  operations:\n    vanilla:\n"
            "      resources: {job_count: 2}\n" + node
        },
        files={"stages/train/src/vanilla.py": script},
    )


def _start(root: Path) -> subprocess.Popen[str]:
    return start_cli("run", root, new_session=True)  # its own process group, like a shell job


def _wait_for_pids(folder: Path, count: int, process: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = [int(name.name) for name in folder.iterdir()]
        if len(pids) >= count:
            time.sleep(0.2)  # the queued jobs stay queued
            return [int(name.name) for name in folder.iterdir()]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the jobs did not start: {process.communicate()}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}  # a zombie has stopped running


def _run_processes(root: Path) -> list[str]:
    """Live processes whose command line names the pipeline folder (jobs, checkers)."""
    found: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(root) in command and _alive(int(entry.name)):
            found.append(f"{entry.name}: {command}")
    return found


def _assert_nothing_left(root: Path, pids: list[int]) -> None:
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and (
        any(_alive(pid) for pid in pids) or _run_processes(root)
    ):
        time.sleep(0.05)
    assert [pid for pid in pids if _alive(pid)] == []
    assert _run_processes(root) == []


def _interrupt(
    root: Path, pids_dir: Path, *, expected_pids: int, send: signal.Signals, to_group: bool
) -> tuple[subprocess.CompletedProcess[str], float, list[int]]:
    process = _start(root)
    try:
        pids = _wait_for_pids(pids_dir, expected_pids, process)
        started = time.monotonic()
        if to_group:
            os.killpg(process.pid, send)
        else:
            os.kill(process.pid, send)
        out, err = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), elapsed, pids


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find processes")


@pytest.mark.parametrize(
    ("kind", "send", "to_group", "code"),
    [
        ("map", signal.SIGINT, True, 130),
        ("map", signal.SIGTERM, False, 143),
        ("vanilla", signal.SIGINT, True, 130),
    ],
)
def test_a_signal_stops_the_operation_kills_every_job_and_keeps_the_output(
    make_pipeline: MakePipeline,
    tmp_path: Path,
    kind: str,
    send: signal.Signals,
    to_group: bool,
    code: int,
) -> None:
    root = _pipeline(make_pipeline, tmp_path, kind=kind)
    # Two jobs run (2 cores), each with a child: 4 pids; with job_count 4 two jobs are queued.
    result, elapsed, pids = _interrupt(
        root, tmp_path / "pids", expected_pids=4, send=send, to_group=to_group
    )

    assert result.returncode == code, result.stderr
    assert elapsed < 3.0, elapsed
    assert "Traceback" not in result.stderr, result.stderr
    _assert_nothing_left(root, pids)
    assert len(list((tmp_path / "pids").iterdir())) == 4  # queued jobs never started
    assert read_dev_table(root, "output") == [{"old": True}]


def test_time_limit_kills_the_jobs_and_fails_the_operation(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    root = _pipeline(make_pipeline, tmp_path, kind="map", time_limit_seconds=1.5)

    started = time.monotonic()
    result = run(root)
    elapsed = time.monotonic() - started

    assert result.returncode == 1, result.stderr
    assert "failed: time limit exceeded" in result.stderr
    assert "time_limit_seconds: 1.5" in result.stderr
    assert elapsed < 15, elapsed
    _assert_nothing_left(root, [int(name.name) for name in (tmp_path / "pids").iterdir()])
    assert read_dev_table(root, "output") == [{"old": True}]


def test_time_limit_applies_to_vanilla(make_pipeline: MakePipeline, tmp_path: Path) -> None:
    root = _pipeline(make_pipeline, tmp_path, kind="vanilla", time_limit_seconds=1)

    result = run(root)

    assert result.returncode == 1, result.stderr
    assert "vanilla src/vanilla.py failed: time limit exceeded" in result.stderr
    _assert_nothing_left(root, [int(name.name) for name in (tmp_path / "pids").iterdir()])


def test_time_limit_must_be_positive(make_pipeline: MakePipeline, tmp_path: Path) -> None:
    root = _pipeline(make_pipeline, tmp_path, kind="map", time_limit_seconds=0)

    result = run(root)

    assert result.returncode == 2, result.stderr
    assert "time_limit_seconds" in result.stderr


def test_jobs_die_with_a_driver_killed_by_sigkill(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    root = _pipeline(make_pipeline, tmp_path, kind="map")
    process = _start(root)
    try:
        pids = _wait_for_pids(tmp_path / "pids", 4, process)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    _assert_nothing_left(root, pids)
    assert read_dev_table(root, "output") == [{"old": True}]


COPY_SLOWLY = """
import time
from ytjobs.io import read_rows, write_row

for row in read_rows():
    time.sleep(0.0002)
    write_row(row)
"""

TRIAL_ROWS = 6000


@pytest.mark.slow
def test_signals_at_random_moments_leave_old_or_new_output_and_no_process(
    make_pipeline: MakePipeline, tmp_path: Path
) -> None:
    """30 trials: SIGINT to the group or SIGTERM to the driver, 0.6-3 s into the run."""
    rng = random.Random(13)
    create = stage_code(
        f"""
        yt = self.deps.yt_client
        yt.write_table(table_path="//tmp/p/input", rows=[{{"i": i}} for i in range({TRIAL_ROWS})])
        if not yt.exists("//tmp/p/output"):
            yt.write_table(table_path="//tmp/p/output", rows=[{{"old": True}}])
        """
    )
    root = make_pipeline(
        {"create": create, "mapit": MAP_STAGE},
        stage_configs={"mapit": map_config(resources={"job_count": 4})},
        files={"stages/mapit/src/mapper.py": COPY_SLOWLY},
    )
    new = [{"i": i} for i in range(TRIAL_ROWS)]
    outcomes: dict[int, int] = {}
    for trial in range(30):
        send = rng.choice([signal.SIGINT, signal.SIGTERM])
        process = _start(root)
        time.sleep(rng.uniform(0.6, 3.0))  # after start-up: ytflow run is under way
        started = time.monotonic()
        if send == signal.SIGINT:
            os.killpg(process.pid, send)
        else:
            os.kill(process.pid, send)
        try:
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        elapsed = time.monotonic() - started
        expected = {0, 130 if send == signal.SIGINT else 143}
        if "pipeline finished" in err:  # the signal came as the process was exiting
            expected.add(-send)
        assert process.returncode in expected, (trial, process.returncode, err)
        assert elapsed < 3.0, (trial, elapsed)
        assert "Traceback" not in err, err
        _assert_nothing_left(root, [])
        output = read_dev_table(root, "output")
        assert output in ([{"old": True}], new), (trial, len(output))
        outcomes[process.returncode] = outcomes.get(process.returncode, 0) + 1
    print(f"exit codes over 30 trials: {outcomes}")  # for docs/reliability.md
    assert outcomes.get(130, 0) + outcomes.get(143, 0) > 0, outcomes
