"""The dev table store against faults: a live writer's work is never undone, a dead writer's
leftovers are removed, odd files and OS failures become ytflow errors, macOS fallbacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from dev_table_helpers import DATA, meta_json

from ytflow.dev.client import DevClient
from ytflow.dev.files import concatenate, copy_file
from ytflow.dev.job_input import Segment, open_input
from ytflow.dev.metadata import MetaStore
from ytflow.dev.table_files import MAX_TABLE_NAME_BYTES
from ytflow.errors import DevStoreError, TableFormatError, YtflowError, YtPathError
from ytflow.ops import MapOperation

# --- a live writer is never mistaken for a dead one ---------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from ytflow.dev.table_store import DevTableStore

store = DevTableStore(Path(sys.argv[1]))
with store.staging(sys.argv[2]) as scratch:
    (scratch / "half-built.jsonl").write_text("{}")
    print(scratch, flush=True)
    sys.stdin.readline()  # hold the lock until the test says so
"""


class _Holder:
    """Another process holding the table's write lock, as a writer in mid-append does."""

    def __init__(self, dev_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(dev_dir), DATA],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.scratch = Path(self.process.stdout.readline().strip())

    def release(self) -> None:
        self.process.communicate("\n", timeout=30)
        assert self.process.returncode == 0


def _append_in_flight(dev_dir: Path, garbage: bytes) -> None:
    """What an append still running looks like on disk: the journal set, rows half written."""
    file = dev_dir / "data.jsonl"
    store = MetaStore(dev_dir)
    meta = store.load("data")
    assert meta is not None
    meta.append_from = file.stat().st_size
    store.save("data", meta)
    with file.open("ab") as handle:
        handle.write(garbage)


def test_readers_leave_a_live_append_alone_and_see_the_table_before_it(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    holder = _Holder(dev_dir)
    _append_in_flight(dev_dir, b'{"id":3}\n{"id":4}\n{"id":5, "par')
    in_flight = data_file.read_bytes()
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2]
    assert client.row_count(DATA) == 3
    assert client.exists(DATA)
    [info] = client.tables.tables()
    assert (info.rows, info.size) == (3, len(seeded))
    assert run_cli("tables", dev_dir.parent).returncode == 0
    assert data_file.read_bytes() == in_flight  # nothing cut from under the writer
    assert meta_json(dev_dir, "data")["append_from"] == len(seeded)
    assert holder.scratch.exists()  # nor its temp files removed
    holder.release()
    # Now the writer is gone without finishing: the next access rolls its append back.
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2]
    assert data_file.read_bytes() == seeded
    assert not holder.scratch.exists()


def test_a_dead_writers_leftovers_are_removed_by_the_next_access(
    client: DevClient, seeded: bytes, dev_dir: Path
) -> None:
    leftovers = [
        dev_dir / ".data.jsonl.0a1b2c3d.tmp",  # a killed replace
        dev_dir / ".meta" / ".data.json.0a1b2c3d.tmp",  # a killed metadata save
        dev_dir / ".tmp" / "data" / "sorted.jsonl",  # a killed sort's scratch folder
        dev_dir / ".data.staged",  # names of earlier versions
        dev_dir / ".sorting.data.jsonl",
        dev_dir / ".yql.data.jsonl",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"id": "stale"}\n' * 100)
    unrelated = dev_dir / ".data.jsonl.notatemp"
    unrelated.write_text("kept")
    assert [info.path for info in client.tables.tables()] == [DATA]  # temps are no tables
    assert [path for path in leftovers if path.exists()] == []
    assert not (dev_dir / ".tmp" / "data").exists()
    assert unrelated.read_text() == "kept"


@pytest.mark.parametrize("access", ["read", "exists", "row_count", "write"])
def test_any_access_of_the_table_sweeps_its_leftovers(
    client: DevClient, seeded: bytes, dev_dir: Path, access: str
) -> None:
    temp = dev_dir / ".data.jsonl.deadbeef.tmp"
    temp.write_bytes(b"x" * 1000)
    other = dev_dir / ".other.jsonl.deadbeef.tmp"  # another table's: not this access's business
    other.write_bytes(b"y")
    calls: dict[str, Callable[[], Any]] = {
        "read": lambda: list(client.read_table(DATA)),
        "exists": lambda: client.exists(DATA),
        "row_count": lambda: client.row_count(DATA),
        "write": lambda: client.write_table(DATA, [{"id": 9}], append=True),
    }
    calls[access]()
    assert not temp.exists()
    assert other.exists()


# --- names too long, odd files, OS errors ---------------------------------------------------------


def test_a_table_name_too_long_for_a_file_is_refused_before_touching_disk(
    client: DevClient, dev_dir: Path
) -> None:
    path = "//tmp/p/" + "n" * 260
    for call in (
        lambda: client.write_table(path, [{"id": 1}]),
        lambda: client.read_table(path),
        lambda: client.exists(path),
    ):
        with pytest.raises(YtPathError) as caught:
            call()
        assert "260 bytes" in caught.value.message
        assert f"at most {MAX_TABLE_NAME_BYTES} bytes" in caught.value.message
        assert "YT itself allows longer names" in caught.value.message
        assert caught.value.hint
    assert not dev_dir.exists()


