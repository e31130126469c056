"""External merge sort for dev JSONL tables: YT's sort order on tables larger than memory.

Input lines are buffered into runs of about ``run_bytes``; each run is stably sorted and
spilled to a run file, and the runs are k-way merged into the output. Rows are written with
their original bytes, never re-serialized, so a sort changes the order of lines and nothing
else. Equal keys keep their input order (stable within a run, run index breaks ties across
runs), which makes every result deterministic.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ytflow.dev.files import atomic_replace
from ytflow.dev.ordering import RowKey, check_sorted, row_key
from ytflow.errors import TableFormatError, UsageError

_KeyOf = Callable[[Mapping[str, Any]], RowKey]
_Entry = tuple[RowKey, bytes]

# Each merged run (and each input) is read through a buffer this big: the merge's memory is
# run_bytes plus fan-in times this.
_READ_BUFFER = 1 << 16
_WRITE_BUFFER = 1 << 20
# Runs merged at once; more runs take extra passes, so open files stay well below ulimits.
_FAN_IN = 64
# Python objects a buffered row costs beyond its line bytes: the (key, line) entry and its
# list slot, the bytes header, the key tuple, and one (rank, value) tuple per key column.
# Counting them keeps a run's real memory near run_bytes even for short rows.
_ROW_OVERHEAD = 96
_COLUMN_OVERHEAD = 80

_by_key = itemgetter(0)


def sort_jsonl(
    inputs: Sequence[Path],
    output: Path,
    columns: Sequence[str],
    *,
    temp_dir: Path,
    run_bytes: int = 256 * 1024 * 1024,
) -> int:
    """Sort the rows of ``inputs`` (concatenated, in order) by ``columns`` into ``output``.

    Returns the row count. ``output`` is replaced atomically: on any failure it is left as
    it was. Run files go to ``temp_dir`` and are always removed. A run holds rows until their
    line bytes plus an estimate of their Python object overhead exceed ``run_bytes``, so
    memory stays near ``run_bytes`` plus one read buffer per merged run. Blank lines are
    skipped; a line that is not a JSON object raises ``TableFormatError`` naming its file and
    line number.
    """
    key_of = row_key(columns)
    if run_bytes < 1:
        raise UsageError(f"run_bytes must be positive, got {run_bytes}")
    row_cost = _ROW_OVERHEAD + _COLUMN_OVERHEAD * len(columns)
    runs = _RunFiles(temp_dir)
    try:
        count, last_run = _spill_runs(inputs, key_of, runs, run_bytes, row_cost)
        if not runs.paths:
            with atomic_replace(output, buffer_size=_WRITE_BUFFER) as handle:
                handle.writelines(map(_line_of_entry, last_run))
            return count
        # The last run stays in memory and joins the final merge, so leave it a slot.
        while len(runs.paths) >= _FAN_IN:
            runs.merge_pass(key_of)
        with contextlib.ExitStack() as stack:
            sources = _open_runs(runs.paths, stack, key_of)
            tail_index = len(sources)
            sources.append((key, tail_index, line) for key, line in last_run)
            with atomic_replace(output, buffer_size=_WRITE_BUFFER) as handle:
                handle.writelines(map(_line_of_merged, heapq.merge(*sources)))
        return count
    finally:
        runs.remove_all()


def is_sorted_file(path: Path, columns: Sequence[str]) -> bool:
    """True if the JSONL file's rows are in YT order by ``columns``; streams the file.

    Used to check a claim that a table is sorted before trusting it.
    """
    return check_sorted((row for row, _ in _read_lines(path)), columns) is None


def _spill_runs(
    inputs: Iterable[Path], key_of: _KeyOf, runs: _RunFiles, run_bytes: int, row_cost: int
) -> tuple[int, list[_Entry]]:
    """Read every input, spilling sorted runs; return the row count and the last run, sorted."""
    run: list[_Entry] = []
    size = 0
    count = 0
    for path in inputs:
        for row, line in _read_lines(path):
            run.append((key_of(row), line))
            count += 1
            size += len(line) + row_cost
            if size > run_bytes:
                run.sort(key=_by_key)
                runs.write(run)
                run = []
                size = 0
    run.sort(key=_by_key)
    return count, run


def _read_lines(path: Path) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Yield each non-blank line's row and its bytes, normalized to end with one newline."""
    loads = orjson.loads
    with path.open("rb", buffering=_READ_BUFFER) as handle:
        for line_number, line in enumerate(handle, 1):
            try:
                row = loads(line)
            except orjson.JSONDecodeError as error:
                if not line.strip():
                    continue
                raise _bad_line(path, line_number, line, f"not JSON ({error})") from None
            if type(row) is not dict:
                raise _bad_line(path, line_number, line, "not a JSON object")
            yield row, line if line[-1:] == b"\n" else line + b"\n"


