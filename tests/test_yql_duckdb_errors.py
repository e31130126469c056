"""No DuckDB exception reaches stage code: each failure of the dev YQL engine is a ytflow error.

Corrupt table files (a bad line in the middle, binary garbage, a line that is an array or a
number, bytes that are not UTF-8, nesting DuckDB cannot parse) are read through ``run_yql``
by a SELECT and by an INSERT; results dev cannot store (NaN) or columns DuckDB would merge
(``a`` and ``A``) are refused; SIGINT and SIGTERM stop a running query and end the process
as its handlers say.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ytflow.dev.client import DevClient
from ytflow.errors import TableFormatError, YqlError, YtflowError

CORRUPT = {
    "bad-line-in-the-middle": (b'{"x":1}\n{"x":2\n{"x":3}\n', 2),
    "binary-garbage": (b'{"x":1}\n\x00\xff\xfe\x01garbage\n{"x":3}\n', 2),
    "a-line-that-is-an-array": (b'{"x":1}\n[1,2,3]\n', 2),
    "a-line-that-is-a-number": (b'{"x":1}\n{"x":2}\n42\n', 3),
    "not-utf-8": (b'{"x":1}\n{"x":"\xff\xfe"}\n', 2),
}


@pytest.fixture
def yt(tmp_path: Path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//p/good", [{"x": 1}])
    return client


def _corrupt(yt: DevClient, content: bytes) -> Path:
    yt.write_table("//p/bad", [{"x": 1}])
    file = yt.tables.file_for("//p/bad")
    file.write_bytes(content)
    return file


@pytest.mark.parametrize("case", CORRUPT, ids=list(CORRUPT))
@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM `//p/bad`;",
        "INSERT INTO `//p/out` WITH TRUNCATE SELECT x FROM `//p/bad`;",
        "SELECT g.x AS x FROM `//p/good` AS g JOIN `//p/bad` AS b ON g.x == b.x;",
    ],
    ids=["select", "insert", "join"],
)
def test_a_corrupt_table_is_a_table_format_error(yt: DevClient, case: str, query: str) -> None:
    content, line = CORRUPT[case]
    file = _corrupt(yt, content)
    with pytest.raises(TableFormatError) as caught:
        yt.run_yql(query)
    message = str(caught.value)
    assert "//p/bad" in message
    assert str(file) in message
    assert f"line {line} " in message
    assert not yt.exists("//p/out")


def test_a_corrupt_line_past_the_inferred_types_is_named(yt: DevClient) -> None:
    """Column types are cached; a line appended later still fails as a ytflow error."""
    file = _corrupt(yt, b'{"x":1}\n{"x":2}\n')
    assert yt.run_yql("SELECT COUNT(*) AS n FROM `//p/bad`;") == [{"n": 2}]
    with file.open("ab") as handle:
        handle.write(b'{"x":"three"}\n{"x":4\n')
    with pytest.raises(TableFormatError, match="line 4 "):
        yt.run_yql("SELECT * FROM `//p/bad`;")


def test_nesting_duckdb_cannot_parse_is_a_ytflow_error(yt: DevClient) -> None:
    depth = 200
    _corrupt(yt, b'{"x":' + b"[" * depth + b"]" * depth + b"}\n")
    with pytest.raises((YqlError, TableFormatError)) as caught:
        yt.run_yql("SELECT * FROM `//p/bad`;")
    assert "//p/bad" in str(caught.value)


def test_nan_is_returned_by_select_and_refused_by_insert(yt: DevClient) -> None:
    rows = yt.run_yql('SELECT CAST("nan" AS Double) AS a, CAST("-inf" AS Double) AS b;')
    assert math.isnan(rows[0]["a"])
    assert rows[0]["b"] == -math.inf
    yt.write_table("//p/out", [{"a": 1.0}])
    with pytest.raises(YqlError, match="row 2 holds NaN or infinity") as caught:
        yt.run_yql(
            "INSERT INTO `//p/out` WITH TRUNCATE\n"
            'SELECT 1.0 AS a UNION ALL SELECT CAST("inf" AS Double) AS a;'
        )
    assert caught.value.line == 1
    assert list(yt.read_table("//p/out")) == [{"a": 1.0}]  # unchanged


def test_a_string_holding_nan_is_stored(yt: DevClient) -> None:
    yt.run_yql('INSERT INTO `//p/out` SELECT "NaN Infinity" AS s, 1.5 AS d;')
    assert list(yt.read_table("//p/out")) == [{"s": "NaN Infinity", "d": 1.5}]


def test_columns_that_differ_only_in_case_are_refused(yt: DevClient) -> None:
    yt.write_table("//p/case", [{"a": 1, "A": 2}])
    with pytest.raises(YqlError, match="columns 'a' and 'A', which differ only in case"):
        yt.run_yql("SELECT `A` FROM `//p/case`;")
    with pytest.raises(YqlError, match="differ only in case"):
        yt.select_columns(input_table="//p/case", output_table="//p/out", columns=["A"])
    assert not yt.exists("//p/out")
    yt.write_table("//p/suffix", [{"a": 1, "a_1": 2}])  # a real a_1 column is fine
    assert yt.run_yql("SELECT * FROM `//p/suffix`;") == [{"a": 1, "a_1": 2}]


def test_a_query_duckdb_rejects_is_a_yql_error(yt: DevClient) -> None:
    with pytest.raises(YqlError, match="YQL line 2: the query failed in DuckDB") as caught:
        yt.run_yql("SELECT 1 AS one;\nSELECT nope FROM `//p/good`;")
    assert isinstance(caught.value, YtflowError)


# --- signals -------------------------------------------------------------------------------

_SLOW_QUERY = (
    "SELECT COUNT(*) AS n FROM `//p/t` AS a JOIN `//p/t` AS b ON a.x <= b.x "
    "JOIN `//p/t` AS c ON b.x <= c.x WHERE (a.x + b.x + c.x) % 7 == 3;"
)


def _slow_driver(tmp_path: Path, handler: str) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import signal, sys
            from pathlib import Path
            from ytflow.dev.client import DevClient

            {handler}
            yt = DevClient(Path({str(tmp_path / ".dev")!r}))
            yt.write_table("//p/t", ({{"x": i}} for i in range(4000)))
            print("running", flush=True)
            yt.run_yql({_SLOW_QUERY!r})
            print("finished", flush=True)
            """
        ),
        encoding="utf-8",
    )
    return subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(
    ("signum", "handler", "exit_code"),
    [
        (signal.SIGINT, "", -signal.SIGINT),  # KeyboardInterrupt, as Python ends on it
        (
            signal.SIGTERM,
            "signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))",
            143,
        ),
    ],
    ids=["sigint", "sigterm-handler"],
)
def test_a_signal_stops_a_running_query(
    tmp_path: Path, signum: int, handler: str, exit_code: int
) -> None:
    driver = _slow_driver(tmp_path, handler)
    try:
        assert driver.stdout is not None
        assert driver.stdout.readline() == "running\n"
        time.sleep(0.7)  # DuckDB is inside the join now
        sent = time.monotonic()
        driver.send_signal(signum)
        _out, err = driver.communicate(timeout=10)
        assert time.monotonic() - sent < 2
    finally:
        driver.kill()
        driver.wait()
    assert driver.returncode == exit_code, err
    assert "_duckdb." not in err  # no DuckDB exception, not even in the chain
    assert "RuntimeError" not in err


