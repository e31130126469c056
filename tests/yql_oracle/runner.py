"""Runs each oracle case twice, through dev YQL and through SQLite, and compares the answers.

Tables are built once per vendored file: its ``statement ok`` blocks run in SQLite, and the
rows SQLite holds are written to dev tables ``//tmp/slt/<table>``. A query reaches dev YQL with
only its table names rewritten (found by sqlglot's parser, spliced into the original text), so
every other character is the source's. Answers are compared as sqllogictest compares them:
values formatted (integers as written, floats with 3 decimals, ``NULL``), column names ignored,
rows in order when ``ORDER BY`` has a term per output column, else sorted (``rowsort``).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from tests.yql_oracle.cases import Case, Suite, load_suites
from ytflow.dev.client import DevClient
from ytflow.errors import YtflowError

PREFIX = "//tmp/slt/"
OUTCOMES = ("wrong", "refused", "pass")  # worst first


@dataclass(frozen=True)
class Result:
    """A case's outcome and, for a miss, the first line of what went wrong."""

    case: Case
    outcome: str
    detail: str = ""


def yql_text(sql: str, tables: set[str]) -> str:
    """``sql`` with each table name replaced by its dev path, aliased to the old name."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    spans: list[tuple[int, int, str]] = []
    for table in tree.find_all(exp.Table):
        ident = table.this
        if not isinstance(ident, exp.Identifier) or ident.name.lower() not in tables:
            continue
        meta = ident.meta
        path = f"`{PREFIX}{ident.name.lower()}`"
        spans.append(
            (meta["start"], meta["end"] + 1, path if table.alias else f"{path} AS {ident.name}")
        )
    for start, end, text in sorted(spans, reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def sort_mode(sql: str, width: int) -> str:
    """``nosort`` when the outer ``ORDER BY`` has a term per output column, else ``rowsort``."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    order = tree.args.get("order")
    return "nosort" if order is not None and len(order.expressions) >= width else "rowsort"


def formatted(value: Any) -> str:
    """A value as sqllogictest prints it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, bytes):
        value = value.decode()
    text = str(value)
    return text if text else "(empty)"


def answer(rows: Sequence[Sequence[Any]], mode: str) -> list[tuple[str, ...]]:
    """Rows of formatted values, sorted unless ``mode`` is ``nosort``."""
    shown = [tuple(formatted(v) for v in row) for row in rows]
    return shown if mode == "nosort" else sorted(shown)


class SuiteRun:
    """One vendored file's tables, loaded into SQLite and into a dev store."""

    def __init__(self, suite: Suite, dev_dir: Path) -> None:
        self.suite = suite
        self.sqlite = sqlite3.connect(":memory:")
        for statement in suite.setup:
            self.sqlite.execute(statement)
        self.dev = DevClient(dev_dir)
        names = self.sqlite.execute("select name from sqlite_master where type = 'table'")
        self.tables = {str(name).lower() for (name,) in names.fetchall()}
        for table in sorted(self.tables):
            cursor = self.sqlite.execute(f"select * from {table}")
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            self.dev.write_table(PREFIX + table, rows)

    def run(self, case: Case) -> Result:
        """The case's outcome: ``pass``, ``refused`` (a ytflow error) or ``wrong``."""
        cursor = self.sqlite.execute(case.sql)
        expected_rows = cursor.fetchall()
        mode = sort_mode(case.sql, len(cursor.description))
        try:
            got = self.dev.run_yql(yql_text(case.sql, self.tables))
        except YtflowError as error:
            return Result(case, "refused", str(error).splitlines()[0])
        except Exception as error:  # any other exception is a wrong answer
            return Result(case, "wrong", f"{type(error).__name__}: {error}".splitlines()[0])
        expected = answer(expected_rows, mode)
        actual = answer([list(row.values()) for row in got], mode)
        if actual == expected:
            return Result(case, "pass")
        return Result(case, "wrong", _difference(expected, actual))

    def close(self) -> None:
        self.sqlite.close()


def _difference(expected: list[tuple[str, ...]], actual: list[tuple[str, ...]]) -> str:
    if len(expected) != len(actual):
        return f"{len(actual)} rows, SQLite has {len(expected)}"
    for index, (want, have) in enumerate(zip(expected, actual, strict=True)):
        if want != have:
            return f"row {index}: {have}, SQLite has {want}"
    return "different rows"


def run_cases(wanted: set[str] | None = None) -> Iterator[Result]:
    """Runs every case (or those whose id is in ``wanted``), file by file."""
    with tempfile.TemporaryDirectory(prefix="yql-oracle-") as tmp:
        for index, suite in enumerate(load_suites()):
            cases = [c for c in suite.cases if wanted is None or c.id in wanted]
            if not cases:
                continue
            run = SuiteRun(suite, Path(tmp) / str(index))
            try:
                yield from (run.run(case) for case in cases)
            finally:
                run.close()
