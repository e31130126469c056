"""The dev table store: logical YT paths as JSONL files under ``.dev/``, on a real filesystem."""

from __future__ import annotations

import datetime
import math
import os
import tracemalloc
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
import pytest

from ytflow.dev.client import DevClient
from ytflow.dev.metadata import META_DIR_NAME, MetaStore
from ytflow.dev.rows import MAX_ROW_WEIGHT
from ytflow.dev.table_store import DevTableStore, TableInfo
from ytflow.errors import (
    YT_RESOLVE_ERROR,
    PathConflict,
    RowError,
    TableFormatError,
    TableNotFound,
    YtPathError,
)

DATA = "//tmp/my_pipeline/data"
OTHER_DATA = "//home/other_project/data"  # same base name as DATA, different table


class Boom(Exception):
    """Raised by test generators to interrupt a write halfway."""


@pytest.fixture
def dev_dir(tmp_path: Path) -> Path:
    return tmp_path / ".dev"


@pytest.fixture
def client(dev_dir: Path) -> DevClient:
    return DevClient(dev_dir)


@pytest.fixture
def data_file(dev_dir: Path) -> Path:
    return dev_dir / "data.jsonl"


@pytest.fixture
def seeded(client: DevClient, data_file: Path) -> bytes:
    """DATA holds three rows; returns the file's bytes for byte-for-byte comparisons."""
    client.write_table(DATA, [{"id": 0}, {"id": 1, "name": "b"}, {"id": 2}])
    return data_file.read_bytes()


def _rows_then_boom(count: int, *, payload: str = "") -> Iterator[dict[str, Any]]:
    for index in range(count):
        yield {"id": index, "payload": payload}
    raise Boom(f"generator failed after {count} rows")


def _meta_json(dev_dir: Path, name: str) -> dict[str, Any]:
    return orjson.loads((dev_dir / META_DIR_NAME / f"{name}.json").read_bytes())


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


# --- where tables live -----------------------------------------------------------------------


def test_logical_path_maps_to_base_name_jsonl_in_dev_dir(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}])
    assert [path.name for path in dev_dir.glob("*.jsonl")] == ["data.jsonl"]
    assert (dev_dir / "data.jsonl").read_bytes() == b'{"id":1}\n'
    assert client.tables.file_for(DATA) == dev_dir / "data.jsonl"


def test_dev_dir_is_created_on_first_write(client: DevClient, dev_dir: Path) -> None:
    assert not dev_dir.exists()
    client.write_table(DATA, [])
    assert dev_dir.is_dir()


