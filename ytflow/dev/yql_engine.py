"""The dev YQL engine: YQL translated to DuckDB SQL, run over the JSONL tables in place.

DuckDB reads each table's file itself (no Python loop over rows) with column types taken
from the whole table (not a sample): dates and UUIDs stay strings, a column of mixed types
stays JSON, nested values stay JSON, int64 keeps full precision. ``INSERT INTO`` results are
written by DuckDB straight to a staged file and committed like any dev table write.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ytflow.dev.table_store import DevTableStore
from ytflow.errors import TableNotFound, YqlError
from ytflow.yql.functions import KNOWN_PRAGMAS
from ytflow.yql.script import Statement, parse_script
from ytflow.yql.translate import Translator

_logger = logging.getLogger("ytflow.yql")
_CACHE_KEY = "duckdb_columns"
# Types DuckDB may detect that would change values on the way back out.
_AS_TEXT = re.compile(r"^(DATE|TIME|TIMESTAMP.*|UUID|INTERVAL)$")
_AS_JSON = re.compile(r'^(STRUCT.*|MAP.*|.*\[\]|"NULL"|NULL)$')
# YQL semantics DuckDB does not have by default: integer / integer stays an integer
# (PRAGMA ClassicDivision, on by default), integer division by zero is NULL, and NULL sorts
# before every value (ascending; last when descending), as YT sorts it.
_YQL_SETTINGS = (
    "SET integer_division = true",
    "SET error_on_division_by_zero = false",
    "SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
)
# The alias a bare SELECT's rows are serialised through; unlike a short one such as ``r`` it
# cannot be shadowed by a result column of the same name.
_ROW = '"__ytflow_yql_row__"'


class DevYqlEngine:
    """Runs YQL scripts against a ``DevTableStore``."""

    def __init__(self, store: DevTableStore) -> None:
        self.store = store

    def run(self, query: str) -> list[dict[str, Any]]:
        """Run every statement; return the rows of the last bare SELECT (else ``[]``)."""
        statements = parse_script(query)
        tables = _translate_all(statements)
        # DuckDB reads the files itself, so the tables must hold still while the script runs.
        with self.store.holding(tables):
            return self._run(statements)

    def _run(self, statements: list[Statement]) -> list[dict[str, Any]]:
        connection = duckdb.connect()
        try:
            for setting in _YQL_SETTINGS:
                connection.execute(setting)
            translator = Translator(lambda path, line: self._relation(connection, path, line))
            rows: list[dict[str, Any]] = []
            for statement in statements:
                rows = self._statement(connection, translator, statement, rows)
            return rows
        finally:
            connection.close()

    def _statement(
        self,
        connection: duckdb.DuckDBPyConnection,
        translator: Translator,
        statement: Statement,
        rows: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        if statement.kind == "pragma":
            if (statement.name or "").upper() not in KNOWN_PRAGMAS:
                _logger.warning(
                    "YQL line %d: PRAGMA %s is unknown to the dev engine and ignored",
                    statement.line,
                    statement.name,
                )
            return rows
        if statement.kind == "assign":
            assert statement.name is not None
            translator.define(statement.name, statement.tokens, statement.line)
            return rows
        if statement.kind == "select":
            sql = translator.query(statement.tokens).sql
            result = self._execute(
                connection, f"SELECT to_json({_ROW}) FROM ({sql}) AS {_ROW}", statement
            )
            return [orjson.loads(value) for (value,) in result.fetchall()]
        if statement.kind == "insert":
            self._insert(connection, translator, statement)
        return rows  # USE and COMMIT change nothing in dev

    def _insert(
        self, connection: duckdb.DuckDBPyConnection, translator: Translator, statement: Statement
    ) -> None:
        assert statement.target is not None
        target = statement.target
        self.store.file_for(target)  # validates the path and refuses a base-name conflict
        sql = translator.query(statement.tokens).sql
        with self.store.staging(target) as scratch:  # under the target's write lock
            staged = scratch / "result.jsonl"
            copied = self._execute(
                connection,
                f"COPY ({sql}) TO {_literal(str(staged))} (FORMAT JSON)",
                statement,
            ).fetchone()
            rows = int(copied[0]) if copied else 0
            if not staged.exists():
                staged.touch()
            self.store.commit([(target, [staged], rows)], append=not statement.truncate)

    def _execute(
        self, connection: duckdb.DuckDBPyConnection, sql: str, statement: Statement
    ) -> duckdb.DuckDBPyConnection:
        try:
            return connection.execute(sql)
        except duckdb.Error as error:
            message = str(error).split("\n")[0]
            raise YqlError(
                f"the query failed in DuckDB: {message}",
                line=statement.line,
                hint=f"dev translated it to: {sql}",
            ) from None

    def _relation(self, connection: duckdb.DuckDBPyConnection, path: str, line: int) -> str:
        """SQL that reads the table ``path``: its JSONL file with explicit column types."""
        if not self.store.exists(path):
            raise TableNotFound(path, hint=f"YQL line {line} reads it")
        file = self.store.file_for(path)
        columns = self.store.cached(path, _CACHE_KEY, lambda: _infer_columns(connection, file))
        if not columns:
            return "(SELECT * FROM (SELECT NULL AS _empty) WHERE false)"
        spec = ", ".join(f"{_literal(name)}: {_literal(kind)}" for name, kind in columns)
        return f"read_json({_literal(str(file))}, format='newline_delimited', columns={{{spec}}})"


def _translate_all(statements: list[Statement]) -> list[str]:
    """Translate every statement without running any: a construct dev cannot run, anywhere in
    the script, is refused before an earlier ``INSERT`` has changed a table. Returns every
    table the script reads or writes."""
    tables: list[str] = []

    def relation(path: str, _line: int) -> str:
        tables.append(path)
        return "(SELECT 1)"

    translator = Translator(relation)
    for statement in statements:
        if statement.kind == "assign":
            assert statement.name is not None
            translator.define(statement.name, statement.tokens, statement.line)
        elif statement.kind in ("select", "insert"):
            translator.query(statement.tokens)
        if statement.kind == "insert" and statement.target is not None:
            tables.append(statement.target)
    return tables


def _infer_columns(connection: duckdb.DuckDBPyConnection, file: Path) -> list[list[str]]:
    """Column names and types from the whole file, remapped so values round-trip exactly."""
    if file.stat().st_size == 0:
        return []
    described = connection.execute(
        f"DESCRIBE SELECT * FROM read_json({_literal(str(file))}, format='newline_delimited', "
        "sample_size=-1)"
    ).fetchall()
    columns: list[list[str]] = []
    for name, detected, *_ in described:
        kind = str(detected)
        if _AS_TEXT.match(kind):
            kind = "VARCHAR"
        elif _AS_JSON.match(kind):
            kind = "JSON"
        columns.append([str(name), kind])
    return columns


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
