"""Row I/O for job code in YT's JSON format: one JSON object per line, UTF-8.

A mapper loops over ``read_rows()`` and calls ``write_row``; a reducer wraps its input in
``groups(rows, key)``. Output table 0 is stdout and table k > 0 is file descriptor 3k+1, which is
how YT wires a job's output tables. Output is buffered and flushed at exit. Job code should
log through ``ytjobs.logging`` and never ``print()`` to stdout: stdout carries the rows.

orjson encodes and decodes when the job's Python has it (ytflow's dev interpreter always does),
the standard ``json`` module otherwise (a prod image without orjson). Both write compact JSON
and refuse the same values, so a job that runs in dev writes the same rows in prod: NaN and
infinities (``ValueError`` naming the column: JSON has no form for them, and ytflow's table
writers refuse them too) and types JSON has none for, such as datetime, dataclass and set
(``TypeError``).
"""

from __future__ import annotations

import atexit
import functools
import io
import itertools
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Final, NamedTuple, TypeAlias, cast

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "BUFFER_BYTES",
    "Row",
    "codec_name",
    "flush",
    "groups",
    "read_rows",
    "write_row",
    "write_rows",
]

Row: TypeAlias = dict[str, Any]
"""One table row: column name -> JSON value."""

BUFFER_BYTES: Final = 1 << 20
"""Each output table reaches the OS in writes of about this many bytes."""

_PREVIEW_CHARS: Final = 80


class _Codec(NamedTuple):
    name: str
    encode: Callable[[Any], bytes]  # row -> compact JSON + b"\n"
    decode: Callable[[bytes | str], Any]  # raises ValueError on invalid JSON


_codec: _Codec | None = None
_outputs: dict[int, io.BufferedIOBase] = {}


# --- codecs -------------------------------------------------------------------------------


def _get_codec() -> _Codec:
    global _codec  # noqa: PLW0603 - chosen once, on first use, so `import ytjobs.io` stays cheap
    if _codec is None:
        _codec = _load_codec()
    return _codec


def _load_codec() -> _Codec:
    try:
        import orjson  # noqa: PLC0415 - optional and imported on first use
    except ImportError:
        return _json_codec()
    # Passthrough makes orjson refuse datetime and dataclasses like json does, instead of
    # serializing them: otherwise a job could work in dev and fail in an image without orjson.
    option = (
        orjson.OPT_APPEND_NEWLINE
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )
    return _Codec("orjson", functools.partial(orjson.dumps, option=option), orjson.loads)


def _json_codec() -> _Codec:
    import json  # noqa: PLC0415 - only when orjson is missing

    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    to_text = encoder.encode

    def encode(row: Any) -> bytes:
        try:
            text = to_text(row)
        except ValueError as exc:
            if "Out of range float" in str(exc):
                raise  # NaN or infinity: the writer names the column
            raise TypeError(str(exc)) from exc  # a circular reference; orjson: TypeError
        try:
            return (text + "\n").encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates; orjson raises TypeError too
            raise TypeError(f"str is not valid UTF-8: {exc.reason}") from exc

    return _Codec("json", encode, json.loads)


_SCALARS: Final = frozenset((str, int, bool, type(None)))


def _has_non_finite(values: Iterable[Any]) -> bool:
    """Whether any of ``values`` is or contains a NaN or infinite float.

    Runs for every output row that contains a null, so scalars are skipped with one set lookup.
    """
    for value in values:
        if type(value) in _SCALARS:
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                return True
        elif isinstance(value, dict):
            if _has_non_finite(cast("dict[Any, Any]", value).values()):
                return True
        elif isinstance(value, list | tuple) and _has_non_finite(cast("Sequence[Any]", value)):
            return True
    return False


def codec_name() -> str:
    """Return ``"orjson"`` or ``"json"``: the JSON library this job encodes rows with."""
    return _get_codec().name


# --- reading ------------------------------------------------------------------------------


