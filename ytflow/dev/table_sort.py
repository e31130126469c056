"""The one sort every dev operation uses: DuckDB's where it orders exactly as YT, else Python's.

``run_sort``, the sort between map-reduce's phases and reduce's merge of several sorted
inputs all call ``sort_files``. It returns which engine sorted, so a test can check that the
fast path was taken.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ytflow.dev.external_sort import sort_jsonl

_logger = logging.getLogger("ytflow.sort")


@dataclass(frozen=True)
class SortOutcome:
    """How many rows were sorted, and by which engine."""

    rows: int
    engine: Literal["duckdb", "python"]


def sort_files(
    inputs: Sequence[Path], output: Path, columns: Sequence[str], *, temp_dir: Path
) -> SortOutcome:
    """Sort the rows of ``inputs`` (concatenated, in order) by ``columns`` into ``output``.

    Stable, in YT's order, larger than memory, ``output`` replaced atomically (left as it was
    on any failure); a line that is not a JSON object raises ``TableFormatError`` naming its
    file and line. DuckDB sorts unless a key column holds lists or dicts, or a line needs the
    Python reader's judgement; then the Python external merge sort does.
    """
    from ytflow.dev.duckdb_sort import duckdb_sort  # noqa: PLC0415 - DuckDB imports in 0.1 s

    rows = duckdb_sort(inputs, output, columns, temp_dir=temp_dir)
    if rows is not None:
        return SortOutcome(rows, "duckdb")
    _logger.debug("sorting %s by %s with the Python merge sort", list(map(str, inputs)), columns)
    return SortOutcome(sort_jsonl(inputs, output, columns, temp_dir=temp_dir), "python")