def _open_runs(
    paths: Sequence[Path], stack: contextlib.ExitStack[bool | None], key_of: _KeyOf
) -> list[Iterator[tuple[RowKey, int, bytes]]]:
    """Keyed line iterators over ``paths``, in order, whose files ``stack`` closes."""
    return [
        _keyed_lines(stack.enter_context(path.open("rb", buffering=_READ_BUFFER)), index, key_of)
        for index, path in enumerate(paths)
    ]


def _keyed_lines(
    handle: BinaryIO, index: int, key_of: _KeyOf
) -> Iterator[tuple[RowKey, int, bytes]]:
    """A run file's lines with their keys; the run index breaks ties so merges stay stable."""
    loads = orjson.loads
    for line in handle:
        yield key_of(loads(line)), index, line


def _line_of_entry(entry: _Entry) -> bytes:
    return entry[1]


def _line_of_merged(item: tuple[RowKey, int, bytes]) -> bytes:
    return item[2]


def _bad_line(path: Path, line_number: int, line: bytes, why: str) -> TableFormatError:
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return TableFormatError(
        f"{path}, line {line_number} is {why}: {text[:200]!r}",
        hint="every line of a dev table must be one JSON object; fix or remove that line",
    )


class _RunFiles:
    """The sorted run files of one sort, in input order; removes every file it created."""

    def __init__(self, temp_dir: Path) -> None:
        self.temp_dir = temp_dir
        self.paths: list[Path] = []
        self._created: list[Path] = []

    def write(self, entries: Iterable[_Entry]) -> None:
        """Append a run holding ``entries`` (already sorted)."""
        path = self._new()
        with path.open("wb", buffering=_WRITE_BUFFER) as handle:
            handle.writelines(map(_line_of_entry, entries))
        self.paths.append(path)

    def merge_pass(self, key_of: _KeyOf) -> None:
        """Merge consecutive groups of ``_FAN_IN`` runs; consecutive keeps the merge stable."""
        merged: list[Path] = []
        for start in range(0, len(self.paths), _FAN_IN):
            group = self.paths[start : start + _FAN_IN]
            if len(group) == 1:
                merged.append(group[0])
                continue
            target = self._new()
            with contextlib.ExitStack() as stack:
                iterators = _open_runs(group, stack, key_of)
                with target.open("wb", buffering=_WRITE_BUFFER) as handle:
                    handle.writelines(map(_line_of_merged, heapq.merge(*iterators)))
            for path in group:  # free the disk space as soon as a group is merged
                path.unlink(missing_ok=True)
            merged.append(target)
        self.paths = merged

    def remove_all(self) -> None:
        """Delete every run file this sort created, merged or not."""
        for path in self._created:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self._created.clear()
        self.paths.clear()

    def _new(self) -> Path:
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(
            prefix=".ytflow-sort-", suffix=".run", dir=self.temp_dir
        )
        os.close(descriptor)
        path = Path(name)
        self._created.append(path)
        return path