def read_rows(stream: Iterable[bytes] | Iterable[str] | None = None) -> Iterator[Row]:
    """Yield the rows of ``stream`` (default: stdin), one JSON object per line.

    Streams line by line, so input of any size runs in constant memory. Blank lines are
    skipped; any other line that is not a JSON object raises ``ValueError`` naming its 1-based
    line number and the start of its text.
    """
    lines: Iterable[bytes] | Iterable[str] = sys.stdin.buffer if stream is None else stream
    decode = _get_codec().decode
    for lineno, line in enumerate(lines, 1):
        try:
            row = decode(line)
        except ValueError as exc:
            if not line.strip():  # checked only on failure: costs nothing on good input
                continue
            raise ValueError(_bad_line(lineno, line, _decode_problem(decode, line, exc))) from exc
        if type(row) is not dict:
            problem = f"a JSON {_json_kind(row)}, not an object"
            raise ValueError(_bad_line(lineno, line, problem))
        yield cast("Row", row)


def _decode_problem(
    decode: Callable[[bytes | str], Any], line: bytes | str, exc: ValueError
) -> str:
    # Decode again without the line break, so the decoder's "line 1 column N" is about this
    # line alone rather than pointing past its end.
    try:
        decode(line.rstrip())
    except ValueError as again:
        exc = again
    return f"not valid JSON ({exc})"


def _bad_line(lineno: int, line: bytes | str, problem: str) -> str:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    if len(text) > _PREVIEW_CHARS:
        text = text[:_PREVIEW_CHARS] + "..."
    return f"input line {lineno}: {problem}; expected one JSON object per line: {text!r}"