def test_an_empty_result_keeps_its_columns(yt: DevClient) -> None:
    """On the cluster an INSERT's table has the query's schema even when it has no rows."""
    yt.write_table("//p/t", [{"a": 1, "d": "2024-01-01"}])
    assert yt.filter_table(input_table="//p/t", output_table="//p/e", condition="a > 5") == 0
    assert yt.run_yql("SELECT a, d FROM `//p/e` WHERE a > 0;") == []
    assert yt.filter_table(input_table="//p/e", output_table="//p/e2", condition="a > 0") == 0


@pytest.mark.parametrize(
    "query",
    [
        "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS x;",  # RecursionError in the translator
        "SELECT ::;",  # found by the fuzz: IndexError in the translator
        "SELECT String::;",
    ],
    ids=["deep-brackets", "bare-module-separator", "module-without-function"],
)
def test_a_query_the_translator_chokes_on_is_a_yql_error(yt: DevClient, query: str) -> None:
    with pytest.raises(YqlError):
        yt.run_yql(query)


def test_an_empty_table_adds_no_column(yt: DevClient) -> None:
    """A table written with no rows has no columns; a UNION or JOIN with it adds none."""
    yt.write_table("//p/empty", [])
    yt.union_tables(input_tables=["//p/empty", "//p/good"], output_table="//p/out")
    assert list(yt.read_table("//p/out")) == [{"x": 1}]
    assert yt.run_yql("SELECT * FROM `//p/good` AS g LEFT JOIN `//p/empty` AS e ON true;") == [
        {"x": 1}
    ]
    assert yt.run_yql("SELECT * FROM `//p/empty`;") == []


def test_a_double_column_divided_by_zero_is_named_not_null(yt: DevClient) -> None:
    """Dev cannot see a Double column's type in the text; YQL answers inf there, so dev must
    refuse rather than answer NULL, and say how to make the type visible."""
    yt.write_table("//p/d", [{"x": 7.5, "z": 0.0}])
    with pytest.raises(YqlError, match="Double was divided by zero") as caught:
        yt.run_yql("SELECT x / z AS f FROM `//p/d`")
    assert "CAST(... AS Double)" in str(caught.value)
    assert yt.run_yql("SELECT CAST(x AS Double) / z AS f FROM `//p/d`") == [{"f": math.inf}]