def test_the_longest_allowed_name_works_with_all_its_temp_files(
    client: DevClient, dev_dir: Path
) -> None:
    path = "//tmp/p/" + "é" * (MAX_TABLE_NAME_BYTES // 2)  # two bytes a letter
    client.write_table(path, ({"id": i} for i in range(10)))
    client.write_table(path, [{"id": 10}], append=True)
    assert client.row_count(path) == 11
    client.remove(path)


@pytest.mark.parametrize(
    "operation", ["read", "write", "append", "exists", "row_count", "remove", "tables"]
)
def test_a_directory_where_the_table_file_belongs_is_a_ytflow_error(
    client: DevClient, dev_dir: Path, operation: str
) -> None:
    (dev_dir / "data.jsonl").mkdir(parents=True)
    calls: dict[str, Callable[[], Any]] = {
        "read": lambda: list(client.read_table(DATA)),
        "write": lambda: client.write_table(DATA, [{"id": 1}]),
        "append": lambda: client.write_table(DATA, [{"id": 1}], append=True),
        "exists": lambda: client.exists(DATA),
        "row_count": lambda: client.row_count(DATA),
        "remove": lambda: client.remove(DATA),
        "tables": client.tables.tables,
    }
    with pytest.raises(DevStoreError) as caught:
        calls[operation]()
    assert "data.jsonl is a directory" in caught.value.message
    assert caught.value.hint is not None
    assert "move or remove" in caught.value.hint
    assert (dev_dir / "data.jsonl").is_dir()  # nothing replaced or deleted


def test_cli_reports_a_directory_in_place_of_a_table_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".dev" / "data.jsonl").mkdir(parents=True)
    result = run_cli("tables", tmp_path)
    assert result.returncode == 1
    assert "data.jsonl is a directory" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fault", ["meta-folder-is-a-file", "lock-file-is-a-folder"])
def test_other_os_errors_become_ytflow_errors_naming_table_and_file(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path, fault: str
) -> None:
    if fault == "meta-folder-is-a-file":
        culprit = dev_dir / ".meta"
        for file in culprit.iterdir():
            file.unlink()
        culprit.rmdir()
        culprit.write_text("a file where the metadata folder belongs")
    else:
        culprit = dev_dir / ".locks" / "data.lock"
        culprit.unlink()
        culprit.mkdir()
    with pytest.raises(DevStoreError) as caught:
        client.write_table(DATA, [{"id": 1}])
    assert DATA in caught.value.message
    assert str(culprit) in caught.value.message
    assert caught.value.hint
    assert data_file.read_bytes() == seeded


def test_an_os_error_from_the_callers_own_rows_stays_the_callers(
    client: DevClient, seeded: bytes, data_file: Path, tmp_path: Path
) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        yield {"id": 1}
        with (tmp_path / "missing.csv").open() as handle:  # the caller's bug, not the store's
            yield {"line": handle.readline()}

    with pytest.raises(FileNotFoundError):
        client.write_table(DATA, rows())
    assert data_file.read_bytes() == seeded


def test_a_line_nested_too_deeply_to_parse_is_a_table_format_error(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"ok": 1}\n{"deep": ' + b"[" * 2000 + b"]" * 2000 + b"}\n")
    with pytest.raises(TableFormatError) as caught:
        list(client.read_table(DATA))
    assert "line 2" in caught.value.message
    assert isinstance(caught.value, YtflowError)


# --- macOS: no os.copy_file_range ---------------------------------------------------------------


def test_copies_fall_back_to_user_space_without_copy_file_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    parts = [tmp_path / f"part{i}.jsonl" for i in range(3)]
    for index, part in enumerate(parts):
        part.write_bytes(b"".join(b'{"part": %d, "i": %d}\n' % (index, i) for i in range(5000)))
    parts[2].write_bytes(parts[2].read_bytes().rstrip(b"\n"))  # a part without a final newline
    target = tmp_path / "joined.jsonl"
    with target.open("wb") as handle:
        concatenate(parts, handle)
    expected = b"".join(part.read_bytes() for part in parts) + b"\n"
    assert target.read_bytes() == expected
    with parts[0].open("rb") as source, (tmp_path / "copy").open("wb") as handle:
        copy_file(source, handle)
    assert (tmp_path / "copy").read_bytes() == parts[0].read_bytes()
    descriptor, scratch = open_input([Segment(parts[1], 10, 5000)], tmp_path / "range")
    with os.fdopen(descriptor, "rb") as handle:
        assert handle.read() == parts[1].read_bytes()[10:5000]
    assert scratch is not None


MAPPER = (
    "from ytjobs.io import read_rows, write_row\n\nfor row in read_rows():\n    write_row(row)\n"
)


def test_a_map_commits_several_job_outputs_without_copy_file_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "pipe"
    (root / "stages" / "mapit" / "src").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "configs" / "config.yaml").write_text("stages:\n  enabled_stages: [mapit]\n")
    (root / "pipeline.py").write_text("from ytflow import Pipeline\n\nPipeline.main()\n")
    (root / "stages" / "mapit" / "stage.py").write_text(
        "from ytflow import Stage\n\n\nclass MapIt(Stage):\n    def run(self, debug):\n"
        "        return debug\n"
    )
    (root / "stages" / "mapit" / "src" / "mapper.py").write_text(MAPPER)
    client = DevClient(root / ".dev", root=root)
    rows = [{"i": i, "pad": "x" * 90} for i in range(3000)]
    client.write_table("//tmp/p/input", rows)
    client.write_table("//tmp/p/output", [{"i": -1}])
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    for append, expected in ((False, rows), (True, rows + rows)):
        spec = {
            "input_table": "//tmp/p/input",
            "output_table": "//tmp/p/output",
            "append": append,
            "resources": {"job_count": 3},
        }
        result = client.run_operation(MapOperation.model_validate(spec), stage="mapit")
        assert result.jobs == 3
        assert list(client.read_table("//tmp/p/output")) == expected
