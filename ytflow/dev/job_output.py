"""Checking what a job wrote: every line must be one JSON object, as YT's parser demands.

The check runs over every output byte, so it is built from C-speed scans over the file's
chunks, in place (offsets, no slicing copies): a chunk whose lines all start with ``{`` and
end with ``}`` and that holds no ``NaN`` or ``Infinity`` passes after a few scans; any other
chunk is parsed line by line to find and name the culprit. The first lines of each output
are always parsed fully, which catches a mapper that prints Python reprs (``{'a': 1}``).
A line shaped like an object but otherwise malformed past those first lines (hand-built
JSON with a syntax error) is not caught here; reading the table reports it with its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

CHUNK = 1 << 23
FULLY_PARSED_LINES = 1000


@dataclass(frozen=True)
class BadLine:
    """The first line of an output that is not a JSON object."""

    line_number: int  # 1-based
    text: str
    reason: str


def check_output(path: Path) -> tuple[int, BadLine | None]:
    """Count the rows of a job output file and find its first bad line, if any."""
    rows = 0
    carry = b""  # the unfinished last line of the previous chunk
    with path.open("rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            first_end = chunk.find(b"\n") + 1
            if not first_end:
                carry += chunk
                continue
            # The line spanning the chunk border is checked on its own (small copy).
            border = carry + chunk[:first_end]
            bad = _check(border, 0, len(border), rows, parse=1 if rows else FULLY_PARSED_LINES)
            if bad is not None:
                return rows, bad
            rows += 1
            end = chunk.rfind(b"\n") + 1
            if end > first_end:
                parse = max(0, FULLY_PARSED_LINES - rows)
                bad = _check(chunk, first_end, end, rows, parse=parse)
                if bad is not None:
                    return rows, bad
                rows += chunk.count(b"\n", first_end, end)
            carry = chunk[end:]
    if carry.strip():
        bad = _check(carry + b"\n", 0, len(carry) + 1, rows, parse=1)
        if bad is not None:
            return rows, bad
        rows += 1
    return rows, None


def _check(data: bytes, start: int, end: int, rows_before: int, *, parse: int) -> BadLine | None:
    """Check the whole lines in ``data[start:end]`` (``end`` is just after a newline)."""
    if parse:
        stop = start
        for _ in range(parse):
            stop = data.find(b"\n", stop, end) + 1
            if not stop:
                stop = end
                break
        bad = _parse_each(data[start:stop].split(b"\n")[:-1], rows_before)
        if bad is not None:
            return bad
    lines = data.count(b"\n", start, end)
    # A raw newline cannot occur inside a JSON string, so "}\n{" marks exactly the borders
    # between lines that end with "}" and start with "{".
    looks_right = (
        data.startswith(b"{", start)
        and data.startswith(b"}\n", end - 2)
        and data.count(b"}\n{", start, end) == lines - 1
        and not _may_hold_non_finite(data, start, end)
    )
    if looks_right:
        return None
    return _parse_each(data[start:end].split(b"\n")[:-1], rows_before)


def _may_hold_non_finite(data: bytes, start: int, end: int) -> bool:
    """Whether Python's json.dumps spellings of non-finite floats (``NaN``, ``Infinity``),
    invalid JSON the line-shape check cannot see, may be present. Single-byte scans run at
    memchr speed, so the word searches happen only when a capital N or I occurs at all.
    """
    return (data.find(b"N", start, end) >= 0 and data.find(b"NaN", start, end) >= 0) or (
        data.find(b"I", start, end) >= 0 and data.find(b"Infinity", start, end) >= 0
    )


def _parse_each(lines: list[bytes], rows_before: int) -> BadLine | None:
    for index, line in enumerate(lines):
        reason = _problem(line)
        if reason is not None:
            text = line.decode("utf-8", "replace")
            return BadLine(rows_before + index + 1, text[:200], reason)
    return None


def _problem(line: bytes) -> str | None:
    if not line.strip():
        return "an empty line"
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not JSON"
    if not isinstance(value, dict):
        return f"JSON but not an object (a {type(value).__name__})"
    return None