def test_metadata_lives_beside_the_rows_never_inside(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}, {"id": 2}])
    lines = (dev_dir / "data.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [{"id": 1}, {"id": 2}]
    assert _meta_json(dev_dir, "data")["path"] == DATA


def test_invalid_path_is_refused_before_touching_disk(client: DevClient, dev_dir: Path) -> None:
    with pytest.raises(YtPathError, match="tmp/p/data"):
        client.write_table("tmp/p/data", [{"id": 1}])
    assert not dev_dir.exists()


# --- round trip ------------------------------------------------------------------------------

ROUND_TRIP_ROWS: list[dict[str, Any]] = [
    {"int": 0, "neg": -1, "max_int64": 2**63 - 1, "min_int64": -(2**63), "max_uint64": 2**64 - 1},
    {"float": 0.1, "whole_float": 1.0, "big": 1e300, "tiny": 5e-324, "neg_float": -2.5},
    {"bool_true": True, "bool_false": False, "none": None},
    {"text": "привет 🙂 中文", "ключ": "значение", "": "empty key"},
    {"newline": "line1\nline2", "crlf": "a\r\nb", "ls": "a\u2028b", "nul": "a\x00b", "q": '"\\'},
    {"list": [1, "two", 3.0, None, [4, [5]]], "dict": {"a": {"b": {"c": [{"d": 1}]}}}},
    {"empty_list": [], "empty_dict": {}, "empty_str": ""},
    {"only_b": 2},  # keys missing from this row must stay missing, not become None
    {},
]


def test_write_then_read_round_trips_values_exactly(client: DevClient) -> None:
    assert client.write_table(DATA, ROUND_TRIP_ROWS) == len(ROUND_TRIP_ROWS)
    assert list(client.read_table(DATA)) == ROUND_TRIP_ROWS


def test_round_trip_preserves_types_not_just_equality(client: DevClient) -> None:
    client.write_table(DATA, [{"whole_float": 1.0, "int": 1, "neg_zero": -0.0, "flag": True}])
    [row] = client.read_table(DATA)
    assert type(row["whole_float"]) is float
    assert type(row["int"]) is int
    assert type(row["flag"]) is bool
    assert math.copysign(1.0, row["neg_zero"]) == -1.0


def test_missing_keys_stay_missing(client: DevClient) -> None:
    client.write_table(DATA, [{"a": 1}, {"b": 2}, {"a": 3, "b": None}])
    assert list(client.read_table(DATA)) == [{"a": 1}, {"b": 2}, {"a": 3, "b": None}]


def test_column_order_within_a_row_is_kept(client: DevClient) -> None:
    client.write_table(DATA, [{"z": 1, "a": 2, "m": 3}])
    [row] = client.read_table(DATA)
    assert list(row) == ["z", "a", "m"]


def test_values_with_newlines_do_not_split_rows(client: DevClient, data_file: Path) -> None:
    client.write_table(DATA, [{"text": "a\nb\nc"}, {"text": "d"}])
    assert data_file.read_bytes().count(b"\n") == 2
    assert client.row_count(DATA) == 2


def test_non_dict_mappings_are_accepted_as_rows(client: DevClient) -> None:
    client.write_table(DATA, [OrderedDict(a=1), MappingProxyType({"b": 2})])
    assert list(client.read_table(DATA)) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_non_finite_float_is_never_silently_turned_into_none(
    client: DevClient, value: float
) -> None:
    try:
        client.write_table(DATA, [{"x": value}])
    except RowError:
        return  # refusing is acceptable
    [row] = client.read_table(DATA)
    assert row["x"] is not None


def test_datetime_value_is_refused_not_silently_stringified(client: DevClient) -> None:
    with pytest.raises(RowError, match="column 'when'"):
        client.write_table(DATA, [{"when": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)}])


# --- replace and append ------------------------------------------------------------------------


def test_write_replaces_the_previous_table(client: DevClient, seeded: bytes) -> None:
    assert client.write_table(DATA, [{"id": 10}]) == 1
    assert list(client.read_table(DATA)) == [{"id": 10}]
    assert client.row_count(DATA) == 1


def test_writing_no_rows_makes_an_empty_existing_table(client: DevClient, seeded: bytes) -> None:
    assert client.write_table(DATA, iter([])) == 0
    assert client.exists(DATA)
    assert client.row_count(DATA) == 0
    assert list(client.read_table(DATA)) == []


def test_append_creates_the_table_when_missing(client: DevClient, data_file: Path) -> None:
    assert client.write_table(DATA, [{"id": 1}], append=True) == 1
    assert data_file.is_file()
    assert list(client.read_table(DATA)) == [{"id": 1}]
    assert client.row_count(DATA) == 1


def test_append_adds_rows_at_the_end(client: DevClient, seeded: bytes) -> None:
    assert client.write_table(DATA, ({"id": i} for i in (3, 4)), append=True) == 2
    assert [row["id"] for row in client.read_table(DATA)] == [0, 1, 2, 3, 4]
    assert client.row_count(DATA) == 5


