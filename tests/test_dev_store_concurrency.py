"""Several processes on one ``.dev/`` at once: readers during an append, two appenders, two
replacing writers. Real processes, real files; the assertions are on the rows.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli

from ytflow.dev.client import DevClient

TABLE = "//tmp/p/data"
PAD = "x" * 100
OLD_ROWS = 3

# A writer process: append (or replace with) rows ``start .. start+count`` tagged ``writer``.
WRITER = """
import sys
from pathlib import Path
from ytflow.dev.client import DevClient

dev_dir, mode, writer, start, count, repeat = sys.argv[1:7]
client = DevClient(Path(dev_dir))
for _ in range(int(repeat)):
    rows = (
        {"id": i, "writer": writer, "pad": "@PAD@"}
        for i in range(int(start), int(start) + int(count))
    )
    client.write_table("@TABLE@", rows, append=mode == "append")
""".replace("@PAD@", PAD).replace("@TABLE@", TABLE)

# A reader process: until the stop file appears, look at the table every way a user can and
# print what it saw, one JSON object a line. Any exception ends it with exit status 1.
READER = """
import json, sys
from pathlib import Path
from ytflow.dev.client import DevClient

dev_dir, stop, check_rows = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "rows"
client = DevClient(dev_dir)
client.run_yql("SELECT 1 AS warm;")  # import DuckDB before saying ready
print(json.dumps({"ready": True}), flush=True)
step = 0
while not stop.exists():
    kind = ("exists", "row_count", "read", "tables", "yql")[step % 5]
    step += 1
    if kind == "exists":
        seen = {"exists": client.exists("@TABLE@")}
    elif kind == "row_count":
        seen = {"count": client.row_count("@TABLE@")}
    elif kind == "read":
        rows = list(client.read_table("@TABLE@"))
        seen = {"count": len(rows), "writers": sorted({r.get("writer", "") for r in rows})}
        if check_rows:
            seen["ids_ok"] = all(r["id"] == k for k, r in enumerate(rows))
    elif kind == "tables":
        seen = {"count": next(t.rows for t in client.tables.tables() if t.path == "@TABLE@")}
    else:
        [row] = client.run_yql("SELECT COUNT(*) AS n FROM `@TABLE@`;")
        seen = {"count": row["n"]}
    print(json.dumps({"kind": kind, **seen}), flush=True)
""".replace("@TABLE@", TABLE)


def _start(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *(str(arg) for arg in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stdout


def _seed(dev_dir: Path) -> DevClient:
    client = DevClient(dev_dir)
    client.write_table(TABLE, ({"id": i, "writer": "seed", "pad": PAD} for i in range(OLD_ROWS)))
    return client


class _Readers:
    """A reader process polling the table while writers run."""

    def __init__(self, dev_dir: Path, *, check_rows: bool = False) -> None:
        self.stop = dev_dir.parent / "stop-readers"
        self.process = _start(READER, dev_dir, self.stop, "rows" if check_rows else "-")
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert json.loads(first or "{}").get("ready"), self.process.stderr.read()  # type: ignore[union-attr]

    def finish(self) -> list[dict[str, object]]:
        self.stop.touch()
        return [json.loads(line) for line in _finish(self.process).splitlines()]


def _ids(client: DevClient) -> list[int]:
    return [row["id"] for row in client.read_table(TABLE)]


def test_readers_during_an_append_see_old_or_new_and_lose_nothing(tmp_path: Path) -> None:
    dev_dir = tmp_path / ".dev"
    client = _seed(dev_dir)
    readers = _Readers(dev_dir)
    added = 300_000
    appender = _start(WRITER, dev_dir, "append", "a", OLD_ROWS, added, 1)
    cli_results: list[subprocess.CompletedProcess[str]] = []
    while appender.poll() is None:  # the CLI too, as a user in a second terminal would
        cli_results.append(run_cli("tables", tmp_path))
        cli_results.append(run_cli("show", "data", "-n", "1", "--dir", tmp_path))
    _finish(appender)
    seen = readers.finish()
    assert all(result.returncode == 0 for result in cli_results), cli_results
    assert _ids(client) == list(range(OLD_ROWS + added))  # the append succeeded, whole
    assert client.row_count(TABLE) == OLD_ROWS + added
    counts = [entry["count"] for entry in seen if "count" in entry]
    allowed = (OLD_ROWS, OLD_ROWS + added)
    torn = [entry for entry in seen if entry.get("count", OLD_ROWS) not in allowed]
    assert not torn, torn
    assert OLD_ROWS in counts, "the reader never overlapped the append"
    assert all(entry.get("exists", True) for entry in seen)


def test_two_appenders_and_a_reader_land_every_row(tmp_path: Path) -> None:
    dev_dir = tmp_path / ".dev"
    client = _seed(dev_dir)
    readers = _Readers(dev_dir)
    each = 100_000
    first = _start(WRITER, dev_dir, "append", "a", 1_000_000, each, 1)
    second = _start(WRITER, dev_dir, "append", "b", 2_000_000, each, 1)
    _finish(first)
    _finish(second)
    seen = readers.finish()
    ids = _ids(client)
    expected = [*range(OLD_ROWS), *range(1_000_000, 1_000_000 + each)]
    expected += range(2_000_000, 2_000_000 + each)
    assert sorted(ids) == expected
    assert client.row_count(TABLE) == OLD_ROWS + 2 * each
    # Each append is contiguous: the second waited for the first, nothing interleaved.
    rows = list(client.read_table(TABLE))
    writers = [row["writer"] for row in rows]
    changes = sum(1 for before, after in itertools.pairwise(writers) if before != after)
    assert changes == 2
    counts = {entry["count"] for entry in seen if "count" in entry}
    assert counts <= {OLD_ROWS, OLD_ROWS + each, OLD_ROWS + 2 * each}, sorted(counts)  # type: ignore[type-var]


def test_replace_versus_replace_is_one_writers_table_never_a_mix(tmp_path: Path) -> None:
    dev_dir = tmp_path / ".dev"
    client = _seed(dev_dir)
    readers = _Readers(dev_dir, check_rows=True)
    rows = 60_000
    first = _start(WRITER, dev_dir, "replace", "a", 0, rows, 3)
    second = _start(WRITER, dev_dir, "replace", "b", 0, rows, 3)
    _finish(first)
    _finish(second)
    seen = readers.finish()
    final = list(client.read_table(TABLE))
    assert [row["id"] for row in final] == list(range(rows))
    assert len({row["writer"] for row in final}) == 1
    assert client.row_count(TABLE) == rows
    for entry in seen:
        if entry["kind"] == "read":
            assert len(entry["writers"]) == 1, entry  # type: ignore[arg-type]
            assert entry["ids_ok"], entry
        if "count" in entry:
            assert entry["count"] in (OLD_ROWS, rows), entry


def test_a_writer_waits_for_the_tables_lock_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dev_dir = tmp_path / ".dev"
    client = _seed(dev_dir)
    holder = _start(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ytflow.dev.table_store import DevTableStore\n"
        "store = DevTableStore(Path(sys.argv[1]))\n"
        "with store.staging(sys.argv[2]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(1.6)\n",
        dev_dir,
        TABLE,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with caplog.at_level("INFO", logger="ytflow.dev"):
        client.write_table(TABLE, [{"id": 99}], append=True)
    assert time.monotonic() - started > 1.0  # it waited for the holder
    assert "waiting for another writer of dev table data" in caplog.text
    _finish(holder)
    assert _ids(client)[-1] == 99
