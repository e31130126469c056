"""Checking what a job wrote: every line must be one JSON object, as YT's parser demands.

The check runs over every output byte, so it is built from C-speed scans: a chunk whose
lines all start with ``{"`` (or are ``{}``) and end with ``}`` passes after a few
``bytes.count`` calls; any other chunk is parsed line by line to find and name the culprit.
The first lines of each output are always parsed fully, which catches a mapper that prints
Python reprs (``{'a': 1}``) or numbers in a format JSON does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

CHUNK = 1 << 22
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
    tail = b""
    first = True
    with path.open("rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                bad = _check_region(
                    data[:cut], rows, parse_lines=FULLY_PARSED_LINES if first else 0
                )
                if bad is not None:
                    return rows, bad
                rows += data.count(b"\n", 0, cut)
                first = False
            tail = data[cut:]
    if tail.strip():
        bad = _check_region(tail + b"\n", rows, parse_lines=1)
        if bad is not None:
            return rows, bad
        rows += 1
    return rows, None


def _check_region(region: bytes, rows_before: int, *, parse_lines: int) -> BadLine | None:
    """``region`` ends with a newline; return its first bad line or None."""
    lines = region.count(b"\n")
    if parse_lines:
        head = region.split(b"\n", parse_lines)[:parse_lines]
        bad = _parse_each(head[: min(parse_lines, lines)], rows_before)
        if bad is not None:
            return bad
    looks_right = (
        region.count(b"}\n") == lines
        and (region.startswith(b'{"') or region.startswith(b"{}"))
        and region.count(b'\n{"') + region.count(b"\n{}") == lines - 1
    )
    if looks_right:
        return None
    return _parse_each(region.split(b"\n")[:lines], rows_before)


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
