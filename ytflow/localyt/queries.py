"""The query tracker: ``start_query`` and friends for engine ``yql``, run by ytflow's dev engine.

Each query runs in a background thread (``query_tables.run_query``) and is kept in memory
with its state (running, then completed, failed or aborted), its results and its error, so
``yt.wrapper``'s ``run_query`` / ``Query.get_result(i).read_rows()`` work unchanged. Queries
do not survive a restart of the endpoint (tables and files do).
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.errors import YtflowError
from ytflow.localyt.cypress_nodes import Chunk, new_id, now_iso
from ytflow.localyt.formats import encode_rows, parse_format
from ytflow.localyt.query_tables import (
    QueryAborted,
    QueryRun,
    commit_writes,
    result_schema,
    run_query,
)
from ytflow.localyt.registry import Request, Streamed, command
from ytflow.localyt.yt_errors import QUERY_NOT_FOUND, YtLocalError, unsupported

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint

ENGINES = ("ql", "yql", "chyt", "spyt")
FINISHED = ("completed", "failed", "aborted")
ALLOWED_SETTINGS = frozenset({"cluster"})  # one cluster: naming it changes nothing
DEFAULT_LIST_LIMIT = 100
_QUERY_ATTRIBUTES = (
    "id",
    "engine",
    "query",
    "files",
    "start_time",
    "finish_time",
    "settings",
    "user",
    "access_control_objects",
    "state",
    "result_count",
    "progress",
    "annotations",
    "error",
)


@dataclass
class QueryRecord:
    """One query: what was asked, where it stands, and what it produced."""

    id: str
    engine: str
    text: str
    settings: dict[str, Any]
    annotations: dict[str, Any]
    access_control_objects: list[str]
    user: str
    run: QueryRun
    state: str = "running"
    start_time: str = field(default_factory=now_iso)
    finish_time: str | None = None
    error: YtLocalError | None = None
    thread: threading.Thread | None = None

    def describe(self, attributes: list[str] | None) -> dict[str, Any]:
        """The query as ``get_query`` and ``list_queries`` show it."""
        described: dict[str, Any] = {
            "id": self.id,
            "engine": self.engine,
            "query": self.text,
            "files": [],
            "start_time": self.start_time,
            "settings": self.settings,
            "user": self.user,
            "access_control_objects": self.access_control_objects,
            "state": self.state,
            "result_count": len(self.run.results) if self.state == "completed" else 0,
            "progress": {},
            "annotations": self.annotations,
        }
        if self.finish_time is not None:
            described["finish_time"] = self.finish_time
        if self.error is not None:
            described["error"] = self.error.to_yt()
        if attributes:
            unknown = [name for name in attributes if name not in _QUERY_ATTRIBUTES]
            if unknown:
                raise YtLocalError(
                    f"Unknown query attribute(s) {', '.join(map(repr, unknown))}; local-yt "
                    f"knows {', '.join(_QUERY_ATTRIBUTES)}",
                    attributes={"attributes": unknown},
                )
            return {name: described[name] for name in attributes if name in described}
        return described


class QueryTracker:
    """All queries of one endpoint; runs each in its own thread."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.lock = threading.Lock()
        self.queries: dict[str, QueryRecord] = {}

    def start(self, record: QueryRecord) -> None:
        with self.lock:
            self.queries[record.id] = record
        record.thread = threading.Thread(
            target=self._run, args=(record,), name=f"local-yt-query-{record.id}", daemon=True
        )
        record.thread.start()

    def get(self, query_id: Any) -> QueryRecord:
        with self.lock:
            record = self.queries.get(str(query_id))
        if record is None:
            raise YtLocalError(
                f"Query {query_id} not found",
                code=QUERY_NOT_FOUND,
                attributes={"query_id": query_id},
            )
        return record

    def abort(self, query_id: Any, message: str | None) -> None:
        record = self.get(query_id)
        with self.lock:
            if record.state in FINISHED:
                raise YtLocalError(
                    f"Cannot abort query {record.id}: it is already {record.state}",
                    attributes={"query_id": record.id, "state": record.state},
                )
            self._finish(record, "aborted", YtLocalError(message or "Query was aborted by user"))
        record.run.abort()
        # An interrupt that lands just before DuckDB starts a statement is lost: repeat it
        # from the side until the query's thread ends.
        threading.Thread(
            target=_interrupt_until_done, args=(record, 30.0), name="local-yt-abort", daemon=True
        ).start()

    def close(self) -> None:
        """Abort running queries and wait a little for their threads (endpoint shutdown)."""
        with self.lock:
            running = [each for each in self.queries.values() if each.state not in FINISHED]
            for record in running:
                self._finish(record, "aborted", YtLocalError("local-yt is shutting down"))
        deadline = time.monotonic() + 5
        for record in running:
            _interrupt_until_done(record, max(0.0, deadline - time.monotonic()))

    def _run(self, record: QueryRecord) -> None:
        scratch = self.endpoint.root / "queries" / record.id
        error: YtLocalError | None = None
        written: dict[str, Chunk] = {}
        try:
            written = run_query(self.endpoint, record.run, scratch)
        except QueryAborted:
            return  # abort() already recorded the outcome
        except YtflowError as failure:
            error = YtLocalError(failure.message, attributes=_hint(failure))
        except YtLocalError as failure:
            error = failure
        except Exception as failure:  # a bug must still end the query, not hang its client
            error = YtLocalError(f"local-yt failed to run the query: {failure!r}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        with self.lock:  # an abort now or never: the INSERTs land only if it completes
            if record.state in FINISHED:
                return
            if error is None:
                try:
                    commit_writes(self.endpoint, written)
                except YtLocalError as failure:
                    error = failure
            self._finish(record, "failed" if error else "completed", error)

    @staticmethod
    def _finish(record: QueryRecord, state: str, error: YtLocalError | None) -> None:
        record.state = state
        record.error = error
        record.finish_time = now_iso()


_TRACKER_LOCK = threading.Lock()


def tracker(endpoint: Endpoint) -> QueryTracker:
    """The endpoint's tracker, created on first use (the endpoint closes it on shutdown)."""
    with _TRACKER_LOCK:
        found = endpoint.services.get("queries")
        if not isinstance(found, QueryTracker):
            found = QueryTracker(endpoint)
            endpoint.services["queries"] = found
        return found


# -- commands -------------------------------------------------------------------------------


@command("start_query")
def start_query(endpoint: Endpoint, request: Request) -> Any:
    engine = str(request.get("engine") or "")
    if engine not in ENGINES:
        raise YtLocalError(
            f"Unknown query engine {engine!r}; expected one of {', '.join(ENGINES)}",
            attributes={"engine": engine},
        )
    if engine != "yql":
        raise unsupported(f"the {engine!r} query engine", "local-yt runs engine 'yql' only")
    text = request.get("query")
    if not text:
        raise YtLocalError("Missing required parameter 'query'")
    for name in ("files", "secrets"):
        if request.get_list(name):
            raise unsupported(f"{name!r} of start_query", "pass everything in the query text")
    if request.get("draft"):
        raise unsupported("draft queries (start_query draft=%true)", "start the query to run it")
    settings = request.get_dict("settings")
    unknown = sorted(set(settings) - ALLOWED_SETTINGS)
    if unknown:
        raise unsupported(
            f"the query setting(s) {', '.join(map(repr, unknown))}",
            f"local-yt accepts {', '.join(sorted(ALLOWED_SETTINGS))}",
        )
    objects: list[Any] = request.get_list("access_control_objects")
    single = request.get("access_control_object")
    text = text.decode() if isinstance(text, bytes) else str(text)
    record = QueryRecord(
        id=new_id(),
        engine=engine,
        text=text,
        settings=settings,
        annotations=request.get_dict("annotations"),
        access_control_objects=[str(each) for each in ([single] if single else objects)],
        user=request.user,
        run=QueryRun(text=text),
    )
    tracker(endpoint).start(record)
    return {"query_id": record.id}


@command("get_query", volatile=False)
def get_query(endpoint: Endpoint, request: Request) -> Any:
    record = tracker(endpoint).get(request.get("query_id"))
    return record.describe(request.get_list("attributes") or None)


@command("abort_query")
def abort_query(endpoint: Endpoint, request: Request) -> Any:
    message = request.get("message")
    tracker(endpoint).abort(request.get("query_id"), str(message) if message else None)
    return {}


@command("alter_query")
def alter_query(endpoint: Endpoint, request: Request) -> Any:
    record = tracker(endpoint).get(request.get("query_id"))
    if request.get("annotations") is not None:
        record.annotations = request.get_dict("annotations")
    objects = request.get("access_control_objects")
    single = request.get("access_control_object")
    if objects is not None or single is not None:
        chosen: list[Any] = [single] if single else list(objects or [])
        record.access_control_objects = [str(each) for each in chosen]
    return {}


@command("get_query_tracker_info", volatile=False)
def get_query_tracker_info(endpoint: Endpoint, request: Request) -> Any:
    info: dict[str, Any] = {
        "query_tracker_stage": str(request.get("stage") or "production"),
        "cluster_name": "local-yt",
        "supported_features": {"access_control": False, "multiple_aco": False},
        "access_control_objects": [],
        "clusters": ["local-yt"],
        "engines_info": {},
    }
    wanted = request.get_list("attributes")
    return {name: value for name, value in info.items() if name in wanted} if wanted else info


@command("list_queries", volatile=False)
def list_queries(endpoint: Endpoint, request: Request) -> Any:
    for name in ("search_by_token_prefix", "use_full_text_search", "tutorial_filter"):
        if request.get(name):
            raise unsupported(f"list_queries {name}=%true", "filter with 'filter' (a substring)")
    if request.get("sort_order") is not None:
        raise unsupported("list_queries sort_order", "queries are listed newest first")
    found = _filtered(tracker(endpoint), request)
    direction = str(request.get("cursor_direction") or "past")
    cursor = request.get("cursor_time")
    if cursor is not None:
        found = [
            each
            for each in found
            if (
                each.start_time < str(cursor)
                if direction == "past"
                else each.start_time > str(cursor)
            )
        ]
    found.sort(key=lambda each: each.start_time, reverse=direction == "past")
    limit = int(request.get("limit") or DEFAULT_LIST_LIMIT)
    attributes = request.get_list("attributes") or None
    return {
        "queries": [each.describe(attributes) for each in found[:limit]],
        "incomplete": len(found) > limit,
        "timestamp": 0,
    }


@command("get_query_result", volatile=False)
def get_query_result(endpoint: Endpoint, request: Request) -> Any:
    record, index, rows = _result(endpoint, request)
    weight = sum(len(repr(row)) for row in rows)
    return {
        "id": record.id,
        "result_index": index,
        "schema": result_schema(rows),
        "is_truncated": False,
        "data_statistics": {
            "row_count": len(rows),
            "data_weight": weight,
            "uncompressed_data_size": weight,
            "compressed_data_size": weight,
            "chunk_count": 1,
        },
    }


@command("read_query_result", output_type="tabular", volatile=False, heavy=True)
def read_query_result(endpoint: Endpoint, request: Request) -> Any:
    _record, _index, rows = _result(endpoint, request)
    row_format = parse_format(request.get("output_format"), what="output_format")
    lower = int(request.get("lower_row_index") or 0)
    upper_value = request.get("upper_row_index")
    upper = len(rows) if upper_value is None else int(upper_value)
    selected = rows[max(lower, 0) : max(upper, 0)]
    columns = request.get("columns")
    if columns is not None:
        wanted = {str(name).encode() for name in columns}
        selected = [{key: value for key, value in row.items() if key in wanted} for row in selected]
    return Streamed(encode_rows(selected, row_format))


def _result(endpoint: Endpoint, request: Request) -> tuple[QueryRecord, int, list[Any]]:
    record = tracker(endpoint).get(request.get("query_id"))
    index = int(request.get("result_index") or 0)
    if record.state != "completed":
        raise YtLocalError(
            f"Query {record.id} is {record.state}; its results can be read once it completes",
            attributes={"query_id": record.id, "state": record.state},
        )
    results = record.run.results
    if not 0 <= index < len(results):
        raise YtLocalError(
            f"Query {record.id} has {len(results)} result(s); there is no result_index {index}",
            attributes={"query_id": record.id, "result_index": index},
        )
    return record, index, results[index]


def _filtered(queries: QueryTracker, request: Request) -> list[QueryRecord]:
    with queries.lock:
        found = list(queries.queries.values())
    for name in ("engine", "state", "user", "filter", "from_time", "to_time"):
        value = request.get(name)
        if value is not None:
            found = [each for each in found if _matches(each, name, str(value))]
    return found


def _matches(record: QueryRecord, name: str, value: str) -> bool:
    if name == "engine":
        return record.engine == value
    if name == "state":
        return record.state == value
    if name == "user":
        return record.user == value
    if name == "filter":
        return value in record.text or value in str(record.annotations)
    if name == "from_time":
        return record.start_time >= value
    return record.start_time <= value


def _hint(error: YtflowError) -> dict[str, Any]:
    return {"hint": error.hint} if error.hint else {}


def _interrupt_until_done(record: QueryRecord, seconds: float) -> None:
    """Interrupt the query's engine every 0.1 s until its thread ends (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while record.thread is not None and record.thread.is_alive():
        record.run.abort()
        record.thread.join(timeout=0.1)
        if time.monotonic() > deadline:
            break
