"""Dev tables' JSONL files: rows written with the shared encoder, read back streamed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ytflow.client.row_encoding import RowEncoder
from ytflow.errors import TableFormatError


def write_rows(handle: BinaryIO, rows: Iterable[Mapping[str, Any]], *, table: str) -> int:
    """Encode ``rows`` as JSONL into ``handle``; return the row count (``RowError`` for a
    row the cluster would refuse, before anything of it is written)."""
    encoder = RowEncoder(table)
    for chunk in encoder.chunks(rows):
        handle.write(chunk)
    return encoder.count


def read_rows(handle: BinaryIO, *, path: Path, table: str) -> Iterator[dict[str, Any]]:
    """Stream the rows of an open JSONL file (``path``, for messages) as dicts, closing it
    at the end; a bad line raises ``TableFormatError``."""
    loads = orjson.loads
    with handle:
        for line_number, line in enumerate(handle, 1):
            try:
                row = loads(line)
            except orjson.JSONDecodeError as error:
                if not line.strip():
                    continue
                raise _bad_line(table, path, line_number, line, f"not JSON ({error})") from None
            if type(row) is not dict:
                raise _bad_line(table, path, line_number, line, "not a JSON object")
            yield row


def _bad_line(table: str, path: Path, line_number: int, line: bytes, why: str) -> TableFormatError:
    text = line.decode("utf-8", "replace").rstrip("\n")
    return TableFormatError(
        f"{table}: {path}, line {line_number} is {why}: {text[:200]!r}",
        hint="every line of a dev table must be one JSON object; fix or remove that line",
    )
