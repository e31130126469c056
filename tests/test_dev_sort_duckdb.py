"""The DuckDB sort path: YT's order across types, stability, fallbacks, errors, atomic output.

Every expectation is the Python definition of YT order (``ordering.row_key``, a stable
sort), which ``test_dev_sort.py`` pins value by value; here the fast path must match it
byte for byte, and must report that it was the one that sorted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from ytflow.dev import DevClient, duckdb_sort
from ytflow.dev.external_sort import sort_jsonl
from ytflow.dev.ordering import row_key
from ytflow.dev.table_sort import sort_files
from ytflow.errors import OperationError, TableFormatError, YtflowError
from ytflow.ops import SortOperation

MISSING = object()
# One of each kind YT orders, in no order: null, missing, int64 (negative, zero, max),
# uint64, doubles (negative, zero, fractional, exponent, huge), booleans, strings (empty,
# digits, unicode, escapes).
MIXED: list[Any] = [
    "b", 10, None, 2.5, True, MISSING, -1.0, "10", False, 1, "", -3, 2**63, 2**64 - 1,
    2**63 - 1, -(2**63), 0, 0.0, 1e300, -2.5e-8, "é", "\u00e9z", 'quo"te', "a\\b", None,
    MISSING, 3, 3.0, "3", True, "Z", "a",
]  # fmt: skip


@pytest.fixture(autouse=True, params=["lines kept", "lines read twice"])
def line_storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with small inputs' plan (lines in the temp table) and large inputs'
    (lines read again beside the keys)."""
    if request.param == "lines read twice":
        monkeypatch.setattr(duckdb_sort, "_KEPT_LINES_BYTES", 0)


