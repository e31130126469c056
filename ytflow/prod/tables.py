"""Cypress tables through ``yt.wrapper``: streamed writes in one transaction, streamed reads.

Rows travel as raw JSON lines in ``<encode_utf8=%false>json``: ``RowEncoder`` (the encoder dev
uses too) checks and encodes them a megabyte at a time, and the client sends those bytes as
they come. With write retries on (the default) the client groups them into requests of
``write_retries/chunk_size`` (128 MB unless ``yt_config`` says otherwise), so memory stays
bounded by that, never by the table. Reads parse the proxy's JSON lines with orjson.

Every write runs in one transaction of ours: create (with parents) and write, so a replace
is seen by readers as the old table or the new one, and rows that raise halfway abort it,
leaving the table as it was (for an append, none of the new rows appear).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from ytflow.client.row_encoding import RowEncoder
from ytflow.errors import TableNotFound, YtPathError
from ytflow.paths import validate_table_path
from ytflow.prod.errors import Mask, translated

if TYPE_CHECKING:
    import yt.wrapper


class ProdTables:
    """write/read/exists/remove/row_count on the cluster, errors translated."""

    def __init__(self, yt: yt.wrapper.YtClient, *, mask: Mask) -> None:
        self.yt = yt
        self._yt: Any = yt  # the client's return types are unions of everything; we know each
        self._mask = mask

    def write(self, path: str, rows: Iterable[Mapping[str, Any]], *, append: bool) -> int:
        """Write ``rows`` (see ``YtClient.write_table``); returns how many were written."""
        import yt.wrapper  # noqa: PLC0415 - prod only

        validate_table_path(path)
        encoder = RowEncoder(path)
        target = yt.wrapper.TablePath(path, append=append, client=self.yt)
        with translated(mask=self._mask), self._yt.Transaction(attributes={"title": _title(path)}):
            self._create(path)
            self._yt.write_table(target, encoder.chunks(rows), format=_json_format(), raw=True)
        return encoder.count

    def read(self, path: str) -> Iterator[dict[str, Any]]:
        """Stream the rows; ``TableNotFound`` is raised here, before the first row."""
        validate_table_path(path)
        with translated(mask=self._mask, path=path):
            self._require_table(path)
            stream = self._yt.read_table(path, format=_json_format(), raw=True)
        return self._rows(path, stream)

    def exists(self, path: str) -> bool:
        """True only for a table (a folder or file at ``path`` is not one)."""
        validate_table_path(path)
        with translated(mask=self._mask):
            return self._type(path) == "table"

    def remove(self, path: str, *, force: bool) -> None:
        """Remove the table; ``TableNotFound`` if missing unless ``force``."""
        validate_table_path(path)
        with translated(mask=self._mask, path=path):
            kind = self._type(path)
            if kind is None:
                if force:
                    return
                raise TableNotFound(path)
            if kind != "table":
                raise YtPathError(f"{path} is a {kind}, not a table; ytflow removes only tables")
            self._yt.remove(path, force=force)

    def row_count(self, path: str) -> int:
        """The ``row_count`` attribute: no row is read."""
        validate_table_path(path)
        with translated(mask=self._mask, path=path):
            self._require_table(path)
            return int(self._yt.get(f"{path}/@row_count"))

    def _rows(self, path: str, stream: Any) -> Iterator[dict[str, Any]]:
        loads = orjson.loads
        try:
            with translated(mask=self._mask, path=path):
                rest = b""
                for chunk in stream.chunk_iter():
                    lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
                    rest = lines.pop()
                    for line in lines:
                        if line:
                            yield loads(line)
                if rest.strip():
                    yield loads(rest)
        finally:
            stream.close()  # ends the client's read transaction even if the reader stops early

    def _create(self, path: str) -> None:
        """Create the table and its parents if missing (inside the caller's transaction)."""
        self._yt.create("table", path, recursive=True, ignore_existing=True)

    def _require_table(self, path: str) -> None:
        kind = self._type(path)
        if kind is None:
            raise TableNotFound(path)
        if kind != "table":
            raise YtPathError(f"{path} is a {kind}, not a table")

    def _type(self, path: str) -> str | None:
        """The node's type, or None when nothing is there."""
        from yt.wrapper.errors import YtResponseError  # noqa: PLC0415 - prod only

        try:
            return str(self._yt.get(f"{path}/@type"))
        except YtResponseError as error:
            if error.is_resolve_error():
                return None
            raise


def _json_format() -> yt.wrapper.JsonFormat:
    """JSON that keeps UTF-8 intact (YT's default ``encode_utf8=%true`` reads it as Latin-1)."""
    import yt.wrapper  # noqa: PLC0415 - prod only

    return yt.wrapper.JsonFormat(encode_utf8=False)


def _title(path: str) -> str:
    return f"ytflow: write {path}"
