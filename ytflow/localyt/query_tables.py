"""The bridge between local-yt tables and ytflow's dev YQL engine, for the query tracker.

The dev engine runs YQL on DuckDB over a dev table store (JSONL files keyed by YT path). A
query therefore runs in a scratch store of its own: every table the script names is exported
there from a snapshot of committed Cypress (YT's byte strings as UTF-8 text), the engine runs
the script, each bare SELECT's rows become one query result, and each ``INSERT INTO`` target
is read back (text as byte strings again) and written to local-yt in one mutation, so a
failed or aborted query changes no table.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytflow.dev.table_store import DevTableStore
from ytflow.errors import YqlError, YtflowError
from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import Chunk, new_id, parse_path
from ytflow.localyt.table_io import table_rows, write_chunk
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError
from ytflow.yql.ast import AstStatement, AstTranslator

if TYPE_CHECKING:
    from ytflow.dev.yql_engine import DevYqlEngine
    from ytflow.localyt.endpoint import Endpoint


class QueryAborted(Exception):
    """The query was aborted while it ran."""


@dataclass
class QueryRun:
    """One script's run: what it needs to be aborted from another thread, and its results."""

    text: str
    results: list[list[dict[bytes, Any]]] = field(default_factory=list[list[dict[bytes, Any]]])
    aborted: threading.Event = field(default_factory=threading.Event)
    engine: Any = None  # the running engine, to interrupt DuckDB

    def abort(self) -> None:
        """Stop the run: between statements, or DuckDB in the middle of one."""
        self.aborted.set()
        engine = self.engine
        if engine is not None:
            engine.interrupt()


def run_query(endpoint: Endpoint, run: QueryRun, scratch: Path) -> dict[str, Chunk]:
    """Run ``run.text`` against the endpoint's committed tables; fill ``run.results``.

    Returns each ``INSERT INTO`` target's new content, for ``commit_writes`` once the caller
    knows the query was not aborted meanwhile. Raises ``YqlError`` (the engine's message),
    ``YtLocalError`` or ``QueryAborted``.
    """
    reads, targets = _tables(run.text)
    paths = list(dict.fromkeys([*reads, *targets]))
    _refuse_base_name_clash(paths)
    store = DevTableStore(scratch)
    tree = endpoint.state.view(None)
    for path in paths:
        node = tree.find(parse_path(path))
        if node is not None and node.type == "table":
            store.write(path, _exported(path, table_rows(endpoint.state.chunks, node)))
    selected: list[list[dict[str, Any]]] = []
    engine = _make_engine(store, run, selected)
    run.engine = engine
    if run.aborted.is_set():
        raise QueryAborted
    try:
        engine.run(run.text)
    except YtflowError:
        if run.aborted.is_set():
            raise QueryAborted from None
        raise
    if run.aborted.is_set():
        raise QueryAborted
    run.results = [[_imported_row(row) for row in rows] for rows in selected]
    return {path: write_chunk(endpoint.state.chunks, _imported(store, path)) for path in targets}


def result_schema(rows: list[dict[bytes, Any]]) -> list[dict[str, Any]]:
    """A YT schema for a result: columns in order of appearance, typed by their values."""
    kinds: dict[bytes, set[str]] = {}
    for row in rows:
        for name, value in row.items():
            kinds.setdefault(name, set()).add(_kind(value))
    schema: list[dict[str, Any]] = []
    for name, seen in kinds.items():
        seen.discard("null")
        if seen == {"int64", "double"}:
            kind = "double"
        elif len(seen) == 1:
            kind = seen.pop()
        else:
            kind = "any"
        schema.append({"name": name.decode(), "type": kind, "required": False})
    return schema


def _refuse_base_name_clash(paths: list[str]) -> None:
    """The dev engine keys tables by their last path component: say so before it trips."""
    seen: dict[str, str] = {}
    for path in paths:
        name = path.rstrip("/").rsplit("/", 1)[-1]
        other = seen.setdefault(name, path)
        if other != path:
            raise YtLocalError(
                f"The query names tables {other} and {path}, which share the name {name!r}; "
                "local-yt runs YQL on ytflow's dev engine, which keys tables by their last "
                "path component (as dev mode does)",
                attributes={"paths": [other, path], "hint": "give one of them another name"},
            )


