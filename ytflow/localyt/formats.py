"""Row formats on the wire: YSON (binary, text, pretty) and JSON with YT's ``encode_utf8``.

Inside local-yt a row is what ``yt.yson`` parses with ``encoding=None``: a map with byte-string
keys and byte-string strings, because YT strings are bytes. JSON has no bytes, so YT's JSON
format maps them: with ``encode_utf8=%true`` (the default) each byte becomes the code point of
the same number (what the client does on its side); with ``%false`` the bytes must be UTF-8
and travel as that text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ytflow.localyt.dsv import decode_dsv, encode_dsv
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError

BATCH_ROWS = 4096
SUPPORTED = ("yson", "json", "dsv")


@dataclass(frozen=True)
class RowFormat:
    """A parsed format spec such as ``<encode_utf8=%false>json`` or ``<format=text>yson``."""

    name: str
    attributes: dict[str, Any]

    @property
    def encode_utf8(self) -> bool:
        return bool(self.attributes.get("encode_utf8", True))

    @property
    def yson_format(self) -> str:
        return str(self.attributes.get("format", "binary"))


def parse_format(spec: Any, *, what: str) -> RowFormat:
    """Read a format parameter; refuse formats local-yt does not speak, naming them."""
    if spec is None:
        return RowFormat("yson", {})
    attributes: dict[str, Any] = dict(getattr(spec, "attributes", {}) or {})
    name = spec.decode() if isinstance(spec, bytes) else str(spec)
    if isinstance(spec, dict) and "$value" in spec:
        name = str(spec["$value"])  # type: ignore[index]
        attributes = dict(spec.get("$attributes", {}))  # type: ignore[union-attr]
    if name not in SUPPORTED:
        raise YtLocalError(
            f"local-yt does not support the {name!r} format ({what}); use yson, json or dsv",
            attributes={"format": name},
        )
    return RowFormat(name, attributes)


# -- decoding (client -> endpoint) ----------------------------------------------------------


def decode_rows(data: bytes, row_format: RowFormat) -> list[Any]:
    """Parse a request body into rows; a bad row is a YT error naming its number."""
    if row_format.name == "dsv":
        return decode_dsv(data)
    if row_format.name == "yson":
        try:
            rows = list(
                yson().loads(
                    data, yson_type="list_fragment", encoding=None, always_create_attributes=False
                )
            )
        except Exception as error:
            raise YtLocalError(f"Error parsing YSON rows: {error}") from None
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise YtLocalError(f"Row {index} is not a map: YT rows are maps of columns")
        return rows
    rows: list[Any] = []
    for line in data.splitlines():
        if line.strip():
            rows.extend(_json_values(line, len(rows) + 1))
    return [
        _json_row(value, number, row_format.encode_utf8) for number, value in enumerate(rows, 1)
    ]


def iter_rows(data: bytes, row_format: RowFormat) -> Iterator[Any]:
    """``decode_rows``, but YSON rows are parsed one by one as the caller consumes them.

    A write of a million rows then never holds them all: the server's memory stays flat and
    the parse is faster (no garbage-collector passes over a huge list).
    """
    if row_format.name != "yson":
        yield from decode_rows(data, row_format)
        return
    try:
        parsed = yson().loads(
            data, yson_type="list_fragment", encoding=None, always_create_attributes=False
        )
        for index, row in enumerate(parsed):
            if not isinstance(row, dict):
                raise YtLocalError(f"Row {index} is not a map: YT rows are maps of columns")
            yield row
    except YtLocalError:
        raise
    except Exception as error:
        raise YtLocalError(f"Error parsing YSON rows: {error}") from None


def _json_values(line: bytes, number: int) -> list[Any]:
    """One line's JSON values: YT's JSON is a stream, so rows may follow each other unseparated."""
    try:
        return [orjson.loads(line)]
    except orjson.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    text = line.decode("utf-8", errors="replace")
    values: list[Any] = []
    position = 0
    while position < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise YtLocalError(f"Error parsing JSON row {number + len(values)}: {error}") from None
        values.append(value)
        while position < len(text) and text[position] in " \t\r;":
            position += 1
    return values


def _json_row(value: Any, number: int, encode_utf8: bool) -> Any:
    if not isinstance(value, dict):
        raise YtLocalError(f"JSON row {number} is not an object: YT rows are maps of columns")
    return _from_json(value, encode_utf8, number)


def _from_json(value: Any, encode_utf8: bool, number: int) -> Any:
    if isinstance(value, str):
        return _text_to_bytes(value, encode_utf8, number)
    if isinstance(value, dict):
        items: dict[str, Any] = value  # type: ignore[assignment]
        if "$value" in items:
            return _from_json(items["$value"], encode_utf8, number)
        return {
            _text_to_bytes(key, encode_utf8, number): _from_json(item, encode_utf8, number)
            for key, item in items.items()
        }
    if isinstance(value, list):
        return [_from_json(item, encode_utf8, number) for item in value]  # type: ignore[misc]
    if value is None:
        return yson().YsonEntity()
    return value


def _text_to_bytes(text: str, encode_utf8: bool, number: int) -> bytes:
    if not encode_utf8:
        return text.encode("utf-8")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise YtLocalError(
            f"JSON row {number}: unicode symbols above 255 are not supported "
            "with encode_utf8=%true",
            attributes={
                "hint": "send <encode_utf8=%false>json, or encode strings as YT's client does"
            },
        ) from None


# -- encoding (endpoint -> client) ----------------------------------------------------------


def encode_rows(rows: Iterable[Any], row_format: RowFormat) -> Iterator[bytes]:
    """Serialize rows in batches, so a large read streams."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield _encode_batch(batch, row_format)
            batch = []
    if batch:
        yield _encode_batch(batch, row_format)


