"""Dev sort at DuckDB speed: DuckDB orders the lines, every line keeps its bytes.

DuckDB reads each input line as one text value (a CSV column whose delimiter no JSON line
can hold), extracts the key columns from it with one JSON parse, and stores typed sort keys
(and, for small inputs, the line) in a temp table, whose row ids keep the input order:
ordering by the keys, then the row id, is YT's order and stable. The sorted lines are
written back as they were read, never re-serialized. DuckDB uses every core the process
may run on, and spills to ``temp_dir`` beyond its memory limit, so tables larger than memory
sort too.

YT compares values by type first (see ``ordering``). A sample of the first rows guesses each
key column's type (int64, double, string or boolean); the temp table keeps a typed key and a
flag saying the value really was of that type. If any row breaks the guess, that column is
read again with an explicit type-rank key (the mixed plan). What DuckDB cannot order exactly
as YT does (lists and dicts in a key column), or lines it reads differently from the dev
reader (not JSON objects, leading whitespace, a bare NaN or Infinity), make
``duckdb_sort`` return None, and the caller uses the Python merge sort, which sorts those
exactly or names the bad line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ytflow.dev.files import fsync_directory, new_temp
from ytflow.dev.ordering import checked_columns, value_key
from ytflow.dev.yql_guards import (
    SEALED_CONNECT,
    Interrupted,
    interrupting_duckdb,
    reraise_interrupt,
)
from ytflow.errors import DevStoreError, OperationError, YqlError

# DuckDB's buffer pool; beyond it the temp table and the sort spill to ``temp_dir``.
MEMORY_LIMIT = "512MB"
_SAMPLE_ROWS = 1000
# Lines holding the words NaN or Infinity that orjson checks before the Python sort takes over.
_SUSPECTS_CHECKED = 10_000
# Inputs up to this size keep their lines in DuckDB's temp table; see ``_Session``.
_KEPT_LINES_BYTES = 128 << 20
_GLOB_CHARACTERS = frozenset("*?[]{}")
# Longer lines make DuckDB fail, and the Python sort takes them. DuckDB's read buffer is 16
# times the longest line unless set, which would be 1 GiB for 64 MiB lines.
_MAX_LINE = 16 << 20
# One line is one CSV value: JSON text never holds a raw control character, so this
# delimiter never splits a valid line, and no quote or escape character is interpreted.
_LINES = (
    "columns={'line': 'VARCHAR'}, delim='\x01', quote='', escape='', header=false, "
    f"auto_detect=false, max_line_size={_MAX_LINE}, buffer_size={2 * _MAX_LINE}"
)
# What Python's bytes.strip() removes, so blank lines are skipped as the dev reader skips them.
_BLANK = "' ' || chr(9) || chr(11) || chr(12) || chr(13)"
_COPY_LINES = "(FORMAT csv, header false, quote '', escape '', delim '\x01', use_tmp_file false)"
# Data DuckDB refuses to read or convert: the Python sort names the bad line instead.
_DATA_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)


@dataclass(frozen=True)
class _Kind:
    """How one key column is stored and ordered: SQL over ``{j}``, its JSON text."""

    values: tuple[str, ...]  # typed key expressions, ordered in this sequence
    ok: str  # true if the row's value is of this kind (the guess held)


_NULLISH = "{j} IS NULL OR {j} = 'null'"
_KINDS = {
    # int64: the text must read back exactly, which refuses 2.5, 1e3, -0 and uint64 values.
    "int": _Kind(
        ("TRY_CAST(CAST({j} AS VARCHAR) AS BIGINT)",),
        _NULLISH + " OR CAST({v0} AS VARCHAR) = CAST({j} AS VARCHAR)",
    ),
    # double: a JSON number with a fraction or exponent (an integer is int64 in YT).
    "double": _Kind(
        ("TRY_CAST(CAST({j} AS VARCHAR) AS DOUBLE)",),
        _NULLISH + " OR (isfinite({v0}) AND (contains(CAST({j} AS VARCHAR), '.') "
        "OR contains(CAST({j} AS VARCHAR), 'e') OR contains(CAST({j} AS VARCHAR), 'E')))",
    ),
    "string": _Kind(("{j} ->> '$'",), _NULLISH + " OR starts_with(CAST({j} AS VARCHAR), '\"')"),
    "boolean": _Kind(
        ("CASE CAST({j} AS VARCHAR) WHEN 'true' THEN true WHEN 'false' THEN false END",),
        _NULLISH + " OR {v0} IS NOT NULL",
    ),
    # Any mix: YT's type rank first, then the value in a column of its own type.
    "mixed": _Kind(
        (
            "CASE WHEN {j} IS NULL THEN 0 ELSE CASE json_type({j}) WHEN 'NULL' THEN 0 "
            "WHEN 'BIGINT' THEN 1 WHEN 'UBIGINT' THEN (CASE WHEN TRY_CAST(CAST({j} AS VARCHAR) "
            "AS BIGINT) IS NULL THEN 2 ELSE 1 END) WHEN 'DOUBLE' THEN 3 WHEN 'BOOLEAN' THEN 5 "
            "WHEN 'VARCHAR' THEN 6 ELSE 7 END END",
            "CASE WHEN json_type({j}) IN ('BIGINT', 'UBIGINT') "
            "THEN TRY_CAST(CAST({j} AS VARCHAR) AS HUGEINT) "
            "WHEN json_type({j}) = 'BOOLEAN' THEN CAST(CAST({j} AS VARCHAR) = 'true' AS HUGEINT) "
            "END",
            "CASE WHEN json_type({j}) = 'DOUBLE' THEN CAST(CAST({j} AS VARCHAR) AS DOUBLE) END",
            "CASE WHEN json_type({j}) = 'VARCHAR' THEN {j} ->> '$' END",
        ),
        # Lists and dicts (rank 7) and non-finite doubles are left to the Python sort.
        "{v0} < 7 AND ({v2} IS NULL OR isfinite({v2}))",
    ),
}
# YT ranks (``ordering.value_key``) that each single-type kind holds besides null (0).
_RANK_KINDS = {1: "int", 3: "double", 6: "string", 5: "boolean"}


def duckdb_sort(
    inputs: Sequence[Path], output: Path, columns: Sequence[str], *, temp_dir: Path
) -> int | None:
    """Sort the rows of ``inputs`` (concatenated, in order) by ``columns`` into ``output``.

    Returns the row count, or None, having changed nothing, if the rows are better sorted
    by the Python sort (see the module docstring). ``output`` is replaced atomically; DuckDB's
    spill files go to a folder in ``temp_dir`` that is always removed. Failures of DuckDB
    itself (out of memory or disk, an interrupt) raise ``OperationError`` or
    ``DevStoreError``, never a DuckDB exception.
    """
    names = checked_columns(columns)
    if any(not name for name in names):
        return None  # DuckDB's JSON paths cannot name the empty key reliably
    files = [path for path in inputs if path.stat().st_size > 0]
    if any(_GLOB_CHARACTERS & set(str(path)) for path in files):
        return None  # DuckDB would read the name as a pattern
    kinds = _guess_kinds(files, names)
    if kinds is None:
        return None
    temp_dir.mkdir(parents=True, exist_ok=True)
    staged = new_temp(output)
    try:
        if not files:
            rows = 0
        else:
            with _connection(files, staged, temp_dir) as session:
                counted = session.sort(names, kinds, staged)
            if counted is None:
                staged.unlink(missing_ok=True)
                return None
            rows = counted
        _durable_replace(staged, output)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return rows


def _guess_kinds(files: Sequence[Path], names: Sequence[str]) -> list[str] | None:
    """Each key column's kind from the first rows; None if they hold what DuckDB cannot order
    (a list or dict) or a line the Python sort should report."""
    ranks: list[set[int]] = [set() for _ in names]
    for row in islice(_sample_rows(files), _SAMPLE_ROWS):
        if row is None:
            return None
        for seen, name in zip(ranks, names, strict=True):
            seen.add(value_key(row.get(name))[0])
    kinds: list[str] = []
    for seen in ranks:
        seen.discard(0)
        if seen - {*_RANK_KINDS}:
            if 7 in seen:  # lists and dicts: ordered by canonical JSON, which DuckDB lacks
                return None
            kinds.append("mixed")
        elif len(seen) > 1:
            kinds.append("mixed")
        else:
            kinds.append(_RANK_KINDS[seen.pop()] if seen else "int")
    return kinds


def _sample_rows(files: Sequence[Path]) -> Generator[dict[str, object] | None]:
    """The rows of the first lines; None for a line that is not a JSON object."""
    for path in files:
        with path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield None
                    return
                yield row if type(row) is dict else None  # pyright: ignore[reportUnknownVariableType]


class _Session:
    """One sealed DuckDB connection doing one sort."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> None:
        self.connection = connection
        self.files = files
        # Small inputs keep their lines in the temp table (one read); larger ones are read
        # again beside the keys, as spilling the lines to disk and back costs more.
        self.keep_lines = sum(path.stat().st_size for path in files) <= _KEPT_LINES_BYTES

    def sort(self, names: Sequence[str], kinds: list[str], staged: Path) -> int | None:
        """Load, check the guessed kinds (once more as mixed if one failed), write sorted;
        None if the Python sort should do it."""
        for _attempt in range(2):
            try:
                self._execute(_load_sql(self.files, names, kinds, keep_lines=self.keep_lines))
            except _DATA_ERRORS:
                return None
            found = self._execute(_survey_sql(len(names)))[0]
            if found[0] or not self._strict_json(found[1]):
                return None
            failed = [index for index, ok in enumerate(found[2:]) if ok is False]
            if not failed:
                keys = [
                    f"k{index}_{value} NULLS FIRST"
                    for index, kind in enumerate(kinds)
                    for value in range(len(_KINDS[kind].values))
                ]
                copy = (
                    f"COPY (SELECT line FROM {self._rows()} WHERE obj "
                    f"ORDER BY {', '.join(keys)}, pos) TO {_literal(str(staged))} {_COPY_LINES}"
                )
                return int(self._execute(copy)[0][0])
            if all(kinds[index] == "mixed" for index in failed):
                return None  # a list, dict or non-finite double in a key column
            for index in failed:
                kinds[index] = "mixed"
        return None

    def _strict_json(self, suspects: int) -> bool:
        """True if the lines holding the words NaN or Infinity (DuckDB's parser takes them
        bare, orjson does not) hold them only inside strings: orjson reads every such line."""
        if suspects > _SUSPECTS_CHECKED:
            return False
        if not suspects:
            return True
        for (line,) in self._execute(f"SELECT line FROM {self._rows()} WHERE obj AND suspect"):
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                return False
        return True

    def _rows(self) -> str:
        """The temp table with each row's line and its input position ``pos``."""
        if self.keep_lines:
            return "(SELECT *, rowid AS pos FROM rows)"
        # Both scans read the same files with the same options, so row N is row N.
        return (
            f"(SELECT lines.line, rows.*, rows.rowid AS pos FROM {_read_lines(self.files)} "
            "AS lines POSITIONAL JOIN rows)"
        )

    def _execute(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self.connection.execute(sql).fetchall()
        except _DATA_ERRORS:
            raise
        except (duckdb.Error, RuntimeError) as error:
            if isinstance(error, duckdb.InterruptException):
                raise Interrupted from None
            reraise_interrupt(error)
            raise _translated(error, self.files) from None


def _load_sql(
    files: Sequence[Path], names: Sequence[str], kinds: Sequence[str], *, keep_lines: bool
) -> str:
    """The temp table: each line, whether it starts an object, whether it holds NaN or
    Infinity (which DuckDB's parser accepts bare and orjson refuses), its typed keys."""
    pointers = ", ".join(_literal("/" + _pointer(name)) for name in names)
    typed: list[str] = []
    kept: list[str] = []
    for index, kind in enumerate(kinds):
        spec = _KINDS[kind]
        fields = {"j": f"ks[{index + 1}]"}
        for number, expression in enumerate(spec.values):
            fields[f"v{number}"] = f"k{index}_{number}"
            typed.append(f"{expression.format(**fields)} AS k{index}_{number}")
            kept.append(f"k{index}_{number}")
        typed.append(f"coalesce({spec.ok.format(**fields)}, false) AS ok{index}")
        kept.append(f"ok{index}")
    line = "line, " if keep_lines else ""
    # CASE, unlike OR, trims only the lines that do not start an object (few or none).
    other = f"CASE WHEN obj THEN false ELSE trim(line, {_BLANK}) <> '' END"
    return (
        f"CREATE OR REPLACE TEMP TABLE rows AS SELECT {line}obj, suspect, other, "
        f"{', '.join(kept)} FROM (SELECT line, starts_with(line, '{{') AS obj, "
        "contains(line, 'NaN') OR contains(line, 'Infinity') AS suspect, "
        f"{other} AS other, "
        f"CASE WHEN obj THEN json_extract(line, [{pointers}]) END AS ks, {', '.join(typed)} "
        f"FROM {_read_lines(files)})"
    )


def _read_lines(files: Sequence[Path]) -> str:
    return f"read_csv({_literal_list([str(path) for path in files])}, {_LINES})"


def _survey_sql(columns: int) -> str:
    """Lines to leave to the Python sort (not blank, not objects), lines to check with orjson,
    and each guess's check."""
    oks = ", ".join(f"bool_and(ok{index})" for index in range(columns))
    suspects = "count(*) FILTER (WHERE obj AND suspect)"
    return f"SELECT count(*) FILTER (WHERE other), {suspects}, {oks} FROM rows"


@contextlib.contextmanager
def _connection(files: Sequence[Path], staged: Path, temp_dir: Path) -> Generator[_Session]:
    """A DuckDB connection that may read only ``files`` and write only ``staged``."""
    spill = Path(tempfile.mkdtemp(prefix=".ytflow-duckdb-", dir=temp_dir))
    connection = duckdb.connect(config=SEALED_CONNECT)
    try:
        allowed = _literal_list([*map(str, files), str(staged)])
        for setting in (
            f"SET threads = {_cores()}",
            f"SET memory_limit = '{MEMORY_LIMIT}'",
            f"SET temp_directory = {_literal(str(spill))}",
            "SET preserve_insertion_order = true",
            f"SET allowed_paths = {allowed}",
            f"SET allowed_directories = [{_literal(str(spill))}]",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            connection.execute(setting)
        session = _Session(connection, files)
        try:
            with interrupting_duckdb(connection.interrupt):
                yield session
        except YqlError as error:  # the guard's report of an interrupt outside the main thread
            raise OperationError(f"the sort was interrupted: {error}") from None
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)


def _translated(error: BaseException, files: Sequence[Path]) -> Exception:
    """A DuckDB failure that is not about the data, as the ytflow error that explains it."""
    message = str(error).split("\n")[0]
    tables = ", ".join(map(str, files))
    if isinstance(error, duckdb.OutOfMemoryException):
        return OperationError(
            f"sorting {tables}: DuckDB ran out of memory: {message}",
            hint=f"DuckDB spills beyond {MEMORY_LIMIT} to disk; free disk space or memory",
        )
    if isinstance(error, duckdb.IOException):
        return DevStoreError(
            f"sorting {tables}: DuckDB could not read or write a file: {message}",
            hint="check free disk space under .dev/ and that the table files are readable",
        )
    return OperationError(
        f"sorting {tables} in DuckDB failed: {message}",
        hint="this is a dev sort bug if the tables are valid JSONL; please report it",
    )


def _durable_replace(staged: Path, output: Path) -> None:
    """Rename the written file over ``output`` once its bytes are on disk."""
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    staged.replace(output)
    fsync_directory(output.parent)


def _cores() -> int:
    """The cores this process may run on (Linux's affinity mask, else the machine's)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        with contextlib.suppress(OSError):
            return max(1, len(affinity(0)))
    return max(1, os.cpu_count() or 1)


def _pointer(name: str) -> str:
    """A JSON pointer token for a key (RFC 6901 escapes)."""
    return name.replace("~", "~0").replace("/", "~1")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal_list(texts: Sequence[str]) -> str:
    return "[" + ", ".join(map(_literal, texts)) + "]"