# -- the engine -----------------------------------------------------------------------------


def _make_engine(
    store: DevTableStore, run: QueryRun, selected: list[list[dict[str, Any]]]
) -> DevYqlEngine:
    from ytflow.dev.yql_engine import DevYqlEngine  # noqa: PLC0415 - duckdb only for queries

    class RecordingEngine(DevYqlEngine):
        """The dev engine, keeping every bare SELECT's rows (the engine keeps only the last)
        and stopping between statements once the query is aborted."""

        def __init__(self) -> None:
            super().__init__(store)
            self._session: Any = None

        def _statement(
            self, session: Any, statement: AstStatement, rows: Any
        ) -> list[dict[str, Any]]:
            self._session = session
            if run.aborted.is_set():
                raise QueryAborted
            result = super()._statement(session, statement, rows)
            if statement.kind == "select":
                selected.append(result)
            return result

        def interrupt(self) -> None:
            session = self._session
            if session is not None:
                session.interrupt()

    return RecordingEngine()


def _tables(text: str) -> tuple[list[str], list[str]]:
    """The paths the script reads and the ``INSERT INTO`` targets it writes, in order."""
    reads: list[str] = []
    targets: list[str] = []
    try:
        for statement in AstTranslator(lambda _path, _line: "(SELECT 1)").statements(text):
            reads += statement.tables
            if statement.target is not None:
                targets.append(statement.target)
    except YqlError:
        raise
    except Exception:  # the engine's own run reports what the translator hit
        return reads, targets
    return reads, list(dict.fromkeys(targets))


# -- rows both ways -------------------------------------------------------------------------


def _exported(path: str, rows: Iterator[Any]) -> Iterator[dict[str, Any]]:
    for index, row in enumerate(rows):
        yield {_text(path, index, key): _to_dev(path, index, value) for key, value in row.items()}


def _to_dev(path: str, index: int, value: Any) -> Any:  # noqa: PLR0911 - one flat dispatch
    if value is None or isinstance(value, yson().YsonEntity):
        return None
    if isinstance(value, bytes):
        return _text(path, index, value)
    if isinstance(value, bool | yson().YsonBoolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        items: dict[Any, Any] = value  # type: ignore[assignment]
        return {_text(path, index, key): _to_dev(path, index, item) for key, item in items.items()}
    if isinstance(value, list):
        return [_to_dev(path, index, item) for item in value]  # type: ignore[misc]
    return str(value)


def _text(path: str, index: int, value: Any) -> str:
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise YtLocalError(
            f"Table {path} row {index} holds a string that is not UTF-8; local-yt's YQL "
            "engine reads strings as text",
            attributes={"path": path, "row_index": index},
        ) from None


def _imported(store: DevTableStore, path: str) -> Iterator[dict[bytes, Any]]:
    for row in store.read(path):
        yield _imported_row(row)


def _imported_row(row: dict[str, Any]) -> dict[bytes, Any]:
    return {key.encode(): _from_dev(value) for key, value in row.items()}


def _from_dev(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        items: dict[str, Any] = value  # type: ignore[assignment]
        return {key.encode(): _from_dev(item) for key, item in items.items()}
    if isinstance(value, list):
        return [_from_dev(item) for item in value]  # type: ignore[misc]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "double"
    if isinstance(value, bytes):
        return "string"
    return "any"


# -- writing INSERT targets back ------------------------------------------------------------


def commit_writes(endpoint: Endpoint, written: dict[str, Chunk]) -> None:
    """Every INSERT target's new content in one mutation (created if missing, as YQL does)."""
    if not written:
        return
    ids = {path: new_id() for path in written}

    def mutation(tree: Tree) -> None:
        for path, chunk in written.items():
            parsed = parse_path(path)
            node = tree.find(parsed)
            if node is None:
                tree.create(parsed, "table", ids[path], recursive=True)
            elif node.type != "table":
                raise YtLocalError(
                    f"INSERT INTO {path}: it is a {node.type}, not a table",
                    attributes={"path": path},
                )
            tree.replace_data(parsed, [chunk], append=False)
            tree.resolve(parsed).attributes.pop("sorted_by", None)

    endpoint.state.mutate(None, mutation, locks=tuple((path, "exclusive") for path in written))