def _json_kind(value: object) -> str:
    kinds: dict[type, str] = {
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


# --- writing ------------------------------------------------------------------------------


def write_row(row: Row, table_index: int = 0) -> None:
    """Write one row to output table ``table_index`` (0: stdout, k: file descriptor 3k+1)."""
    if type(row) is not dict and not isinstance(row, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise _not_a_row(row, table_index)
    try:
        data = (_codec or _get_codec()).encode(row)
    except TypeError as exc:
        raise _not_serializable(exc, table_index) from exc
    except ValueError:
        raise _non_finite(row, table_index) from None
    # orjson writes NaN and infinity as null, so only rows with a null need a closer look
    # (find() is about twice as fast as `in` on bytes in CPython 3.11).
    if data.find(b"null") != -1:
        _refuse_non_finite(row, table_index)
    (_outputs.get(table_index) or _open_output(table_index)).write(data)


def write_rows(rows: Iterable[Row], table_index: int = 0) -> None:
    """Write every row of ``rows`` to output table ``table_index``.

    Faster than a loop of ``write_row`` calls, and streams any iterable: a generator of
    millions of rows is never held in memory.
    """
    write = (_outputs.get(table_index) or _open_output(table_index)).write
    encode = _get_codec().encode
    for row in rows:  # the per-row work is inlined: this loop is the hot path of a mapper
        if type(row) is not dict and not isinstance(row, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise _not_a_row(row, table_index)
        try:
            data = encode(row)
        except TypeError as exc:
            raise _not_serializable(exc, table_index) from exc
        except ValueError:
            raise _non_finite(row, table_index) from None
        if data.find(b"null") != -1:
            _refuse_non_finite(row, table_index)
        write(data)


def _not_a_row(row: object, table_index: int) -> TypeError:
    return TypeError(
        f"a row must be a dict of column -> value, got {type(row).__name__} "
        f"(writing to table {table_index})"
    )


def _not_serializable(exc: TypeError, table_index: int) -> TypeError:
    return TypeError(f"row for table {table_index} is not JSON-serializable: {exc}")


def _refuse_non_finite(row: Row, table_index: int) -> None:
    if _has_non_finite(row.values()):
        raise _non_finite(row, table_index)


def _non_finite(row: Row, table_index: int) -> ValueError:
    column = next((name for name, value in row.items() if _has_non_finite((value,))), None)
    return ValueError(
        f"row for table {table_index}, column {column!r}: NaN and infinity have no JSON form "
        "(ytflow's table writers refuse them too); write None for a missing value"
    )


def flush() -> None:
    """Push the buffered rows of every output table to the OS.

    Runs by itself at exit; call it only when something else must see the rows earlier.
    """
    for output in _outputs.values():
        output.flush()


class _Forward(io.RawIOBase):
    """A raw stream that passes whole buffers on to ``sys.stdout.buffer`` and flushes it.

    Wrapping it in a large ``BufferedWriter`` makes per-row writes C-speed appends while
    stdout still goes through ``sys.stdout.buffer`` (so harnesses that replace it still work).
    """

    def __init__(self, target: BinaryIO) -> None:
        super().__init__()
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, b: ReadableBuffer, /) -> int:
        self._target.write(b)
        self._target.flush()
        return memoryview(b).nbytes


def _open_output(table_index: int) -> io.BufferedIOBase:
    if isinstance(table_index, bool) or not isinstance(table_index, int):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"table_index must be an int, got {type(table_index).__name__}")
    if table_index < 0:
        raise ValueError(f"table_index must be 0 or more, got {table_index}")
    if table_index == 0:
        target = getattr(sys.stdout, "buffer", None)
        if target is None:
            raise RuntimeError(
                "output table 0 is stdout, but sys.stdout has no binary .buffer (it was replaced "
                f"by a {type(sys.stdout).__name__}); leave sys.stdout alone in job code"
            )
        output: io.BufferedIOBase = io.BufferedWriter(_Forward(target), BUFFER_BYTES)
    else:
        fd = 3 * table_index + 1
        try:
            output = io.BufferedWriter(io.FileIO(fd, "wb", closefd=False), BUFFER_BYTES)
        except OSError as exc:
            raise RuntimeError(
                f"output table {table_index} is file descriptor {fd}, which is not open in this "
                f"job: the operation has fewer than {table_index + 1} output tables "
                f"(see output_table in the stage's config.yaml) ({exc.strerror})"
            ) from exc
    if not _outputs:
        atexit.register(_flush_at_exit)
    _outputs[table_index] = output
    return output


def _flush_at_exit() -> None:
    try:
        flush()
    except (OSError, ValueError) as exc:
        # An atexit handler cannot change the exit status, and a job that lost rows must not
        # exit 0: report and exit 120, the status CPython uses when flushing stdout fails.
        sys.stderr.write(f"ytjobs.io: output rows were lost, flushing at exit failed: {exc}\n")
        sys.stderr.flush()
        os._exit(120)


# --- reducers -----------------------------------------------------------------------------


def groups(rows: Iterable[Row], key: str | Sequence[str]) -> Iterator[tuple[Any, Iterator[Row]]]:
    """Split ``rows`` into runs of consecutive rows with equal key, for reducers.

    ``key="user_id"`` yields ``(user_id_value, rows)``; ``key=["a", "b"]`` yields
    ``((a, b), rows)`` (a tuple even for a one-column list). Works like ``itertools.groupby``:
    it streams and never holds a group in memory, so advancing to the next group skips what
    is left of the current one. Keys compare as YT compares them, type first: ``1``, ``1.0``
    and ``True`` are three different keys (Python's ``==`` would merge them), and a missing
    key column reads as null.
    """
    columns = (key,) if isinstance(key, str) else tuple(key)
    if not columns:
        raise ValueError("groups() needs at least one key column")

    def typed_key(row: Row) -> tuple[tuple[type[Any], Any], ...]:
        values: Iterator[Any] = map(row.get, columns)
        return tuple((value.__class__, value) for value in values)

    def generate() -> Iterator[tuple[Any, Iterator[Row]]]:
        for typed, group in itertools.groupby(rows, typed_key):
            values = tuple(value for _, value in typed)
            yield (values[0] if isinstance(key, str) else values), group

    return generate()
