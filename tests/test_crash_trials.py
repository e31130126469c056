"""Crash trials: a driver process writing tables is SIGKILLed at random moments.

Each trial runs one real write in a separate Python process (a replacing ``write_table``, an
append, a map whose output is committed from three jobs, a map appending its output, a sort)
and kills it, with its jobs, after a random delay. Then every table must be exactly its old
or its new content, and after the next access nothing but tables, metadata and lock files
may remain in ``.dev/`` (sandboxes and built bundles are kept by design).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from ytflow.dev.client import DevClient
from ytflow.dev.table_store import DevTableStore

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

A, B, SRC, M, M2, S = (f"//tmp/crash/{name}" for name in ("a", "b", "src", "m", "m2", "s"))
TABLES = {"a": A, "b": B, "src": SRC, "m": M, "m2": M2, "s": S}
ROWS = 60_000
PAD = "p" * 60

DRIVER = """
import sys
from pathlib import Path
from ytflow.dev.client import DevClient
from ytflow.ops import MapOperation, SortOperation

dev_dir, root, action, trial = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
client = DevClient(dev_dir, root=root)
rows = ({"t": trial, "i": i, "pad": "@PAD@"} for i in range(@ROWS@))
map_spec = {"input_table": "@SRC@", "resources": {"job_count": 3}}
print("go", flush=True)
if action == "replace":
    client.write_table("@A@", rows)
elif action == "append":
    client.write_table("@B@", rows, append=True)
elif action == "map":
    spec = {**map_spec, "output_table": "@M@"}
    client.run_operation(MapOperation.model_validate(spec), stage="mapit")
elif action == "map_append":
    spec = {**map_spec, "output_table": "@M2@", "append": True}
    client.run_operation(MapOperation.model_validate(spec), stage="mapit")
elif action == "sort":
    spec = {"input_table": "@SRC@", "output_table": "@S@", "sort_by": ["k"]}
    client.run_operation(SortOperation.model_validate(spec), stage="mapit")
print("done", flush=True)
"""
for _key, _value in {
    "@PAD@": PAD,
    "@ROWS@": str(ROWS),
    **{f"@{k.upper()}@": v for k, v in TABLES.items()},
}.items():
    DRIVER = DRIVER.replace(_key, _value)

MAPPER = (
    "from ytjobs.io import read_rows, write_row\n\nfor row in read_rows():\n    write_row(row)\n"
)
STAGE = (
    "from ytflow import Stage\n\n\nclass MapIt(Stage):\n"
    "    def run(self, debug):\n        return debug\n"
)
ACTIONS = ("replace", "append", "map", "map_append", "sort")
# How long after "go" each action usually takes here: kills land anywhere inside it, or after.
DURATION = {"replace": 0.25, "append": 0.25, "map": 1.2, "map_append": 1.2, "sort": 0.5}

Rows = list[dict[str, Any]]


def _pipeline(root: Path) -> None:
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "config.yaml").write_text(
        "pipeline:\n  mode: dev\nstages:\n  enabled_stages: [mapit]\n"
    )
    (root / "pipeline.py").write_text("from ytflow import Pipeline\n\nPipeline.main()\n")
    (root / "stages" / "mapit" / "src").mkdir(parents=True)
    (root / "stages" / "mapit" / "stage.py").write_text(STAGE)
    (root / "stages" / "mapit" / "src" / "mapper.py").write_text(MAPPER)


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (jobs run in their own sessions, so no killpg)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _kill_tree(process: subprocess.Popen[str]) -> None:
    """Freeze the driver (so it starts no more jobs), then SIGKILL it and all its jobs."""
    with_jobs = [process.pid]
    try:
        os.kill(process.pid, signal.SIGSTOP)
        with_jobs += _descendants(process.pid)
    except ProcessLookupError:
        pass
    for pid in with_jobs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


@dataclass
class Trials:
    """The tables' expected contents, updated after every trial to what it left."""

    dev_dir: Path
    root: Path
    rng: random.Random
    state: dict[str, Rows] = field(default_factory=dict[str, Rows])
    digests: dict[str, bytes] = field(default_factory=dict[str, bytes])
    durations: dict[str, float] = field(default_factory=lambda: dict(DURATION))
    killed: int = 0
    finished: int = 0

    def read(self, name: str) -> Rows:
        store = DevTableStore(self.dev_dir)  # a fresh process's view: the next access
        if not store.exists(TABLES[name]):
            return []
        return list(store.read(TABLES[name]))

    def set_source(self, trial: int) -> None:
        rows = [
            {"t": trial, "i": i, "k": (i * 7919 + trial) % 997, "pad": PAD} for i in range(ROWS)
        ]
        DevClient(self.dev_dir).write_table(SRC, rows)
        self.state["src"] = rows

    def run(self, trial: int, action: str) -> None:
        if action in ("map", "map_append", "sort"):
            self.set_source(trial)
        for name in ("b", "m2"):  # appended to again and again: keep them small
            if len(self.state.get(name, [])) > 3 * ROWS:
                DevClient(self.dev_dir).write_table(TABLES[name], [{"reset": trial}])
                self.state[name] = [{"reset": trial}]
        self.digests = {name: _digest(self.dev_dir, name) for name in self.state}
        new_rows = [{"t": trial, "i": i, "pad": PAD} for i in range(ROWS)]
        expected: dict[str, Callable[[Rows], Rows]] = {
            "replace": lambda old: new_rows,
            "append": lambda old: old + new_rows,
            "map": lambda old: self.state["src"],
            "map_append": lambda old: old + self.state["src"],
            "sort": lambda old: sorted(self.state["src"], key=lambda row: row["k"]),
        }
        target = {"replace": "a", "append": "b", "map": "m", "map_append": "m2", "sort": "s"}[
            action
        ]
        old = self.state.get(target, [])
        new = expected[action](old)
        process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(self.dev_dir), str(self.root), action, str(trial)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "go", process.stderr.read()  # type: ignore[union-attr]
        started = time.monotonic()
        time.sleep(self.rng.uniform(0, self.durations[action]))
        if process.poll() is None:
            _kill_tree(process)
            self.killed += 1
        else:
            assert process.returncode == 0, process.stderr.read()  # type: ignore[union-attr]
            self.finished += 1
            # It took at most ``took`` on this machine: narrow the window so kills land inside.
            took = time.monotonic() - started
            self.durations[action] = 0.7 * self.durations[action] + 0.3 * took
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
        self.check(target, old, new, trial, action)

    def check(self, target: str, old: Rows, new: Rows, trial: int, action: str) -> None:
        got = self.read(target)
        assert got in (old, new), (
            f"trial {trial} ({action}): {TABLES[target]} has {len(got)} rows, "
            f"neither the old {len(old)} nor the new {len(new)}"
        )
        self.state[target] = got
        file = self.dev_dir / f"{target}.jsonl"
        if file.exists():  # the file itself is clean again, not only the store's view of it
            assert [orjson.loads(line) for line in file.read_bytes().splitlines()] == got
        for name, digest in self.digests.items():
            if name != target:
                assert _digest(self.dev_dir, name) == digest, f"trial {trial}: {name} changed"
        DevTableStore(self.dev_dir).tables()  # the next access of the store
        DevClient(self.dev_dir, root=self.root).bundle()  # the next run's bundle build
        self.digests = {name: _digest(self.dev_dir, name) for name in self.state}
        assert _leftovers(self.dev_dir) == [], f"trial {trial} ({action})"


