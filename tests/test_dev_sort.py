"""YT sort order for dev values, and the external merge sort of dev JSONL tables."""

from __future__ import annotations

import enum
import math
import random
import tracemalloc
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from ytflow.dev import external_sort
from ytflow.dev.external_sort import is_sorted_file, sort_jsonl
from ytflow.dev.ordering import check_sorted, row_key, value_key
from ytflow.errors import TableFormatError, UsageError

UINT64_MAX = 2**64 - 1
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def write_lines(path: Path, lines: Sequence[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def dump(rows: Sequence[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(row) + b"\n" for row in rows]


def expected_bytes(lines: Sequence[bytes], columns: Sequence[str]) -> bytes:
    """What a stable sort of the non-blank lines by YT order gives, bytes untouched."""
    key_of = row_key(columns)
    kept: list[bytes] = [
        line if line.endswith(b"\n") else line + b"\n" for line in lines if line.strip()
    ]

    def line_key(line: bytes) -> tuple[tuple[int, Any], ...]:
        return key_of(orjson.loads(line))

    return b"".join(sorted(kept, key=line_key))


def run_sort(
    tmp_path: Path,
    lines: Sequence[bytes],
    columns: Sequence[str],
    *,
    run_bytes: int = 256 * 1024 * 1024,
    name: str = "out",
) -> bytes:
    source = write_lines(tmp_path / f"{name}.in.jsonl", lines)
    output = tmp_path / f"{name}.jsonl"
    temp_dir = tmp_path / f"{name}.tmp"
    count = sort_jsonl([source], output, columns, temp_dir=temp_dir, run_bytes=run_bytes)
    assert count == sum(1 for line in lines if line.strip())
    assert_no_run_files(temp_dir)
    return output.read_bytes()


def assert_no_run_files(temp_dir: Path) -> None:
    assert not temp_dir.exists() or list(temp_dir.iterdir()) == []


def sort_values(values: Sequence[Any]) -> list[Any]:
    return sorted(values, key=value_key)


# --- value order -------------------------------------------------------------------------


def test_types_rank_null_int64_uint64_double_boolean_string_any() -> None:
    values = [{"a": 1}, "a", True, 2.5, 2**63, 5, None, [1]]
    assert sort_values(values) == [None, 5, 2**63, 2.5, True, "a", [1], {"a": 1}]


def test_integers_compare_numerically_not_as_text() -> None:
    assert sort_values([10, 2, 1, -3, INT64_MIN, INT64_MAX]) == [
        INT64_MIN,
        -3,
        1,
        2,
        10,
        INT64_MAX,
    ]


def test_int64_sorts_before_double_whatever_the_values() -> None:
    assert value_key(5) < value_key(2.5)
    assert value_key(INT64_MAX) < value_key(-1e300)
    assert sort_values([2.5, 5, -1.5, 1.0, 1]) == [1, 5, -1.5, 1.0, 2.5]


def test_uint64_sorts_above_int64_and_below_double() -> None:
    assert value_key(INT64_MAX) < value_key(2**63) < value_key(UINT64_MAX) < value_key(-1.0)
    assert value_key(2**63)[0] == value_key(UINT64_MAX)[0] != value_key(INT64_MAX)[0]


def test_booleans_sort_after_doubles_false_first() -> None:
    assert sort_values([True, 1e300, False, 0.0]) == [0.0, 1e300, False, True]
    assert value_key(True) > value_key(1)  # bool is an int in Python, not in YT


def test_nan_sorts_after_every_double_and_equals_itself() -> None:
    nan = float("nan")
    assert value_key(math.inf) < value_key(nan) < value_key(False)
    assert value_key(nan) == value_key(float("nan"))


def test_null_and_missing_column_sort_first() -> None:
    assert value_key(None) < value_key(INT64_MIN) < value_key(0)
    key_of = row_key(["k"])
    rows = [{"k": 0}, {"other": 1}, {"k": None}, {"k": ""}, {"k": -5}]
    assert sorted(rows, key=key_of) == [{"other": 1}, {"k": None}, {"k": -5}, {"k": 0}, {"k": ""}]


def test_strings_sort_bytewise_including_unicode() -> None:
    strings = ["b", "a", "", "B", "ab", "é", "z", "\uffff", "😀", "\u00ff", "日本", "a\x00"]
    by_bytes = sorted(strings, key=lambda text: text.encode("utf-8"))
    assert sort_values(strings) == by_bytes
    assert value_key("a") < value_key("b")
    assert value_key("10") < value_key("2")  # strings stay text


def test_composites_sort_last_and_deterministically() -> None:
    assert value_key("\U0010ffff") < value_key([]) < value_key({})
    assert value_key({"b": 1, "a": 2}) == value_key({"a": 2, "b": 1})
    assert value_key([1, 2]) < value_key([1, 3])
    composites = [{"x": [1, {"b": 2, "a": 1}]}, [2], [1, "a"], {"a": None}, []]
    shuffled = list(reversed(composites))
    assert sort_values(composites) == sort_values(shuffled)
    # Integers beyond 64 bits cannot come from JSON but still get a key.
    assert value_key([2**70])[0] == value_key([1])[0]


def test_subclasses_are_ordered_by_their_base_type() -> None:
    class Color(enum.IntEnum):
        RED = 3

    class Name(str):
        __slots__ = ()

    assert value_key(Color.RED) == value_key(3)
    assert value_key(Name("x")) == value_key("x")
    assert value_key(OrderedDict([("b", 1), ("a", 2)])) == value_key({"a": 2, "b": 1})
    assert value_key((1, 2)) == value_key([1, 2])


def test_unorderable_value_types_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot order a value of type bytes"):
        value_key(b"raw")


# --- row keys and sortedness -------------------------------------------------------------


def test_multi_column_keys_compare_column_by_column() -> None:
    rows = [
        {"a": 2, "b": "x"},
        {"a": 1, "b": "z"},
        {"a": 1, "b": "y"},
        {"a": 1},
        {"a": 2, "b": 1.5},
    ]
    assert sorted(rows, key=row_key(["a", "b"])) == [
        {"a": 1},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": 1.5},
        {"a": 2, "b": "x"},
    ]
    assert sorted(rows, key=row_key(["b", "a"]))[0] == {"a": 1}


def test_row_key_with_many_columns_matches_value_keys() -> None:
    row = {"c": True, "a": 1, "d": [1]}
    assert row_key(["a", "b", "c", "d"])(row) == (
        value_key(1),
        value_key(None),
        value_key(True),
        value_key([1]),
    )


@pytest.mark.parametrize(
    ("columns", "message"),
    [("key", "got the string 'key'"), ([], "must not be empty"), (["a", "a"], "twice")],
)
def test_bad_sort_columns_are_refused(columns: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        row_key(columns)


def test_check_sorted_finds_the_first_row_out_of_order() -> None:
    rows = [{"k": None}, {"k": 1}, {"k": 1}, {"k": 2.0}, {"k": 0}, {"k": -1}]
    assert check_sorted(rows, ["k"]) == 4
    assert check_sorted(rows[:4], ["k"]) is None
    assert check_sorted([], ["k"]) is None
    assert check_sorted(iter([{"k": 1}]), ["k"]) is None


# --- external sort -----------------------------------------------------------------------


def test_sorts_by_yt_order_and_preserves_line_bytes(tmp_path: Path) -> None:
    lines = [
        b'{"z": 1, "k": 10}\n',
        b'{"k":2.0,"a":"keep my spacing"}\n',
        b'{"k": 2}\n',
        b"\n",
        b'{"k":"2"}\n',
        b"   \n",
        b'{"k": null, "x": [1, {"b": 1, "a": 2}]}\n',
        b'{"no_k": true}',  # the last line has no newline
    ]
    result = run_sort(tmp_path, lines, ["k"])
    assert result == (
        b'{"k": null, "x": [1, {"b": 1, "a": 2}]}\n'
        b'{"no_k": true}\n'  # missing reads as null: a tie, so input order
        b'{"k": 2}\n'
        b'{"z": 1, "k": 10}\n'
        b'{"k":2.0,"a":"keep my spacing"}\n'
        b'{"k":"2"}\n'
    )


def test_multi_column_sort(tmp_path: Path) -> None:
    rows = [
        {"a": a, "b": b, "i": i}
        for i, (a, b) in enumerate([(2, "x"), (1, "y"), (1, "x"), (2, None)])
    ]
    result = run_sort(tmp_path, dump(rows), ["a", "b"])
    assert [orjson.loads(line)["i"] for line in result.splitlines()] == [2, 1, 3, 0]


def test_equal_keys_keep_input_order(tmp_path: Path) -> None:
    rows = [{"k": i % 3, "i": i} for i in range(30)]
    result = run_sort(tmp_path, dump(rows), ["k"])
    order = [orjson.loads(line)["i"] for line in result.splitlines()]
    assert order == sorted(range(30), key=lambda i: i % 3)
    # -0.0 and 0.0 are equal doubles: a tie, so input order again.
    assert run_sort(tmp_path, [b'{"k":0.0}\n', b'{"k":-0.0}\n'], ["k"], name="zero") == (
        b'{"k":0.0}\n{"k":-0.0}\n'
    )


@pytest.mark.parametrize("run_bytes", [256 * 1024 * 1024, 200])
def test_inputs_are_concatenated_in_order(tmp_path: Path, run_bytes: int) -> None:
    first = write_lines(tmp_path / "first.jsonl", dump([{"k": 2, "f": 1}, {"k": 1, "f": 1}]))
    second = write_lines(tmp_path / "second.jsonl", [b'{"k": 1, "f": 2}'])  # no final newline
    third = write_lines(tmp_path / "third.jsonl", dump([{"k": 2, "f": 3}, {"k": 0, "f": 3}]))
    output = tmp_path / "out.jsonl"
    count = sort_jsonl(
        [first, second, third], output, ["k"], temp_dir=tmp_path / "tmp", run_bytes=run_bytes
    )
    assert count == 5
    assert output.read_bytes() == (
        b'{"k":0,"f":3}\n{"k":1,"f":1}\n{"k": 1, "f": 2}\n{"k":2,"f":1}\n{"k":2,"f":3}\n'
    )
    assert_no_run_files(tmp_path / "tmp")


def mixed_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    def value() -> Any:
        kind = rng.randrange(10)
        if kind == 0:
            return None
        if kind == 1:
            return rng.randrange(-20, 20)
        if kind == 2:
            return rng.choice([INT64_MIN, INT64_MAX, 2**63, UINT64_MAX, 2**63 + rng.randrange(5)])
        if kind == 3:
            return rng.choice([-1.5, 0.0, -0.0, 1.0, 2.5, 1e300, -1e-300, float(rng.randrange(5))])
        if kind == 4:
            return rng.random() < 0.5
        if kind in (5, 6):
            alphabet = "aAbZ0 é\u00ff日😀\uffff"
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(4)))
        if kind == 7:
            return [rng.randrange(3) for _ in range(rng.randrange(3))]
        if kind == 8:
            return {rng.choice("ab"): rng.randrange(3)}
        return rng.randrange(3)

    rows: list[dict[str, Any]] = []
    for index in range(count):
        row: dict[str, Any] = {"id": index}
        for column in ("a", "b", "c"):
            if rng.random() < 0.85:  # some rows lack a key column: read as null
                row[column] = value()
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_random_mixed_rows_match_sorted_with_row_key(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = mixed_rows(rng, rng.randrange(0, 400))
    columns = rng.choice([["a"], ["a", "b"], ["c", "a", "b"], ["b", "missing"]])
    lines = dump(rows)
    tiny = run_sort(tmp_path, lines, columns, run_bytes=rng.choice([1, 200, 2_000]), name="tiny")
    in_memory = run_sort(tmp_path, lines, columns, name="memory")
    assert tiny == in_memory == expected_bytes(lines, columns)
    expected_rows = sorted(rows, key=row_key(columns))  # stable, as the file sort must be
    assert [orjson.loads(line) for line in tiny.splitlines()] == expected_rows
    assert check_sorted(expected_rows, columns) is None
    assert is_sorted_file(tmp_path / "tiny.jsonl", columns)


def test_external_path_with_many_runs_matches_in_memory(tmp_path: Path) -> None:
    rows = mixed_rows(random.Random(99), 1500)
    lines = dump(rows)
    external = run_sort(tmp_path, lines, ["a", "b"], run_bytes=200, name="external")
    multi_row_runs = run_sort(tmp_path, lines, ["a", "b"], run_bytes=3_000, name="runs")
    in_memory = run_sort(tmp_path, lines, ["a", "b"], name="memory")
    assert external == multi_row_runs == in_memory == expected_bytes(lines, ["a", "b"])


def test_merges_in_several_passes_when_runs_exceed_the_fan_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(external_sort, "_FAN_IN", 3)
    rows = [{"k": i % 7, "i": i} for i in range(200)]
    lines = dump(rows)
    assert run_sort(tmp_path, lines, ["k"], run_bytes=500) == expected_bytes(lines, ["k"])


def test_sorting_a_file_onto_itself(tmp_path: Path) -> None:
    lines = dump([{"k": 3}, {"k": 1}, {"k": 2}])
    for run_bytes in (200, 1 << 20):
        table = write_lines(tmp_path / "table.jsonl", lines)
        sort_jsonl([table], table, ["k"], temp_dir=tmp_path / "tmp", run_bytes=run_bytes)
        assert table.read_bytes() == b'{"k":1}\n{"k":2}\n{"k":3}\n'


@pytest.mark.parametrize("run_bytes", [256 * 1024 * 1024, 200])
@pytest.mark.parametrize(
    ("bad", "why"), [(b'{"k": 1\n', "is not JSON"), (b"[1, 2]\n", "is not a JSON object")]
)
def test_bad_line_names_file_and_line_and_leaves_output_intact(
    tmp_path: Path, run_bytes: int, bad: bytes, why: str
) -> None:
    good = dump([{"k": i, "pad": "x" * 40} for i in range(20, 0, -1)])
    lines = [*good[:15], b"\n", bad, *good[15:]]  # the bad line is line 17
    source = write_lines(tmp_path / "source.jsonl", lines)
    output = write_lines(tmp_path / "out.jsonl", [b'{"previous": true}\n'])
    temp_dir = tmp_path / "tmp"
    with pytest.raises(TableFormatError, match=rf"source\.jsonl, line 17 {why}") as caught:
        sort_jsonl([source], output, ["k"], temp_dir=temp_dir, run_bytes=run_bytes)
    assert str(source) in str(caught.value)
    assert output.read_bytes() == b'{"previous": true}\n'
    assert_no_run_files(temp_dir)
    # No temp file of the output is left beside it either.
    assert {path.name for path in tmp_path.iterdir()} - {"tmp"} == {"out.jsonl", "source.jsonl"}


def test_failure_during_merge_removes_run_and_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = dump([{"k": i} for i in range(50, 0, -1)])
    source = write_lines(tmp_path / "source.jsonl", lines)
    output = write_lines(tmp_path / "out.jsonl", [b'{"previous": true}\n'])
    calls = 0
    real_keyed_lines = external_sort._keyed_lines  # pyright: ignore[reportPrivateUsage]

    def failing_keyed_lines(*args: Any) -> Any:
        nonlocal calls
        for item in real_keyed_lines(*args):
            calls += 1
            if calls > 20:
                raise OSError("disk went away")
            yield item

    monkeypatch.setattr(external_sort, "_keyed_lines", failing_keyed_lines)
    with pytest.raises(OSError, match="disk went away"):
        sort_jsonl([source], output, ["k"], temp_dir=tmp_path / "tmp", run_bytes=200)
    assert output.read_bytes() == b'{"previous": true}\n'
    assert_no_run_files(tmp_path / "tmp")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.jsonl", "source.jsonl", "tmp"]


def test_empty_input_gives_empty_output(tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.jsonl", [])
    blank = write_lines(tmp_path / "blank.jsonl", [b"\n", b"  \n", b"\r\n"])
    output = write_lines(tmp_path / "out.jsonl", [b'{"previous": true}\n'])
    assert sort_jsonl([empty, blank], output, ["k"], temp_dir=tmp_path / "tmp", run_bytes=1) == 0
    assert output.read_bytes() == b""
    assert sort_jsonl([], tmp_path / "none.jsonl", ["k"], temp_dir=tmp_path / "tmp") == 0
    assert (tmp_path / "none.jsonl").read_bytes() == b""
    assert is_sorted_file(empty, ["k"])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "source.jsonl", dump([{"k": 1}]))
    with pytest.raises(UsageError, match="run_bytes"):
        sort_jsonl([source], tmp_path / "o.jsonl", ["k"], temp_dir=tmp_path, run_bytes=0)
    with pytest.raises(UsageError, match="string"):
        sort_jsonl([source], tmp_path / "o.jsonl", "k", temp_dir=tmp_path)
    assert not (tmp_path / "o.jsonl").exists()


def test_is_sorted_file(tmp_path: Path) -> None:
    ordered = write_lines(tmp_path / "ordered.jsonl", [b'{"k":1}\n', b"\n", b'{"k":1.5}\n'])
    unordered = write_lines(tmp_path / "unordered.jsonl", [b'{"k":"1"}\n', b'{"k":2}\n'])
    assert is_sorted_file(ordered, ["k"])
    assert not is_sorted_file(unordered, ["k"])
    assert is_sorted_file(unordered, ["other"])  # all null: equal keys are sorted
    broken = write_lines(tmp_path / "broken.jsonl", [b'{"k":1}\n', b"oops\n"])
    with pytest.raises(TableFormatError, match=r"broken\.jsonl, line 2"):
        is_sorted_file(broken, ["k"])


@pytest.mark.slow  # ~9 s: memory bounds, run in the slow CI step
def test_memory_stays_bounded_by_run_bytes(tmp_path: Path) -> None:
    rng = random.Random(7)
    source = tmp_path / "big.jsonl"
    with source.open("wb") as handle:
        for index in range(300_000):
            user = f"u{rng.randrange(10**9):09d}"
            row = {"user": user, "n": rng.randrange(10**6), "i": index, "pad": "p" * 64}
            handle.write(orjson.dumps(row) + b"\n")
    data_size = source.stat().st_size
    output = tmp_path / "sorted.jsonl"
    tracemalloc.start()
    try:
        count = sort_jsonl(
            [source], output, ["user", "n"], temp_dir=tmp_path / "tmp", run_bytes=1 << 20
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300_000
    assert output.stat().st_size == data_size
    assert peak < data_size / 4, (peak, data_size)  # about 36 MB of rows
    assert peak < 16 * 1024 * 1024, (peak, data_size)
    assert is_sorted_file(output, ["user", "n"])
    assert_no_run_files(tmp_path / "tmp")
