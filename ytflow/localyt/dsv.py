"""YT's DSV row format: one row a line, ``key=value`` pairs separated by tabs.

Escapes (YT's ``dsv``): backslash before tab, newline, NUL and backslash in keys and values,
and before ``=`` in keys. Every value is a string; other types are written as their text
(YT writes non-string scalars as text too and refuses composites).
"""

from __future__ import annotations

from typing import Any

from ytflow.localyt.yt_errors import YtLocalError

_ESCAPES = {b"\t": b"\\t", b"\n": b"\\n", b"\0": b"\\0", b"\\": b"\\\\"}
_UNESCAPES = {ord("t"): b"\t", ord("n"): b"\n", ord("0"): b"\0", ord("r"): b"\r"}


def _escape(data: bytes, *, key: bool) -> bytes:
    out = bytearray()
    for byte in data:
        char = bytes((byte,))
        if char in _ESCAPES:
            out += _ESCAPES[char]
        elif key and char == b"=":
            out += b"\\="
        else:
            out += char
    return bytes(out)


def _unescape(data: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == ord("\\") and index + 1 < len(data):
            following = data[index + 1]
            out += _UNESCAPES.get(following, bytes((following,)))
            index += 2
        else:
            out.append(byte)
            index += 1
    return bytes(out)


def _split_unescaped(line: bytes, separator: int) -> list[bytes]:
    parts: list[bytes] = []
    start = index = 0
    while index < len(line):
        if line[index] == ord("\\"):
            index += 2
            continue
        if line[index] == separator:
            parts.append(line[start:index])
            start = index + 1
        index += 1
    parts.append(line[start:])
    return parts


def decode_dsv(data: bytes) -> list[dict[bytes, bytes]]:
    rows: list[dict[bytes, bytes]] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line:
            continue
        row: dict[bytes, bytes] = {}
        for field in _split_unescaped(line, ord("\t")):
            if not field:
                continue
            pieces = _split_unescaped(field, ord("="))
            if len(pieces) < 2:
                raise YtLocalError(f"DSV row {number}: field without '=': {field[:50]!r}")
            row[_unescape(pieces[0])] = _unescape(field[len(pieces[0]) + 1 :])
        rows.append(row)
    return rows


def encode_dsv(rows: list[Any]) -> bytes:
    lines: list[bytes] = []
    for row in rows:
        fields: list[bytes] = []
        for key, value in row.items():
            fields.append(_escape(_text(key), key=True) + b"=" + _escape(_text(value), key=False))
        lines.append(b"\t".join(fields) + b"\n")
    return b"".join(lines)


def _text(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (dict, list)):
        raise YtLocalError("DSV cannot hold composite values; read the table in YSON or JSON")
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return str(value).encode()