def _encode_batch(rows: list[Any], row_format: RowFormat) -> bytes:
    if row_format.name == "dsv":
        return encode_dsv(rows)
    if row_format.name == "yson":
        return yson().dumps(rows, yson_format=row_format.yson_format, yson_type="list_fragment")
    utf8 = row_format.encode_utf8
    return b"".join(orjson.dumps(_to_json(row, utf8)) + b"\n" for row in rows)


def _to_json(value: Any, encode_utf8: bool) -> Any:  # noqa: PLR0911 - one flat dispatch
    attributes = getattr(value, "attributes", None)
    if attributes:
        return {
            "$attributes": _to_json(dict(attributes), encode_utf8),  # type: ignore[arg-type]
            "$value": _to_json(_plain(value), encode_utf8),
        }
    if isinstance(value, bytes):
        return _bytes_to_text(value, encode_utf8)
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1") if encode_utf8 else str(value)
    if isinstance(value, dict):
        items: dict[Any, Any] = value  # type: ignore[assignment]
        return {
            (_bytes_to_text(key, encode_utf8) if isinstance(key, bytes) else str(key)): _to_json(
                item, encode_utf8
            )
            for key, item in items.items()
        }
    if isinstance(value, list):
        return [_to_json(item, encode_utf8) for item in value]  # type: ignore[misc]
    if value is None or isinstance(value, yson().YsonEntity):
        return None
    if isinstance(value, (bool, yson().YsonBoolean)):  # YsonBoolean is an int, not a bool
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _plain(value: Any) -> Any:
    """The value without its YSON attributes."""
    for kind in (bytes, str, bool, int, float, dict, list):
        if isinstance(value, kind):
            return kind(value)  # type: ignore[call-arg]
    return None


def _bytes_to_text(data: bytes, encode_utf8: bool) -> str:
    if encode_utf8:
        return data.decode("latin-1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise YtLocalError(
            "A string is not valid UTF-8 and cannot be sent in <encode_utf8=%false>json",
            attributes={"hint": "read it in YSON, or in JSON with encode_utf8=%true"},
        ) from None


# -- structured (non-row) data ----------------------------------------------------------------


def dump_structured(value: Any, spec: Any) -> bytes:
    """A command's structured result in the client's requested output format."""
    row_format = (
        parse_format(spec, what="output_format") if spec is not None else RowFormat("yson", {})
    )
    if row_format.name == "yson":
        return yson().dumps(value, yson_format=row_format.yson_format)
    return orjson.dumps(_to_json(value, row_format.encode_utf8), option=orjson.OPT_NON_STR_KEYS)


def load_structured(data: bytes, spec: Any) -> Any:
    """A structured request body (``set``'s value) in the client's input format."""
    row_format = (
        parse_format(spec, what="input_format") if spec is not None else RowFormat("yson", {})
    )
    try:
        if row_format.name == "yson":
            return yson().loads(data)
        return _from_json_text(orjson.loads(data), row_format.encode_utf8)
    except YtLocalError:
        raise
    except Exception as error:
        raise YtLocalError(
            f"Error parsing the request body as {row_format.name}: {error}"
        ) from None


def load_json_parameters(value: Any) -> Any:
    """Command parameters sent as JSON: YT reads them with ``encode_utf8=%true`` (each UTF-8
    byte of a string arrives as the code point of the same number), as the client sends them."""
    return _from_json_text(value, True)


def _from_json_text(value: Any, encode_utf8: bool) -> Any:
    """JSON structured data keeps text as text (only table rows are byte strings)."""
    if isinstance(value, str) and encode_utf8:
        return value.encode("latin-1", errors="replace").decode("utf-8", errors="replace")
    if isinstance(value, dict):
        items: dict[str, Any] = value  # type: ignore[assignment]
        if "$value" in items:
            inner = _from_json_text(items["$value"], encode_utf8)
            attributes = _from_json_text(items.get("$attributes", {}), encode_utf8)
            return yson().to_yson_type(inner, attributes=attributes)
        return {key: _from_json_text(item, encode_utf8) for key, item in items.items()}
    if isinstance(value, list):
        return [_from_json_text(item, encode_utf8) for item in value]  # type: ignore[misc]
    if value is None:
        return yson().YsonEntity()
    return value