def _digest(dev_dir: Path, name: str) -> bytes:
    file = dev_dir / f"{name}.jsonl"
    return hashlib.sha256(file.read_bytes()).digest() if file.exists() else b""


def _leftovers(dev_dir: Path) -> list[str]:
    """Files under ``.dev/`` other than tables, metadata, locks, sandboxes and the bundle."""
    allowed = {f"{name}.jsonl" for name in TABLES}
    allowed |= {f".meta/{name}.json" for name in TABLES} | {".meta"}
    allowed |= {f".locks/{name}.lock" for name in TABLES} | {".locks", ".tmp"}  # folders
    allowed |= {"mapit.log"}  # the map stage's job log (.dev/<stage>.log)
    found: list[str] = []
    for path in dev_dir.rglob("*"):
        relative = path.relative_to(dev_dir).as_posix()
        if relative.startswith("sandbox_") or relative in allowed:
            continue
        if relative.startswith(".bundle") and not relative.endswith(".tmp"):  # built archives
            continue
        found.append(relative)
    return sorted(found)


def _trials(tmp_path: Path, count: int, seed: int) -> Trials:
    root = tmp_path / "pipe"
    _pipeline(root)
    trials = Trials(root / ".dev", root, random.Random(seed))
    for trial in range(count):
        action = (
            ACTIONS[trial % len(ACTIONS)] if trial < len(ACTIONS) else trials.rng.choice(ACTIONS)
        )
        trials.run(trial, action)
    return trials


def test_a_handful_of_crash_trials(tmp_path: Path) -> None:
    trials = _trials(tmp_path, count=len(ACTIONS), seed=13)  # each kind of write once
    assert trials.killed + trials.finished == len(ACTIONS)


@pytest.mark.slow
def test_crash_trials_at_random_moments(tmp_path: Path) -> None:
    count = int(os.environ.get("YTFLOW_CRASH_TRIALS", "250"))
    trials = _trials(tmp_path, count=count, seed=int(os.environ.get("YTFLOW_CRASH_SEED", "2026")))
    print(f"crash trials: {count}, killed mid-write {trials.killed}, finished {trials.finished}")
    assert trials.killed >= count // 3  # kills landed inside writes, not only after them
