"""The dev table store under stress: failures halfway, crash recovery, streaming memory, bad
rows and symlinks never corrupt a table or escape ``.dev/``.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dev_table_helpers import DATA, OTHER_DATA, meta_json

from ytflow.client.row_encoding import MAX_ROW_WEIGHT
from ytflow.dev.client import DevClient
from ytflow.dev.metadata import META_DIR_NAME, MetaStore
from ytflow.dev.table_locks import LOCKS_DIR_NAME
from ytflow.errors import RowError, YtPathError

# The ``dev_dir``, ``client``, ``data_file`` and ``seeded`` fixtures live in conftest.py.


class Boom(Exception):
    """Raised by test generators to interrupt a write halfway."""


def _rows_then_boom(count: int, *, payload: str = "") -> Iterator[dict[str, Any]]:
    for index in range(count):
        yield {"id": index, "payload": payload}
    raise Boom(f"generator failed after {count} rows")


def _all_files(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def _simulate_crash_mid_append(dev_dir: Path, name: str, garbage: bytes) -> None:
    """What a process killed inside an append leaves: the journal set and extra bytes."""
    file = dev_dir / f"{name}.jsonl"
    store = MetaStore(dev_dir)
    meta = store.load(name)
    assert meta is not None
    meta.append_from = file.stat().st_size
    store.save(name, meta)
    with file.open("ab") as handle:
        handle.write(garbage)


# --- failures halfway leave the table intact ---------------------------------------------------


def test_generator_failing_during_replace_leaves_old_file_intact(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    files_before = _all_files(dev_dir)
    # Enough rows to push several MiB through the write buffer before the failure.
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(50_000, payload="x" * 100))
    assert data_file.read_bytes() == seeded
    assert _all_files(dev_dir) == files_before  # no temp files left behind
    assert client.row_count(DATA) == 3


def test_generator_failing_on_first_write_creates_nothing(client: DevClient, dev_dir: Path) -> None:
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(10))
    assert not client.exists(DATA)
    assert list(dev_dir.glob("*.jsonl")) == []
    assert list(dev_dir.glob("*.tmp")) == []
    # The failed write did not claim the base name either.
    client.write_table(OTHER_DATA, [{"id": 1}])


def test_generator_failing_during_first_append_creates_nothing(
    client: DevClient, dev_dir: Path
) -> None:
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(10), append=True)
    assert not client.exists(DATA)
    # Only the table's lock file may remain (writers share it; it is never deleted).
    left = [name for name in _all_files(dev_dir) if not name.startswith(LOCKS_DIR_NAME)]
    assert left in ([], [META_DIR_NAME])


@pytest.mark.parametrize("rows_before_failure", [0, 5, 50_000], ids=["first", "few", "many"])
def test_generator_failing_during_append_leaves_file_intact(
    client: DevClient, seeded: bytes, data_file: Path, rows_before_failure: int
) -> None:
    with pytest.raises(Boom):
        client.write_table(
            DATA, _rows_then_boom(rows_before_failure, payload="x" * 100), append=True
        )
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2]


def test_failed_append_to_file_without_trailing_newline_restores_exact_bytes(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}')
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(3), append=True)
    assert data_file.read_bytes() == b'{"id":1}\n{"id":2}'
    assert client.row_count(DATA) == 2


def test_failed_append_clears_the_journal(client: DevClient, seeded: bytes, dev_dir: Path) -> None:
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(5), append=True)
    assert meta_json(dev_dir, "data")["append_from"] is None


def test_table_is_usable_after_a_failed_append(client: DevClient, seeded: bytes) -> None:
    with pytest.raises(Boom):
        client.write_table(DATA, _rows_then_boom(5), append=True)
    client.write_table(DATA, [{"id": 3}], append=True)
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2, 3]
    assert client.row_count(DATA) == 4


# --- crash recovery (the append journal) -------------------------------------------------------


def test_crash_mid_append_is_rolled_back_on_next_read(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    _simulate_crash_mid_append(dev_dir, "data", b'{"id":3}\n{"id":4}\n{"id":5, "par')
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2]
    assert data_file.read_bytes() == seeded
    assert meta_json(dev_dir, "data")["append_from"] is None


def test_crash_mid_append_is_rolled_back_by_a_new_client(
    seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    _simulate_crash_mid_append(dev_dir, "data", b'{"id":3}\n{"id":4}\n')
    fresh = DevClient(dev_dir)
    assert fresh.row_count(DATA) == 3
    assert data_file.read_bytes() == seeded


@pytest.mark.parametrize("operation", ["exists", "row_count", "append", "replace"])
def test_any_access_rolls_back_a_crashed_append(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path, operation: str
) -> None:
    _simulate_crash_mid_append(dev_dir, "data", b"garbage that is not json\n{")
    if operation == "exists":
        assert client.exists(DATA)
    elif operation == "row_count":
        assert client.row_count(DATA) == 3
    elif operation == "append":
        client.write_table(DATA, [{"id": 3}], append=True)
    else:
        client.write_table(DATA, [{"id": 9}])
    expected = {
        "exists": [0, 1, 2],
        "row_count": [0, 1, 2],
        "append": [0, 1, 2, 3],
        "replace": [9],
    }[operation]
    assert [row["id"] for row in client.read_table(DATA)] == expected
    assert client.row_count(DATA) == len(expected)
    if operation in {"exists", "row_count"}:
        assert data_file.read_bytes() == seeded


def test_crash_mid_append_to_file_without_trailing_newline_is_rolled_back(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}')
    assert client.row_count(DATA) == 2  # registers the table
    _simulate_crash_mid_append(dev_dir, "data", b'\n{"id":3}\n{"id"')
    assert client.row_count(DATA) == 2
    assert data_file.read_bytes() == b'{"id":1}\n{"id":2}'


def test_tables_listing_ignores_a_crashed_append(
    client: DevClient, seeded: bytes, dev_dir: Path
) -> None:
    _simulate_crash_mid_append(dev_dir, "data", b'{"id":3}\n{"id":4}\n')
    [info] = client.tables.tables()
    assert info.rows == 3
    assert info.size == len(seeded)


# --- streaming ---------------------------------------------------------------------------------

TWO_MILLION = 2_000_000
# A list of 2M ``{"id": i}`` dicts takes roughly 450 MB; streaming should need a few MiB.
STREAMING_PEAK_LIMIT = 48 * 1024 * 1024


@pytest.mark.slow  # ~10 s of 2M rows: memory bounds, run in the slow CI step
def test_writing_two_million_rows_streams_the_generator(client: DevClient) -> None:
    produced = 0

    def rows() -> Iterator[dict[str, int]]:
        nonlocal produced
        for index in range(TWO_MILLION):
            produced += 1
            yield {"id": index}

    tracemalloc.start()
    try:
        written = client.write_table(DATA, rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == produced == TWO_MILLION
    assert peak < STREAMING_PEAK_LIMIT, f"peak {peak} bytes: rows were held in memory"
    assert client.row_count(DATA) == TWO_MILLION


@pytest.mark.slow  # ~10 s of 2M rows: memory bounds, run in the slow CI step
def test_reading_two_million_rows_streams_them(client: DevClient) -> None:
    client.write_table(DATA, ({"id": i} for i in range(TWO_MILLION)))
    tracemalloc.start()
    try:
        total = 0
        count = 0
        for row in client.read_table(DATA):
            total += row["id"]
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == TWO_MILLION
    assert total == TWO_MILLION * (TWO_MILLION - 1) // 2
    assert peak < STREAMING_PEAK_LIMIT, f"peak {peak} bytes: rows were held in memory"


@pytest.mark.slow
def test_appending_a_large_generator_streams_too(client: DevClient, seeded: bytes) -> None:
    tracemalloc.start()
    try:
        written = client.write_table(DATA, ({"id": i} for i in range(500_000)), append=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == 500_000
    assert peak < STREAMING_PEAK_LIMIT
    assert client.row_count(DATA) == 500_003


# --- bad rows ----------------------------------------------------------------------------------


def _write_bad(client: DevClient, rows: Any, *, append: bool) -> RowError:
    with pytest.raises(RowError) as caught:
        client.write_table(DATA, rows, append=append)
    return caught.value


both_modes = pytest.mark.parametrize("append", [False, True], ids=["replace", "append"])


@both_modes
def test_non_dict_row_names_its_index(
    client: DevClient, seeded: bytes, data_file: Path, append: bool
) -> None:
    error = _write_bad(client, [{"id": 10}, {"id": 11}, [1, 2, 3], {"id": 13}], append=append)
    assert error.row_index == 2
    assert "row 2" in error.message
    assert "list" in error.message
    assert DATA in error.message
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3


@pytest.mark.parametrize("row", [None, "text", 42, ("a", 1)], ids=["none", "str", "int", "tuple"])
def test_other_non_dict_rows_are_refused(
    client: DevClient, seeded: bytes, data_file: Path, row: object
) -> None:
    error = _write_bad(client, [row], append=False)
    assert "row 0" in error.message
    assert type(row).__name__ in error.message
    assert data_file.read_bytes() == seeded


@both_modes
def test_non_serialisable_value_names_row_and_column(
    client: DevClient, seeded: bytes, data_file: Path, append: bool
) -> None:
    error = _write_bad(client, [{"id": 10}, {"id": 11, "when": object()}], append=append)
    assert error.row_index == 1
    assert error.column == "when"
    assert "row 1, column 'when'" in error.message
    assert "object" in error.message
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3


@pytest.mark.parametrize(
    "value",
    [b"bytes", {1, 2}, 2**64, -(2**63) - 1, {"nested": {"deep": object()}}, {1: "int key"}],
    ids=["bytes", "set", "too-big-int", "too-small-int", "nested-object", "nested-int-key"],
)
def test_unstorable_values_are_refused_naming_the_column(
    client: DevClient, seeded: bytes, data_file: Path, value: object
) -> None:
    error = _write_bad(client, [{"ok": 1, "bad": value}], append=False)
    assert error.column == "bad"
    assert "row 0, column 'bad'" in error.message
    assert data_file.read_bytes() == seeded


@both_modes
def test_non_string_key_names_the_column(
    client: DevClient, seeded: bytes, data_file: Path, append: bool
) -> None:
    error = _write_bad(client, [{"id": 10}, {"id": 11, 7: "seven"}], append=append)
    assert error.row_index == 1
    assert error.column == "7"
    assert "row 1, column '7'" in error.message
    assert "column names must be strings" in error.message
    assert data_file.read_bytes() == seeded


@both_modes
def test_single_dict_instead_of_rows_gets_a_clear_error(
    client: DevClient, seeded: bytes, data_file: Path, append: bool
) -> None:
    error = _write_bad(client, {"id": 10}, append=append)
    assert "single dict" in error.message
    assert error.hint is not None
    assert "rows=[row]" in error.hint
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3


@both_modes
def test_oversized_row_is_refused_mentioning_the_limit(
    client: DevClient, seeded: bytes, data_file: Path, append: bool
) -> None:
    huge = {"id": 11, "blob": "x" * MAX_ROW_WEIGHT}
    error = _write_bad(client, [{"id": 10}, huge], append=append)
    assert error.row_index == 1
    assert "row 1" in error.message
    assert "limit" in error.message
    assert str(MAX_ROW_WEIGHT) in error.message
    assert MAX_ROW_WEIGHT == 16 * 1024 * 1024
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3


def test_row_just_under_the_weight_limit_is_stored(client: DevClient) -> None:
    blob = "x" * (MAX_ROW_WEIGHT - 100)
    assert client.write_table(DATA, [{"blob": blob}]) == 1
    [row] = client.read_table(DATA)
    assert row["blob"] == blob


def test_bad_row_on_first_write_creates_no_table(client: DevClient, dev_dir: Path) -> None:
    _write_bad(client, [{"id": 1}, "oops"], append=False)
    assert not client.exists(DATA)
    assert list(dev_dir.glob("*.jsonl")) == []
    assert list(dev_dir.glob(".*.tmp")) == []


# --- symlinks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["write", "append", "read", "row_count", "remove", "exists"])
def test_symlink_pointing_outside_dev_dir_is_refused(
    client: DevClient, tmp_path: Path, dev_dir: Path, data_file: Path, operation: str
) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(b'{"secret":1}\n')
    dev_dir.mkdir()
    data_file.symlink_to(outside)
    calls = {
        "write": lambda: client.write_table(DATA, [{"id": 1}]),
        "append": lambda: client.write_table(DATA, [{"id": 1}], append=True),
        "read": lambda: list(client.read_table(DATA)),
        "row_count": lambda: client.row_count(DATA),
        "remove": lambda: client.remove(DATA),
        "exists": lambda: client.exists(DATA),
    }
    with pytest.raises(YtPathError) as caught:
        calls[operation]()
    assert repr(DATA) in caught.value.message
    assert "outside" in caught.value.message
    assert outside.read_bytes() == b'{"secret":1}\n'
    assert data_file.is_symlink()


def test_dangling_symlink_pointing_outside_is_refused(
    client: DevClient, tmp_path: Path, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.symlink_to(tmp_path / "elsewhere" / "missing.jsonl")
    with pytest.raises(YtPathError):
        client.write_table(DATA, [{"id": 1}])
    assert not (tmp_path / "elsewhere").exists()


def test_dev_dir_reached_through_a_symlink_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real_dev"
    real.mkdir()
    link = tmp_path / ".dev"
    link.symlink_to(real, target_is_directory=True)
    linked = DevClient(link)
    linked.write_table(DATA, [{"id": 1}])
    assert (real / "data.jsonl").read_bytes() == b'{"id":1}\n'
    assert list(linked.read_table(DATA)) == [{"id": 1}]