def dump_rows(rows: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def keyed_rows(keys: Sequence[Any], column: str = "k") -> list[dict[str, Any]]:
    return [
        {"seq": seq} if key is MISSING else {column: key, "seq": seq}
        for seq, key in enumerate(keys)
    ]


def expected(data: bytes, columns: Sequence[str]) -> bytes:
    """A stable sort of the lines in YT order, bytes untouched."""
    key_of = row_key(columns)
    lines = [line + b"\n" for line in data.split(b"\n") if line.strip()]
    return b"".join(sorted(lines, key=lambda line: key_of(orjson.loads(line))))


def sort(tmp_path: Path, inputs: Sequence[bytes], columns: Sequence[str]) -> tuple[bytes, str, int]:
    files: list[Path] = []
    for index, data in enumerate(inputs):
        files.append(tmp_path / f"in{index}.jsonl")
        files[-1].write_bytes(data)
    output = tmp_path / "out.jsonl"
    outcome = sort_files(files, output, columns, temp_dir=tmp_path / "tmp")
    assert not list((tmp_path / "tmp").glob("*"))  # DuckDB's spill folder is gone
    return output.read_bytes(), outcome.engine, outcome.rows


def test_a_column_mixing_every_type_sorts_into_yt_order_through_duckdb(tmp_path: Path) -> None:
    data = dump_rows(keyed_rows(MIXED))
    out, engine, rows = sort(tmp_path, [data], ["k"])
    assert engine == "duckdb"
    assert rows == len(MIXED)
    assert out == expected(data, ["k"])
    keys = [orjson.loads(line).get("k", "<missing>") for line in out.splitlines()]
    # null and missing first (input order), then int64 by value, uint64, doubles, booleans,
    # strings bytewise: 3 and 3.0 and "3" are three different values in three places.
    assert keys[:4] == [None, "<missing>", None, "<missing>"]
    assert keys[4:12] == [-(2**63), -3, 0, 1, 3, 10, 2**63 - 1, 2**63]
    assert keys[12] == 2**64 - 1
    assert keys[13:20] == [-1.0, -2.5e-8, 0.0, 2.5, 3.0, 1e300, False]
    assert keys[20:22] == [True, True]
    assert keys[22:] == ["", "10", "3", "Z", "a", "a\\b", "b", 'quo"te', "é", "éz"]
    assert out == _python_sorted(tmp_path, data, ["k"])


def test_a_guess_from_the_first_rows_that_later_rows_break_still_sorts_exactly(
    tmp_path: Path,
) -> None:
    # 1,500 ints (the sample sees only ints), then doubles, strings, and ints equal in value.
    keys: list[Any] = [(index * 7919) % 1000 for index in range(1500)]
    keys += [1.5, "7", 7, 7.0, None, MISSING, False, 2**64 - 1]
    data = dump_rows(keyed_rows(keys))
    out, engine, _ = sort(tmp_path, [data], ["k"])
    assert engine == "duckdb"
    assert out == expected(data, ["k"])


@pytest.mark.parametrize(
    "second",
    [
        [0.5, -0.5, 1e-3, 2.0, -0.0, 7.25],  # doubles
        ["b", "a", "", "ж", "ab", "a"],  # strings
        [True, False, True, False, True, False],  # booleans
    ],
)
def test_several_columns_and_inputs_sort_stably_in_input_order(
    tmp_path: Path, second: list[Any]
) -> None:
    rows = [{"a": index % 3, "b": second[index % len(second)], "seq": index} for index in range(60)]
    first, rest = dump_rows(rows[:25]), dump_rows(rows[25:])
    out, engine, count = sort(tmp_path, [first, b"", rest], ["a", "b"])
    assert engine == "duckdb"
    assert count == len(rows)
    assert out == expected(first + rest, ["a", "b"])


def test_blank_lines_are_skipped_and_column_names_need_no_quoting(tmp_path: Path) -> None:
    rows = [{"a/b": 3 - index % 3, "t~'x\"": index, "seq": index} for index in range(9)]
    data = b"\n".join(orjson.dumps(row) for row in rows) + b"\n\n   \n\t\n"
    out, engine, count = sort(tmp_path, [data], ["a/b", "t~'x\""])
    assert (engine, count) == ("duckdb", 9)
    assert out == expected(data, ["a/b", "t~'x\""])


@pytest.mark.parametrize(
    ("lines", "columns"),
    [
        ([b'{"k":[2]}', b'{"k":{"z":1}}', b'{"k":[1,2]}', b'{"k":1}'], ["k"]),  # composites
        ([b'{"k":1}'] * 1200 + [b'{"k":[1]}', b'{"k":0}'], ["k"]),  # ...past the sample
        ([b'  {"k":2}', b'{"k":1}'], ["k"]),  # leading whitespace
        ([b'{"k":2}', b'{"":1,"k":1}'], [""]),  # an empty column name
    ],
)
def test_what_duckdb_cannot_order_exactly_is_sorted_by_python(
    tmp_path: Path, lines: list[bytes], columns: list[str]
) -> None:
    data = b"\n".join(lines) + b"\n"
    out, engine, _ = sort(tmp_path, [data], columns)
    assert engine == "python"
    assert out == expected(data, columns)


def test_the_words_nan_and_infinity_inside_strings_keep_the_duckdb_path(tmp_path: Path) -> None:
    words = ["NaN", "Infinity", "-Infinity war", "naN", "x"]
    rows = [{"k": words[index % 5], "n": index % 3, "seq": index} for index in range(1500)]
    data = dump_rows(rows)
    out, engine, _ = sort(tmp_path, [data], ["k", "n"])
    assert engine == "duckdb"
    assert out == expected(data, ["k", "n"])


def test_a_file_name_duckdb_would_read_as_a_pattern_is_sorted_by_python(tmp_path: Path) -> None:
    source = tmp_path / "in[1].jsonl"
    data = dump_rows(keyed_rows([3, 1, 2]))
    source.write_bytes(data)
    outcome = sort_files([source], tmp_path / "out.jsonl", ["k"], temp_dir=tmp_path / "tmp")
    assert outcome.engine == "python"
    assert (tmp_path / "out.jsonl").read_bytes() == expected(data, ["k"])


@pytest.mark.parametrize("good_lines", [2, 1200])  # the bad line inside, or past, the sample
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b"5", "not a JSON object"),
        (b'{"k": 1} trailing', "not JSON"),
        (b'{"k": NaN}', "not JSON"),
        (b'{"k": 1, "other": -Infinity}', "not JSON"),
    ],
)
def test_a_bad_line_names_its_file_and_line_and_leaves_the_output(
    tmp_path: Path, bad: bytes, why: str, good_lines: int
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(dump_rows([{"k": index % 5} for index in range(good_lines)]) + bad + b"\n")
    output = tmp_path / "out.jsonl"
    output.write_bytes(b'{"old": 1}\n')
    with pytest.raises(TableFormatError, match=rf"{source}, line {good_lines + 1} is {why}"):
        sort_files([source], output, ["k"], temp_dir=tmp_path / "tmp")
    assert output.read_bytes() == b'{"old": 1}\n'
    assert {path.name for path in tmp_path.iterdir()} - {"tmp"} == {"in.jsonl", "out.jsonl"}
    assert not list((tmp_path / "tmp").glob("*"))


def test_a_duckdb_failure_is_a_ytflow_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real DuckDB error: too little memory for one read buffer.
    monkeypatch.setattr(duckdb_sort, "MEMORY_LIMIT", "1MB")
    source = tmp_path / "in.jsonl"
    source.write_bytes(dump_rows([{"k": index % 7, "pad": "x" * 100} for index in range(2000)]))
    output = tmp_path / "out.jsonl"
    output.write_bytes(b'{"old": 1}\n')
    with pytest.raises(YtflowError) as caught:
        sort_files([source], output, ["k"], temp_dir=tmp_path / "tmp")
    assert isinstance(caught.value, OperationError)
    assert not isinstance(caught.value.__cause__, duckdb.Error)
    assert "out of memory" in str(caught.value)
    assert str(source) in str(caught.value)
    assert caught.value.hint
    assert output.read_bytes() == b'{"old": 1}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl", "tmp"]
    assert not list((tmp_path / "tmp").iterdir())


def test_a_sort_killed_before_its_rename_leaves_the_old_output_table(tmp_path: Path) -> None:
    """SIGKILL after DuckDB wrote the whole result, just before it would replace the table:
    the table reads as before, and the next access sweeps the half-done work away."""
    dev = tmp_path / ".dev"
    client = DevClient(dev)
    client.write_table("//tmp/t/data", [{"k": 3 - index % 3} for index in range(300)])
    client.write_table("//tmp/t/sorted", [{"old": True}])
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from ytflow.dev import DevClient, duckdb_sort
        from ytflow.ops import SortOperation

        def die(staged: Path, output: Path) -> None:
            assert staged.stat().st_size > 0
            os.kill(os.getpid(), signal.SIGKILL)

        duckdb_sort._durable_replace = die
        DevClient(Path({str(dev)!r})).run_operation(
            SortOperation(input_table=["//tmp/t/data"], output_table="//tmp/t/sorted",
                          sort_by=["k"]),
            stage="s",
        )
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert list(client.read_table("//tmp/t/sorted")) == [{"old": True}]
    assert client.tables.sorted_by("//tmp/t/sorted") is None
    client.run_operation(
        SortOperation(input_table=["//tmp/t/data"], output_table="//tmp/t/sorted", sort_by=["k"]),
        stage="s",
    )
    assert [row["k"] for row in client.read_table("//tmp/t/sorted")] == [1] * 100 + [2] * 100 + [
        3
    ] * 100
    assert client.tables.sorted_by("//tmp/t/sorted") == ["k"]
    left = [path.name for path in dev.rglob("*") if path.is_file() and path.suffix == ".tmp"]
    assert not left, left
    assert not list(dev.rglob(".ytflow-duckdb-*"))


def test_the_sort_uses_the_cores_it_may_run_on_with_a_fallback_off_linux(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert 1 <= duckdb_sort._cores() <= (os.cpu_count() or 1)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # macOS has none
    assert duckdb_sort._cores() == (os.cpu_count() or 1)


def _python_sorted(tmp_path: Path, data: bytes, columns: Sequence[str]) -> bytes:
    source = tmp_path / "python.in.jsonl"
    source.write_bytes(data)
    output = tmp_path / "python.out.jsonl"
    sort_jsonl([source], output, columns, temp_dir=tmp_path / "python.tmp")
    return output.read_bytes()
