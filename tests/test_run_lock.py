"""The pipeline run lock: two runs of one pipeline never share ``.dev/``; pipelines side by side.

Every run here is a real ``ytflow run`` subprocess on a real pipeline with a map operation;
the assertions are on the rows the runs leave, not only on exit codes.
"""

from __future__ import annotations

import fcntl
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    MakePipeline,
    _env,
    read_dev_table,
    run_cli,
    stage_code,
    start_cli,
)
from dev_map_helpers import COPY_MAPPER, MAP_STAGE, MAPPER, create_stage, map_config

from ytflow.core.run_lock import HOLDER_NAME, LOCK_NAME

ROWS = 2000
DOUBLE_MAPPER = """
from ytjobs.io import read_rows, write_row

for row in read_rows():
    write_row({"i": row["i"], "twice": row["i"] * 2, "tag": row["tag"]})
"""


def gate_stage(go_file: Path) -> str:
    """A stage that waits (at most 60 s) until ``go_file`` exists: the run holds its lock."""
    return stage_code(
        f"""
        deadline = time.monotonic() + 60
        while not pathlib.Path({str(go_file)!r}).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        """,
        imports="import pathlib\nimport time",
    )


def lock_pipeline(
    make_pipeline: MakePipeline, name: str, *, go_file: Path | None = None, mapper: str = ""
) -> Path:
    """create (ROWS rows tagged with ``name``) -> [gate] -> a two-job map into //tmp/p/output."""
    stages = {"create": create_stage(f'({{"i": i, "tag": "{name}"}} for i in range({ROWS}))')}
    if go_file is not None:
        stages["gate"] = gate_stage(go_file)
    stages["mapit"] = MAP_STAGE
    config = map_config(resources={"job_count": 2})
    return make_pipeline(
        stages,
        stage_configs={"mapit": config},
        files={MAPPER: mapper or COPY_MAPPER},
        name=name,
    )


def start_run(root: Path) -> subprocess.Popen[str]:
    return start_cli("run", root)


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def expected_rows(tag: str) -> list[dict[str, object]]:
    return [{"i": i, "tag": tag} for i in range(ROWS)]


def test_second_run_of_one_pipeline_fails_at_once_naming_the_first(make_pipeline, tmp_path):
    go = tmp_path / "go"
    root = lock_pipeline(make_pipeline, "one", go_file=go)
    first = start_run(root)
    try:
        wait_for(root / ".dev" / HOLDER_NAME, first)
        started = time.monotonic()
        second = run_cli("run", root)
        elapsed = time.monotonic() - started
        # tables and show take no run lock: they work while the first run is in progress.
        listed = run_cli("tables", root)
        shown = run_cli("show", "input", "--dir", root, "--json", "--limit", "3")
    finally:
        go.touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 3, (second.returncode, second.stderr)
    assert f"pid {first.pid}" in second.stderr, second.stderr
    assert "another run of this pipeline is in progress" in second.stderr
    assert "started 20" in second.stderr  # the holder's start time, ISO format
    assert "hint:" in second.stderr and "Traceback" not in second.stderr
    assert elapsed < 10, elapsed  # fails at once (interpreter start-up dominates)
    assert "stage create started" not in second.stderr  # nothing of the second run ran
    assert listed.returncode == 0, listed.stderr
    assert "//tmp/p/input" in listed.stdout
    assert shown.returncode == 0, shown.stderr
    assert [json.loads(line) for line in shown.stdout.splitlines()] == expected_rows("one")[:3]
    # The first run's output is exactly its own rows, and it left no run-lock holder behind.
    assert read_dev_table(root, "output") == expected_rows("one")
    assert read_dev_table(root, "result")[0]["row_count"] == ROWS
    assert not (root / ".dev" / HOLDER_NAME).exists()


