"""YQL on the cluster through the query tracker (engine ``yql``), the text dev runs unchanged.

A bare ``SELECT`` gives the query a result; ``INSERT INTO`` gives none. So the last result is
the last bare SELECT's, as dev returns it; its rows are read as ``<encode_utf8=%false>json``
and parsed with orjson. A query that fails raises ``YqlError`` with the query id and the
engine's message; so does a result the tracker truncated (dev would have returned every
row, so a silent prefix would be a different answer).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from ytflow.errors import YqlError
from ytflow.prod.errors import Mask, cluster_code, cluster_message, translated

if TYPE_CHECKING:
    import yt.wrapper

ENGINE = "yql"
_logger = logging.getLogger("ytflow.yql")


class ProdYql:
    """Runs YQL text with engine ``yql`` and returns the last SELECT's rows."""

    def __init__(self, yt: yt.wrapper.YtClient, *, mask: Mask) -> None:
        self.yt = yt
        self._yt: Any = yt  # the client's return types are unions of everything; we know each
        self._mask = mask

    def run(self, query: str) -> list[dict[str, Any]]:
        """Run ``query``, wait for it, return the rows of its last result (``[]`` if none)."""
        from yt.wrapper.errors import YtQueryFailedError  # noqa: PLC0415 - prod only
        from yt.wrapper.query_commands import Query  # noqa: PLC0415 - prod only

        with translated(mask=self._mask, fallback=_query_error(None)):
            query_id = str(self._yt.start_query(ENGINE, query))
        _logger.info("YQL query %s started", query_id)
        with translated(mask=self._mask, fallback=_query_error(query_id)):
            started: Any = Query(query_id, ENGINE, client=self.yt)
            try:
                started.wait(print_progress=False)
            except YtQueryFailedError as failure:
                raise self._failed(query_id, failure) from None
            count = int(started.get_meta(attributes=["result_count"])["result_count"])
            if count == 0:
                return []
            return self._rows(query_id, count - 1)

    def _rows(self, query_id: str, index: int) -> list[dict[str, Any]]:
        import yt.wrapper  # noqa: PLC0415 - prod only

        meta = self._yt.get_query_result(query_id, result_index=index)
        if meta.get("is_truncated"):
            raise YqlError(
                f"query {query_id}: the result of the last SELECT was truncated by the query "
                "tracker, so its rows are not all available",
                hint="write the rows to a table (INSERT INTO `//path` WITH TRUNCATE SELECT ...) "
                "and read it with read_table",
            )
        stream: Any = self._yt.read_query_result(
            query_id,
            result_index=index,
            format=yt.wrapper.JsonFormat(encode_utf8=False),
            raw=True,
        )
        data = bytes(stream.read())  # a result is small: the tracker truncates big ones
        return [orjson.loads(line) for line in data.split(b"\n") if line.strip()]

    def _failed(self, query_id: str, failure: Any) -> YqlError:
        inner: list[Any] = list(failure.inner_errors or [])
        message = cluster_message(inner[0], self._mask) if inner else self._mask(str(failure))
        error = YqlError(f"query {query_id} failed: {message}")
        error.code = cluster_code(inner[0]) if inner else None
        return error


def _query_error(query_id: str | None) -> Any:
    """The fallback translation: a ``YqlError`` naming the query (when it has an id)."""

    def build(message: str, code: int | None) -> YqlError:
        error = YqlError(f"query {query_id}: {message}" if query_id else message)
        error.code = code
        return error

    return build
