"""The dev table store, basics: where tables live, round trips, replace and append, reads,
``exists``. Logical YT paths are JSONL files under ``.dev/`` on a real filesystem.
"""

from __future__ import annotations

import datetime
import math
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
import pytest
from dev_table_helpers import DATA, OTHER_DATA, meta_json

from ytflow.dev.client import DevClient
from ytflow.errors import YT_RESOLVE_ERROR, RowError, TableFormatError, TableNotFound, YtPathError

# The ``dev_dir``, ``client``, ``data_file`` and ``seeded`` fixtures live in conftest.py.


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
    assert meta_json(dev_dir, "data")["path"] == DATA


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