def test_a_run_after_a_killed_run_is_not_blocked(make_pipeline, tmp_path):
    go = tmp_path / "never"
    root = lock_pipeline(make_pipeline, "killed", go_file=go)
    first = start_run(root)
    wait_for(root / ".dev" / HOLDER_NAME, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert (root / ".dev" / HOLDER_NAME).exists()  # a dead holder's note is left behind
    go.touch()
    again = run_cli("run", root)
    assert again.returncode == 0, again.stderr
    assert read_dev_table(root, "output") == expected_rows("killed")
    assert not (root / ".dev" / HOLDER_NAME).exists()


def test_lock_held_by_an_unknown_process_still_refuses(make_pipeline):
    """A holder that has not written its details (or whose note is stale) is still refused."""
    root = lock_pipeline(make_pipeline, "anon")
    dev = root / ".dev"
    dev.mkdir()
    (dev / HOLDER_NAME).write_text(json.dumps({"pid": 999_999_999, "started": "x"}))
    with (dev / LOCK_NAME).open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = run_cli("run", root)
    assert result.returncode == 3, result.stderr
    assert "has not said who it is" in result.stderr
    assert "999999999" not in result.stderr  # a dead pid is never named as the holder
    assert not (dev / "input.jsonl").exists()


def test_two_pipelines_side_by_side_both_succeed(make_pipeline):
    left = lock_pipeline(make_pipeline, "left", mapper=DOUBLE_MAPPER)
    right = lock_pipeline(make_pipeline, "right", mapper=DOUBLE_MAPPER)
    runs = [start_run(left), start_run(right)]
    results = [run.communicate(timeout=120) for run in runs]
    for run, (_, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err
    for root, tag in ((left, "left"), (right, "right")):
        rows = read_dev_table(root, "output")
        assert rows == [{"i": i, "twice": 2 * i, "tag": tag} for i in range(ROWS)]


@pytest.mark.slow
def test_pipeline_py_takes_the_same_lock(make_pipeline, tmp_path):
    go = tmp_path / "go"
    root = lock_pipeline(make_pipeline, "viapy", go_file=go)
    first = start_run(root)
    try:
        wait_for(root / ".dev" / HOLDER_NAME, first)
        second = subprocess.run(
            [sys.executable, str(root / "pipeline.py")],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        go.touch()
        first.communicate(timeout=120)
    assert second.returncode == 3, second.stderr
    assert f"pid {first.pid}" in second.stderr


# --- at length (``python -m pytest -m slow``) ----------------------------------------------

RACE_TRIALS = 20
KILL_TRIALS = 30


@pytest.mark.slow
def test_simultaneous_runs_at_length(make_pipeline):
    """Two runs started together: each ends 0 or 3, at least one does the work, rows exact."""
    root = lock_pipeline(make_pipeline, "race", mapper=DOUBLE_MAPPER)
    refused = 0
    for _ in range(RACE_TRIALS):
        runs = [start_run(root), start_run(root)]
        outcomes = [(run, *run.communicate(timeout=120)) for run in runs]
        codes = sorted(run.returncode for run, _, _ in outcomes)
        assert codes in ([0, 0], [0, 3]), [err for _, _, err in outcomes]
        refused += codes == [0, 3]
        rows = read_dev_table(root, "output")
        assert rows == [{"i": i, "twice": 2 * i, "tag": "race"} for i in range(ROWS)]
    assert refused > 0  # the race really happened at least once


@pytest.mark.slow
def test_kill_minus_9_at_random_moments_never_blocks_the_next_run(make_pipeline):
    """SIGKILL a run at a random moment; the next run always takes the lock and is right."""
    import random  # noqa: PLC0415

    root = lock_pipeline(make_pipeline, "kills", mapper=DOUBLE_MAPPER)
    expected = [{"i": i, "twice": 2 * i, "tag": "kills"} for i in range(ROWS)]
    rng = random.Random(13)
    for _ in range(KILL_TRIALS):
        victim = start_run(root)
        time.sleep(rng.uniform(0.0, 1.5))
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        again = run_cli("run", root)
        assert again.returncode == 0, again.stderr
        assert read_dev_table(root, "output") == expected
        assert not (root / ".dev" / HOLDER_NAME).exists()
