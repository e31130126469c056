"""Cutting input tables into contiguous job ranges, and streaming a range into a job's stdin.

Ranges are byte ranges that start and end on line boundaries, so each job sees whole rows
and the jobs' outputs, concatenated in job order, keep the input order. A job's stdin is a
regular file holding its range (see ``open_input``): the driver never parses or copies input
rows through Python, so its memory stays flat whatever the table size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class Segment:
    """Bytes ``[start, end)`` of one input file."""

    file: Path
    start: int
    end: int

    @property
    def size(self) -> int:
        """Bytes in the segment."""
        return self.end - self.start


def split_lines(files: Sequence[Path], job_count: int) -> list[list[Segment]]:
    """Split the concatenated files into at most ``job_count`` contiguous, line-aligned ranges."""
    return _split(files, job_count, _next_line_start)


def split_keys(file: Path, job_count: int, key: Callable[[bytes], Any]) -> list[list[Segment]]:
    """Like ``split_lines`` for one sorted file, but never splitting rows with equal keys."""

    def boundary(handle: Any, offset: int, size: int) -> int:
        start = _next_line_start(handle, offset, size)
        if start >= size:
            return size
        handle.seek(start)
        first = handle.readline()
        wanted = key(first)
        position = start + len(first)
        while position < size:
            line = handle.readline()
            if key(line) != wanted:
                return position
            position += len(line)
        return size

    return _split([file], job_count, boundary)


def json_key(order: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], Any]:
    """A key function over raw JSONL lines (for ``split_keys``)."""

    def key(line: bytes) -> Any:
        return order(orjson.loads(line))

    return key


def _split(
    files: Sequence[Path], job_count: int, boundary: Callable[[Any, int, int], int]
) -> list[list[Segment]]:
    sizes = [file.stat().st_size for file in files]
    total = sum(sizes)
    jobs = max(1, min(job_count, total))
    targets = [total * index // jobs for index in range(1, jobs)]
    # Global cut points, each moved to a boundary inside its file.
    cuts: list[tuple[int, int]] = []  # (file index, offset)
    file_base = 0
    for index, (file, size) in enumerate(zip(files, sizes, strict=True)):
        inside = [target - file_base for target in targets if file_base < target < file_base + size]
        if inside:
            with file.open("rb") as handle:
                for offset in inside:
                    cuts.append((index, boundary(handle, offset, size)))
        file_base += size
    ranges: list[list[Segment]] = []
    position = (0, 0)
    for cut in [*cuts, (len(files) - 1, sizes[-1] if sizes else 0)]:
        segments = _segments_between(files, sizes, position, cut)
        if segments:
            ranges.append(segments)
        position = cut
    return ranges or [[]]


def _segments_between(
    files: Sequence[Path], sizes: Sequence[int], start: tuple[int, int], end: tuple[int, int]
) -> list[Segment]:
    segments: list[Segment] = []
    for index in range(start[0], end[0] + 1):
        begin = start[1] if index == start[0] else 0
        finish = end[1] if index == end[0] else sizes[index]
        if finish > begin:
            segments.append(Segment(files[index], begin, finish))
    return segments


def _next_line_start(handle: Any, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` (``offset`` itself if a line starts there)."""
    if offset <= 0:
        return 0
    handle.seek(offset - 1)
    if handle.read(1) == b"\n":
        return offset
    handle.readline()
    return min(handle.tell(), size)


def open_input(segments: Sequence[Segment], scratch: Path) -> tuple[int, Path | None]:
    """A readable file descriptor holding exactly ``segments``, to become a job's stdin.

    A job reads a regular file noticeably faster than a pipe, so a range that runs to the end
    of its table file is that file itself, positioned at the range's start (no copy at all);
    any other range is copied into ``scratch`` with ``copy_file_range``, which stays in the
    kernel. Returns the descriptor and the scratch file to delete afterwards, if one was made.
    """
    if len(segments) == 1 and segments[0].end == segments[0].file.stat().st_size:
        descriptor = os.open(segments[0].file, os.O_RDONLY)
        os.lseek(descriptor, segments[0].start, os.SEEK_SET)
        return descriptor, None
    with scratch.open("wb") as target:
        for segment in segments:
            with segment.file.open("rb") as source:
                _copy_range(source.fileno(), target.fileno(), segment.start, segment.size)
    return os.open(scratch, os.O_RDONLY), scratch


def _copy_range(source: int, target: int, offset: int, count: int) -> None:
    kernel_copy = getattr(os, "copy_file_range", None)  # missing on macOS
    while count > 0:
        copied = 0
        if kernel_copy is not None:
            try:
                copied = kernel_copy(source, target, count, offset)
            except OSError:  # a filesystem that refuses it: copy through user space
                kernel_copy = None
        if kernel_copy is None:
            os.lseek(source, offset, os.SEEK_SET)
            copied = os.write(target, os.read(source, min(count, 1 << 22)))
        if copied == 0:
            return
        offset += copied
        count -= copied


def read_position(pid: int) -> int | None:
    """How far the process has read its stdin (the file position of its fd 0), if known."""
    try:
        info = Path(f"/proc/{pid}/fdinfo/0").read_text()
    except OSError:
        return None
    for line in info.splitlines():
        if line.startswith("pos:"):
            return int(line.split()[1])
    return None
