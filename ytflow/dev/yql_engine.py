"""The dev YQL engine: YQL translated to DuckDB SQL, run over the JSONL tables in place.

DuckDB reads each table's file itself (no Python loop over rows) with column types taken
from the whole table (not a sample): dates and UUIDs stay strings, a column of mixed types
stays JSON, nested values stay JSON, int64 keeps full precision. ``INSERT INTO`` results are
written by DuckDB straight to a staged file and committed like any dev table write.

YQL on the cluster reads tables only, so DuckDB is sealed from the filesystem: each
connection may open exactly the table files the script names (and an ``INSERT``'s staged
file), no extension may be installed or loaded, and the configuration is locked before any
translated SQL runs. No DuckDB exception leaves this module: each one becomes a ``YqlError``
(or a ``TableFormatError`` naming the table file and line that DuckDB could not read).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ytflow.dev.table_store import DevTableStore
from ytflow.dev.yql_guards import (
    SEALED_CONNECT,
    Interrupted,
    interrupting_duckdb,
    loads_row,
    non_finite_line,
    refuse_case_twins,
    reraise_interrupt,
)
from ytflow.errors import TableNotFound, YqlError, YtflowError
from ytflow.yql.ast import MACROS, SETTINGS, AstStatement, AstTranslator, calls_macros
from ytflow.yql.functions import KNOWN_PRAGMAS

_logger = logging.getLogger("ytflow.yql")
_CACHE_KEY = "duckdb_columns"
# Types DuckDB may detect that would change values on the way back out.
_AS_TEXT = re.compile(r"^(DATE|TIME|TIMESTAMP.*|UUID|INTERVAL)$")
_AS_JSON = re.compile(r'^(STRUCT.*|MAP.*|.*\[\]|"NULL"|NULL)$')
# The alias a bare SELECT's rows are serialised through; unlike a short one such as ``r`` it
# cannot be shadowed by a result column of the same name.
_ROW = '"__ytflow_yql_row__"'
_EMPTY = '"__ytflow_no_columns__"'  # the one column of an empty table's relation
_VALUE_HINT = "dev cannot give YQL's answer here, so it stops rather than answer differently"
# Where a translated statement reads a table (see ``_translated``); no SQL text holds a NUL.
_PLACEHOLDER = re.compile("\x00ytflow-table-[0-9]+\x00")
_SEALED_HINT = (
    "dev YQL may read only the tables the script names; this is a dev engine bug if the "
    "query names only table paths, so please report it with the query"
)


class DevYqlEngine:
    """Runs YQL scripts against a ``DevTableStore``."""

    def __init__(self, store: DevTableStore) -> None:
        self.store = store
        self._files: dict[str, str] = {}  # table file -> table path, for the scripts' tables
        self._empty_results: dict[str, list[list[str]]] = {}  # INSERT target -> its columns
        self._reads_empty = False  # the statement reads a table without columns

    def run(self, query: str) -> list[dict[str, Any]]:
        """Run every statement; return the rows of the last bare SELECT (else ``[]``)."""
        statements, relations = _translated(query, self.store.exists)
        tables = [path for path, _line in relations.values()]
        tables += [s.target for s in statements if s.target is not None]
        for path in tables:
            self._files[str(self.store.file_for(path))] = path
        # DuckDB reads the files itself, so the tables must hold still while the script runs.
        with self.store.holding(tables):
            return self._run(statements, relations)

    def _run(
        self, statements: list[AstStatement], relations: dict[str, tuple[str, int]]
    ) -> list[dict[str, Any]]:
        """Run one statement at a time, each reading the tables as the statements before it
        left them (an ``INSERT``'s target, its columns): the SQL that reads a table is put in
        place of its placeholder only when its statement runs."""
        session = _Session()
        try:
            with interrupting_duckdb(session.interrupt):
                rows: list[dict[str, Any]] = []
                for statement in statements:
                    self._reads_empty = False  # set while the statement's tables are bound
                    statement.sql = _PLACEHOLDER.sub(
                        lambda found: self._relation(session, *relations[found[0]]),
                        statement.sql,
                    )
                    rows = self._statement(session, statement, rows)
                return rows
        finally:
            session.close()

    def _statement(
        self, session: _Session, statement: AstStatement, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if statement.kind == "pragma":
            if (statement.pragma or "").upper() not in KNOWN_PRAGMAS:
                _logger.warning(
                    "YQL line %d: PRAGMA %s is unknown to the dev engine and ignored",
                    statement.line,
                    statement.pragma,
                )
            return rows
        if statement.kind == "select":
            sql = self._without_placeholder(session, statement.sql, statement.line)
            result = self._execute(
                session, f"SELECT to_json({_ROW}) FROM ({sql}) AS {_ROW}", statement.line
            )
            return [loads_row(value) for (value,) in result]
        if statement.kind == "insert":
            self._insert(session, statement)
            self._remember_empty_schema(statement)
        return rows  # USE and COMMIT change nothing in dev

    def _insert(self, session: _Session, statement: AstStatement) -> None:
        assert statement.target is not None
        target = statement.target
        self.store.file_for(target)  # validates the path and refuses a base-name conflict
        sql = statement.sql
        with self.store.staging(target) as scratch:  # under the target's write lock
            staged = scratch / "result.jsonl"
            rows = self._copy(session, sql, staged, statement)
            if not staged.exists():
                staged.touch()
            self.store.commit([(target, [staged], rows)], append=not statement.truncate)

    def _copy(self, session: _Session, sql: str, staged: Path, statement: AstStatement) -> int:
        """DuckDB writes the result to ``staged``; returns its row count."""
        sql = self._without_placeholder(session, sql, statement.line)
        copy = f"COPY ({sql}) TO {_literal(str(staged))} (FORMAT JSON)"
        copied = self._execute(session, copy, statement.line, writes=staged)
        if staged.exists():
            bad_line = non_finite_line(staged)
            if bad_line is not None:
                raise YqlError(
                    f"INSERT INTO {statement.target}: result row {bad_line} holds NaN or "
                    "infinity, which a dev table cannot store (JSON has no such values)",
                    line=statement.line,
                    hint="the cluster stores them in a Double column; for dev, replace them "
                    "(with NULL, say) before the INSERT",
                )
        rows = int(copied[0][0]) if copied else 0
        if rows == 0 and statement.target is not None:
            described = self._execute(session, f"DESCRIBE {sql}", statement.line)
            self._empty_results[statement.target] = _read_types(described)
        return rows

    def _remember_empty_schema(self, statement: AstStatement) -> None:
        """An empty result keeps its columns, as the cluster's table keeps its schema, so a
        later query naming them reads no rows instead of failing (nothing to infer from)."""
        assert statement.target is not None
        columns = self._empty_results.pop(statement.target, None)
        if columns is not None and self.store.row_count(statement.target) == 0:
            self.store.cached(statement.target, _CACHE_KEY, lambda: columns)

    def _without_placeholder(self, session: _Session, sql: str, line: int) -> str:
        """``sql`` without the placeholder column an empty table is read with (a relation
        needs a column), so a UNION or JOIN with an empty table adds no column of its own."""
        if not self._reads_empty:
            return sql
        names = [name for name, *_ in self._execute(session, f"DESCRIBE {sql}", line)]
        kept = [str(name) for name in names if name != _EMPTY.strip('"')]
        if len(kept) == len(names):
            return sql
        if not kept:  # only the placeholder: the result has no columns, hence no rows
            return "SELECT 1 AS one WHERE false"
        return f"SELECT {', '.join(_identifier(name) for name in kept)} FROM ({sql})"

    def _execute(
        self, session: _Session, sql: str, line: int, *, writes: Path | None = None
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` on a connection that may open the script's tables (and ``writes``)."""
        files = [*self._files, *([str(writes)] if writes is not None else [])]
        with self._duckdb_errors(line, sql):
            return session.connection(files, macros=calls_macros(sql)).execute(sql).fetchall()

    def _relation(self, session: _Session, path: str, line: int) -> str:
        """SQL that reads the table ``path``: its JSONL file with explicit column types."""
        if not self.store.exists(path):
            raise TableNotFound(path, hint=f"YQL line {line} reads it")
        file = self.store.file_for(path)
        self._files[str(file)] = path
        columns = self.store.cached(
            path, _CACHE_KEY, lambda: self._infer(session, path, file, line)
        )
        if not columns:
            self._reads_empty = True
            return f"(SELECT * FROM (SELECT NULL AS {_EMPTY}) WHERE false)"
        spec = ", ".join(f"{_literal(name)}: {_literal(kind)}" for name, kind in columns)
        return (
            f"read_json({_literal(str(file))}, format='newline_delimited', records=true, "
            f"columns={{{spec}}})"
        )

    def _infer(self, session: _Session, path: str, file: Path, line: int) -> list[list[str]]:
        """Column names and types from the whole file, remapped so values round-trip exactly."""
        if file.stat().st_size == 0:
            return []
        describe = (
            f"DESCRIBE SELECT * FROM read_json({_literal(str(file))}, "
            "format='newline_delimited', records=true, sample_size=-1)"
        )
        try:
            described = session.connection(self._files).execute(describe).fetchall()
        except (duckdb.Error, RuntimeError) as error:
            _reraise_interrupt(error)
            raise self._unreadable(path, _first_line(error)) from None
        columns = _read_types(described)
        refuse_case_twins(path, file, [name for name, _kind in columns], line)
        return columns

    @contextmanager
    def _duckdb_errors(self, line: int, sql: str) -> Generator[None]:
        """Every DuckDB exception of one statement as the ytflow error that explains it."""
        try:
            yield
        except (duckdb.Error, RuntimeError) as error:
            _reraise_interrupt(error)
            message = _first_line(error)
            if isinstance(error, duckdb.PermissionException):
                raise YqlError(
                    f"dev refused DuckDB access to a file: {message}",
                    line=line,
                    hint=_SEALED_HINT,
                ) from None
            quoted = str(error)
            table = next(
                (path for file, path in self._files.items() if f'"{file}"' in quoted), None
            )
            if table is not None:
                raise self._unreadable(table, message) from None
            refused = message.partition("Invalid Input Error: ytflow: ")[2]
            if refused:  # error('ytflow: ...') in a translated function: dev refuses a value
                raise YqlError(refused, line=line, hint=_VALUE_HINT) from None
            if "Failure in decode: could not convert blob to UTF8" in message:
                raise YqlError(
                    "a SUBSTRING cut a UTF-8 character in two: YQL returns those bytes as a "
                    "String, which a dev table (JSON text) cannot hold",
                    line=line,
                    hint="cut at a character boundary, or use Unicode:: functions on Utf8",
                ) from None
            if message.startswith("Invalid Input Error: Division by zero"):
                raise YqlError(
                    "a Double was divided by zero: YQL answers inf, -inf or nan, which dev "
                    "computes only where the query's text shows an operand is a Double",
                    line=line,
                    hint="write CAST(... AS Double) around the dividend or the divisor, or "
                    "guard the divisor (IF(d == 0.0, NULL, x / d))",
                ) from None
            if isinstance(error, duckdb.OutOfMemoryException):
                raise YqlError(
                    f"DuckDB ran out of memory: {message}",
                    line=line,
                    hint="reduce what one statement reads or groups, or run it in prod",
                ) from None
            raise YqlError(
                f"the query failed in DuckDB: {message}",
                line=line,
                hint=f"dev translated it to: {sql}",
            ) from None

    def _unreadable(self, path: str, message: str) -> YtflowError:
        """Why DuckDB could not read the table ``path``: its first bad line, if it has one."""
        try:
            for _row in self.store.read(path):
                pass
        except YtflowError as error:
            return error
        except (OSError, ValueError, RecursionError):
            pass  # the store's own reader failed too; DuckDB's message is the best we have
        file = self.store.file_for(path)
        return YqlError(
            f"{path}: DuckDB, which runs dev YQL, cannot read {file}: {message}",
            hint="each line is a JSON object, but DuckDB's JSON reader refuses them (a column "
            "with an empty name, or values nested deeper than 128 levels, say); run this query "
            "in prod",
        )


class _Session:
    """The script's one DuckDB connection, sealed to the files it may open.

    The allowed files are fixed when the connection opens (DuckDB's configuration is then
    locked), so a statement that needs one more file (an ``INSERT``'s staged file) gets a new
    connection; a connection holds no state between statements, so nothing is lost.
    """

    def __init__(self) -> None:
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._allowed: frozenset[str] = frozenset()
        self._macros = False  # created on this connection

    def connection(
        self, files: Iterable[str], *, macros: bool = False
    ) -> duckdb.DuckDBPyConnection:
        """The connection, opened again if it may not read ``files``; with the translator's
        macros created first if ``macros``."""
        needed = frozenset(files)
        if self._connection is None or not needed <= self._allowed:
            self.close()
            self._allowed |= needed
            self._connection = _sealed_connection(self._allowed)
        if macros and not self._macros:
            for macro in MACROS:
                self._connection.execute(macro)
            self._macros = True
        return self._connection

    def interrupt(self) -> None:
        """Stop the running query (called from another thread; DuckDB allows it)."""
        if self._connection is not None:
            self._connection.interrupt()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._macros = False


def _sealed_connection(files: Iterable[str]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with YQL's semantics that may open only ``files``."""
    connection = duckdb.connect(config=SEALED_CONNECT)
    try:
        for setting in SETTINGS:  # YQL's semantics the translated SQL relies on
            connection.execute(setting)
        allowed = ", ".join(_literal(file) for file in sorted(files))
        connection.execute(f"SET allowed_paths = [{allowed}]")
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def _translated(
    query: str, exists: Callable[[str], bool]
) -> tuple[list[AstStatement], dict[str, tuple[str, int]]]:
    """Translate every statement before any runs, each table read as a placeholder (mapped to
    its path and line): a construct dev cannot run, or a table that neither exists nor is
    written by an earlier statement, anywhere in the script, is refused before an ``INSERT``
    has changed a table; a query the translator chokes on is a ``YqlError`` too, never a raw
    Python exception in stage code."""
    written: set[str] = set()
    relations: dict[str, tuple[str, int]] = {}

    def read(path: str, line: int) -> str:
        if path not in written and not exists(path):
            raise TableNotFound(path, hint=f"YQL line {line} reads it; no statement ran")
        placeholder = f"\x00ytflow-table-{len(relations)}\x00"
        relations[placeholder] = (path, line)
        return placeholder

    try:
        statements: list[AstStatement] = []
        for statement in AstTranslator(read).statements(query):
            statements.append(statement)
            if statement.target is not None:
                written.add(statement.target)
        return statements, relations
    except RecursionError:
        raise YqlError(
            "the query nests brackets or subqueries too deeply for dev's YQL translator",
            hint="flatten the expression (a few hundred levels are fine), or run it in prod",
        ) from None
    except (IndexError, KeyError, ValueError, TypeError, AttributeError) as error:
        if isinstance(error, YtflowError):
            raise
        raise YqlError(
            f"dev's YQL translator failed on this query ({type(error).__name__}: {error})",
            hint="this is a dev engine bug: please report it with the query; "
            "the query may run in prod",
        ) from None


def _read_types(described: list[tuple[Any, ...]]) -> list[list[str]]:
    """``DESCRIBE`` rows -> [name, type] to read a column as, so values round-trip exactly."""
    columns: list[list[str]] = []
    for name, detected, *_ in described:
        kind = str(detected)
        if _AS_TEXT.match(kind):
            kind = "VARCHAR"
        elif _AS_JSON.match(kind):
            kind = "JSON"
        columns.append([str(name), kind])
    return columns


def _reraise_interrupt(error: BaseException) -> None:
    """A query stopped by ``interrupt()`` or by a signal DuckDB noticed: ``Interrupted``."""
    if isinstance(error, duckdb.InterruptException):
        raise Interrupted from None
    reraise_interrupt(error)


def _first_line(error: BaseException) -> str:
    return str(error).split("\n")[0]


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