def test_append_keeps_existing_bytes_as_a_prefix(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    client.write_table(DATA, [{"id": 3}], append=True)
    assert data_file.read_bytes() == seeded + b'{"id":3}\n'


def test_appending_nothing_changes_nothing(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    assert client.write_table(DATA, [], append=True) == 0
    assert data_file.read_bytes() == seeded
    assert client.row_count(DATA) == 3


def test_repeated_appends_accumulate(client: DevClient) -> None:
    for batch in range(5):
        client.write_table(DATA, [{"batch": batch, "i": i} for i in range(3)], append=True)
    assert client.row_count(DATA) == 15
    assert [row["batch"] for row in client.read_table(DATA)] == [b for b in range(5) for _ in "abc"]


def test_append_to_hand_written_file_without_trailing_newline(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}')
    assert client.write_table(DATA, [{"id": 3}, {"id": 4}], append=True) == 2
    assert data_file.read_bytes() == b'{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n'
    assert [row["id"] for row in client.read_table(DATA)] == [1, 2, 3, 4]
    assert client.row_count(DATA) == 4


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
    assert _all_files(dev_dir) in ([], [META_DIR_NAME])


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
    assert _meta_json(dev_dir, "data")["append_from"] is None


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
    assert _meta_json(dev_dir, "data")["append_from"] is None


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


# --- read_table --------------------------------------------------------------------------------


def test_read_table_returns_a_lazy_iterator(client: DevClient, seeded: bytes) -> None:
    rows = client.read_table(DATA)
    assert not isinstance(rows, list | tuple)
    assert iter(rows) is rows
    assert next(rows) == {"id": 0}
    assert list(rows) == [{"id": 1, "name": "b"}, {"id": 2}]


def test_read_of_missing_table_raises_table_not_found_eagerly(client: DevClient) -> None:
    with pytest.raises(TableNotFound) as caught:
        client.read_table(DATA)  # not iterated: the error comes from the call itself
    error = caught.value
    assert DATA in error.message
    assert error.path == DATA
    assert error.code == YT_RESOLVE_ERROR == 500
    assert isinstance(error, LookupError)
    assert error.hint is not None
    assert "data.jsonl" in error.hint


def test_non_json_line_raises_table_format_error_naming_file_and_line(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}\nnot json at all\n{"id":4}\n')
    rows = client.read_table(DATA)
    assert next(rows) == {"id": 1}
    with pytest.raises(TableFormatError) as caught:
        list(rows)
    message = caught.value.message
    assert str(data_file) in message
    assert "line 3" in message
    assert "not json at all" in message


@pytest.mark.parametrize(
    "bad_line", [b"[1, 2]", b'"text"', b"42", b"null"], ids=["list", "str", "int", "null"]
)
def test_json_line_that_is_not_an_object_raises_table_format_error(
    client: DevClient, dev_dir: Path, data_file: Path, bad_line: bytes
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n' + bad_line + b"\n")
    with pytest.raises(TableFormatError, match=r"line 2 is not a JSON object") as caught:
        list(client.read_table(DATA))
    assert str(data_file) in caught.value.message


def test_truncated_last_line_raises_table_format_error(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":')
    with pytest.raises(TableFormatError, match="line 2"):
        list(client.read_table(DATA))


def test_blank_lines_are_skipped_when_reading(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'\n{"id":1}\n\n   \n\t\n{"id":2}\r\n\n')
    assert list(client.read_table(DATA)) == [{"id": 1}, {"id": 2}]


def test_row_count_agrees_with_read_for_file_with_blank_lines(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n\n   \n{"id":2}\n')
    assert client.row_count(DATA) == len(list(client.read_table(DATA)))


# --- exists ------------------------------------------------------------------------------------


def test_exists_is_false_for_a_missing_table(client: DevClient) -> None:
    assert client.exists(DATA) is False


def test_exists_is_true_for_a_written_table(client: DevClient, seeded: bytes) -> None:
    assert client.exists(DATA) is True


def test_exists_is_false_for_another_path_with_the_same_base_name(
    client: DevClient, seeded: bytes
) -> None:
    assert client.exists(OTHER_DATA) is False


def test_exists_is_false_for_a_different_base_name(client: DevClient, seeded: bytes) -> None:
    assert client.exists("//tmp/my_pipeline/data2") is False


def test_exists_rejects_an_invalid_path(client: DevClient) -> None:
    with pytest.raises(YtPathError):
        client.exists("//tmp/my_pipeline/data/@row_count")


# --- remove ------------------------------------------------------------------------------------


def test_remove_deletes_file_and_metadata(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    client.remove(DATA)
    assert not data_file.exists()
    assert not (dev_dir / META_DIR_NAME / "data.json").exists()
    assert client.exists(DATA) is False


def test_remove_frees_the_base_name_for_another_path(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA)
    client.write_table(OTHER_DATA, [{"other": True}])
    assert list(client.read_table(OTHER_DATA)) == [{"other": True}]
    assert client.exists(OTHER_DATA) is True
    assert client.exists(DATA) is False


def test_remove_of_missing_table_raises_table_not_found(client: DevClient) -> None:
    with pytest.raises(TableNotFound, match=DATA) as caught:
        client.remove(DATA)
    assert caught.value.code == YT_RESOLVE_ERROR


def test_remove_of_missing_table_with_force_is_a_no_op(client: DevClient, dev_dir: Path) -> None:
    client.remove(DATA, force=True)
    assert client.exists(DATA) is False


def test_remove_with_force_of_existing_table_removes_it(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA, force=True)
    assert client.exists(DATA) is False


def test_remove_twice_raises_the_second_time(client: DevClient, seeded: bytes) -> None:
    client.remove(DATA)
    with pytest.raises(TableNotFound):
        client.remove(DATA)


def test_force_remove_clears_a_stale_registry_entry(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    data_file.unlink()  # someone deleted the JSONL by hand; the registry still names DATA
    client.remove(DATA, force=True)
    client.write_table(OTHER_DATA, [{"id": 1}])
    assert client.exists(OTHER_DATA)


def test_remove_leaves_other_tables_alone(client: DevClient, seeded: bytes) -> None:
    client.write_table("//tmp/my_pipeline/other", [{"x": 1}])
    client.remove(DATA)
    assert list(client.read_table("//tmp/my_pipeline/other")) == [{"x": 1}]


# --- row_count ---------------------------------------------------------------------------------


def test_row_count_after_write_and_append(client: DevClient) -> None:
    client.write_table(DATA, ({"id": i} for i in range(7)))
    assert client.row_count(DATA) == 7
    client.write_table(DATA, [{"id": 7}, {"id": 8}], append=True)
    assert client.row_count(DATA) == 9
    client.write_table(DATA, [{"id": 0}])
    assert client.row_count(DATA) == 1


def test_row_count_of_missing_table_raises_table_not_found(client: DevClient) -> None:
    with pytest.raises(TableNotFound, match=DATA) as caught:
        client.row_count(DATA)
    assert caught.value.code == YT_RESOLVE_ERROR


def test_write_caches_the_row_count_in_metadata(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    client.write_table(DATA, ({"id": i} for i in range(5)))
    meta = _meta_json(dev_dir, "data")
    stat = data_file.stat()
    assert (meta["rows"], meta["size"], meta["mtime_ns"]) == (5, stat.st_size, stat.st_mtime_ns)


def test_row_count_is_served_from_metadata_while_the_file_is_unchanged(
    client: DevClient, seeded: bytes, dev_dir: Path
) -> None:
    # Tamper with the cached count only: the file's size and mtime still match the cache,
    # so a store that trusts its metadata (instead of rereading the rows) reports the tamper.
    store = MetaStore(dev_dir)
    meta = store.load("data")
    assert meta is not None
    meta.rows = 12345
    store.save("data", meta)
    assert client.row_count(DATA) == 12345


def test_row_count_is_recounted_after_a_hand_edit(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    assert client.row_count(DATA) == 3
    with data_file.open("ab") as handle:
        handle.write(b'{"id":3}\n{"id":4}\n')
    assert client.row_count(DATA) == 5
    assert _meta_json(dev_dir, "data")["rows"] == 5  # and the fresh count is cached


def test_row_count_is_recounted_after_a_same_size_edit_with_new_mtime(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    # Same byte length, different number of lines: only the mtime tells the cache is stale.
    assert client.row_count(DATA) == 3
    stat = data_file.stat()
    wide = len(seeded) % 3  # rows of 3 bytes ("{}\n") and 4 bytes ("{ }\n") fill any size
    narrow = (len(seeded) - 4 * wide) // 3
    data_file.write_bytes(b"{}\n" * narrow + b"{ }\n" * wide)
    os.utime(data_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert data_file.stat().st_size == stat.st_size
    assert client.row_count(DATA) == narrow + wide != 3


def test_row_count_of_unregistered_hand_written_file(
    client: DevClient, dev_dir: Path, data_file: Path
) -> None:
    dev_dir.mkdir()
    data_file.write_bytes(b'{"id":1}\n{"id":2}\n{"id":3}')  # no trailing newline
    assert client.row_count(DATA) == 3


# --- path registry and conflicts ---------------------------------------------------------------


def test_second_path_with_same_base_name_raises_path_conflict(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    meta_before = (dev_dir / META_DIR_NAME / "data.json").read_bytes()
    with pytest.raises(PathConflict) as caught:
        client.write_table(OTHER_DATA, [{"overwritten": True}])
    message = caught.value.message
    assert DATA in message
    assert OTHER_DATA in message
    assert str(data_file) in message
    assert data_file.read_bytes() == seeded
    assert (dev_dir / META_DIR_NAME / "data.json").read_bytes() == meta_before
    assert list(dev_dir.glob("*.tmp")) == []


def test_append_to_second_path_with_same_base_name_raises_path_conflict(
    client: DevClient, seeded: bytes, data_file: Path
) -> None:
    with pytest.raises(PathConflict):
        client.write_table(OTHER_DATA, [{"id": 99}], append=True)
    assert data_file.read_bytes() == seeded


@pytest.mark.parametrize("operation", ["read_table", "row_count", "remove"])
def test_other_operations_on_conflicting_path_refuse_and_keep_the_table(
    client: DevClient, seeded: bytes, data_file: Path, operation: str
) -> None:
    with pytest.raises(PathConflict):
        getattr(client, operation)(OTHER_DATA)
    assert data_file.read_bytes() == seeded
    assert client.exists(DATA)


def test_registry_persists_across_client_instances(
    client: DevClient, seeded: bytes, dev_dir: Path, data_file: Path
) -> None:
    fresh = DevClient(dev_dir)
    assert fresh.exists(DATA)
    assert fresh.row_count(DATA) == 3
    assert fresh.exists(OTHER_DATA) is False
    with pytest.raises(PathConflict):
        fresh.write_table(OTHER_DATA, [{"id": 1}])
    assert data_file.read_bytes() == seeded


def test_same_base_name_under_different_dev_dirs_is_independent(tmp_path: Path) -> None:
    first = DevClient(tmp_path / "a" / ".dev")
    second = DevClient(tmp_path / "b" / ".dev")
    first.write_table(DATA, [{"id": 1}])
    second.write_table(OTHER_DATA, [{"id": 2}])
    assert list(first.read_table(DATA)) == [{"id": 1}]
    assert list(second.read_table(OTHER_DATA)) == [{"id": 2}]


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


# --- tables() listing --------------------------------------------------------------------------


def test_tables_lists_registered_tables_with_rows_and_size(
    client: DevClient, dev_dir: Path
) -> None:
    client.write_table(DATA, [{"id": 1}, {"id": 2}])
    client.write_table("//tmp/my_pipeline/alpha", [{"a": 1}])
    assert client.tables.tables() == [
        TableInfo(
            "//tmp/my_pipeline/alpha",
            dev_dir / "alpha.jsonl",
            1,
            (dev_dir / "alpha.jsonl").stat().st_size,
        ),
        TableInfo(DATA, dev_dir / "data.jsonl", 2, (dev_dir / "data.jsonl").stat().st_size),
    ]


def test_tables_lists_unregistered_jsonl_with_no_path(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}])
    stray = dev_dir / "stray.jsonl"
    stray.write_bytes(b'{"x":1}\n{"x":2}\n{"x":3}')
    infos = {info.file.name: info for info in client.tables.tables()}
    assert set(infos) == {"data.jsonl", "stray.jsonl"}
    assert infos["stray.jsonl"] == TableInfo(None, stray, 3, stray.stat().st_size)
    assert infos["data.jsonl"].path == DATA


def test_tables_is_empty_for_a_fresh_dev_dir(dev_dir: Path) -> None:
    assert DevTableStore(dev_dir).tables() == []


def test_tables_ignores_metadata_and_temp_files(client: DevClient, dev_dir: Path) -> None:
    client.write_table(DATA, [{"id": 1}])
    (dev_dir / ".data.jsonl.leftover.tmp").write_bytes(b"{}\n")
    (dev_dir / "operation.log").write_text("log\n")
    assert [info.file.name for info in client.tables.tables()] == ["data.jsonl"]


def test_tables_reflects_appends_and_removes(client: DevClient) -> None:
    client.write_table(DATA, [{"id": 1}])
    client.write_table(DATA, [{"id": 2}], append=True)
    [info] = client.tables.tables()
    assert info.rows == 2
    client.remove(DATA)
    assert client.tables.tables() == []
