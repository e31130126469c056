"""Checking what a job writes, as YT's parser does: every line one JSON object, none too heavy.

Each output table of each job streams through a checker process (``python -I job_output.py
FILE MAX_ROW_WEIGHT``, reading the job's pipe, writing ``FILE``): the checks of parallel jobs
run in parallel, outside the driver's GIL, while the jobs run, and the first bad line stops
the checker, which fails the job's attempt at once, as on YT. The checker prints one JSON
report (rows, and the bad line if any) on its stdout. So this module imports nothing from
ytflow: it runs as a script in a fresh interpreter that must start fast.

The check is complete (every line fully validated) and fast: a buffer whose lines all start
with ``{`` and end with ``}`` is validated in one C call by msgspec (every value a JSON
object, nothing built) plus a UTF-8 check; any other buffer is parsed line by line to find
and name the culprit. The rule is JSON's grammar, as YT's parser applies it: a number
beyond the double range (``1e400``) is valid JSON and passes, though dev's table reader
(orjson) refuses it later.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from typing import BinaryIO

import msgspec
import orjson

# msgspec's nesting limit follows Python's recursion limit: at the default it refuses (and
# the line-by-line orjson parse decides) before orjson's own limit of 1024 levels.
_RECURSION_LIMIT = 1000
READ_BYTES = 1 << 20
BUFFER_BYTES = 1 << 22  # whole lines are checked (and written) about this many bytes at a time
_VALIDATOR = msgspec.json.Decoder(msgspec.Raw)


class _AnyObject(msgspec.Struct, gc=False):
    """Any JSON object: its fields are skipped (validated, never built)."""


_OBJECTS = msgspec.json.Decoder(_AnyObject)


@dataclass(frozen=True)
class BadLine:
    """The first line of an output that YT would refuse."""

    line_number: int  # 1-based
    text: str
    reason: str
    too_heavy: bool = False  # valid or not, the line is over the row weight limit


class OutputChecker:
    """Checks an output stream fed in arbitrary pieces; counts its rows."""

    def __init__(self, max_row_weight: int, *, buffer_bytes: int = BUFFER_BYTES) -> None:
        self.max_row_weight = max_row_weight
        self.buffer_bytes = buffer_bytes
        self.rows = 0
        self.ignored_tail = 0  # bytes of a whitespace-only last line without its newline
        self._pending = bytearray()  # bytes after the last checked newline

    def feed(self, data: bytes, *, now: bool = False) -> BadLine | None:
        """Check the whole lines completed by ``data``; keep the unfinished last one.

        Lines are checked once a buffer's worth has gathered (cheaper per byte), or ``now``:
        when the job writes slowly, a bad line must fail it at once.
        """
        self._pending += data
        if len(self._pending) < self.buffer_bytes and not now:
            return None
        end = self._pending.rfind(b"\n") + 1
        if end:
            lines = bytes(self._pending[:end])
            del self._pending[:end]
            bad = self._check(lines)
            if bad is not None:
                return bad
        if len(self._pending) > self.max_row_weight:
            head = bytes(self._pending[:200]).decode("utf-8", "replace")
            reason = _too_heavy(len(self._pending), self.max_row_weight)
            return BadLine(self.rows + 1, head, reason, too_heavy=True)
        return None

    def finish(self) -> BadLine | None:
        """Check what is left at the end of the stream (a last line may lack its newline)."""
        rest = bytes(self._pending)
        self._pending.clear()
        end = rest.rfind(b"\n") + 1
        bad = self._check(rest[:end]) if end else None
        if bad is None and rest[end:].strip():  # a last line without its newline
            bad = self._check(rest[end:] + b"\n")
        elif bad is None:
            self.ignored_tail = len(rest) - end
        return bad

    def _check(self, lines: bytes) -> BadLine | None:
        bad = check_lines(lines, self.rows, self.max_row_weight)
        if bad is None:
            self.rows += lines.count(b"\n")
        return bad


def check_lines(data: bytes, rows_before: int, max_row_weight: int) -> BadLine | None:
    """Check the lines of ``data`` (which ends with a newline); the first bad one, if any."""
    if _looks_valid(data, max_row_weight):
        return None
    return _parse_each(data, rows_before, max_row_weight)


def _looks_valid(data: bytes, max_row_weight: int) -> bool:
    """True only if every line surely is one JSON object that orjson reads and that fits."""
    lines = data.count(b"\n")
    # A raw newline cannot occur inside a JSON string, and "}" then "{" cannot follow each
    # other inside a JSON value, so "}\n{" marks exactly the borders between whole objects:
    # no line is blank, and (with the count of values below) none holds two objects.
    if not (
        len(data) <= max_row_weight
        and data.startswith(b"{")
        and data.endswith(b"}\n")
        and data.count(b"}\n{") == lines - 1
    ):
        return False
    if sys.getrecursionlimit() > _RECURSION_LIMIT:
        return False  # msgspec would accept deeper nesting than orjson reads (in tests only)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    try:
        # One C call validates every value as a JSON object (fields skipped, nothing built).
        values = len(_OBJECTS.decode_lines(data))
    except Exception:
        return False
    return values == lines


def _parse_each(data: bytes, rows_before: int, max_row_weight: int) -> BadLine | None:
    for index, line in enumerate(data.split(b"\n")[:-1]):
        text = line[:200].decode("utf-8", "replace")
        if len(line) + 1 > max_row_weight:
            reason = _too_heavy(len(line) + 1, max_row_weight)
            return BadLine(rows_before + index + 1, text, reason, too_heavy=True)
        reason = _problem(line)
        if reason is not None:
            return BadLine(rows_before + index + 1, text, reason)
    return None


def _problem(line: bytes) -> str | None:
    if not line.strip():
        return "an empty line"
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        out_of_range = "infinity when parsed as double" in str(error)
        return None if out_of_range and _valid_object(line) else "not JSON"
    if not isinstance(value, dict):
        return f"JSON but not an object (a {type(value).__name__})"
    return None


def _valid_object(line: bytes) -> bool:
    """JSON's grammar where orjson refuses a number beyond the double range, as the fast
    path judges: one object, valid UTF-8."""
    try:
        line.decode("utf-8")
        _VALIDATOR.decode(line)
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return False
    return line.lstrip().startswith(b"{")


def _too_heavy(size: int, max_row_weight: int) -> str:
    return (
        f"{size} bytes or more, over the row weight limit of {max_row_weight} bytes "
        "(16 MiB, as on the cluster)"
    )


def stream(source: int, target: BinaryIO, max_row_weight: int) -> tuple[int, BadLine | None]:
    """Copy ``source`` (a file descriptor) to ``target``, checking; stop at the first bad line."""
    checker = OutputChecker(max_row_weight)
    written = 0
    while chunk := os.read(source, READ_BYTES):
        target.write(chunk)
        written += len(chunk)
        bad = checker.feed(chunk, now=len(chunk) < READ_BYTES)  # short: the pipe is drained
        if bad is not None:
            return checker.rows, bad
    bad = checker.finish()
    if checker.ignored_tail:  # the table gets rows only, not trailing blanks
        target.truncate(written - checker.ignored_tail)
    return checker.rows, bad


def main(argv: list[str]) -> int:
    """``job_output.py FILE MAX_ROW_WEIGHT``: stdin -> FILE, one JSON report on stdout."""
    path, weight = argv
    with open(path, "wb") as target:  # noqa: PTH123 - a script: no pathlib needed
        rows, bad = stream(0, target, int(weight))
    report: dict[str, object] = {"rows": rows}
    if bad is not None:
        report["bad"] = asdict(bad)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
