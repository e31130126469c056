"""Turning dev tables into terminal output for ``ytflow tables`` and ``ytflow show``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from rich.table import Table
from rich.text import Text

from ytflow.dev import TableInfo


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def tables_table(tables: Iterable[TableInfo], root: Path) -> Table:
    """Logical path, file, rows and size, one line per dev table."""
    table = Table()
    table.add_column("path")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("size", justify="right")
    for info in tables:
        table.add_row(
            Text(info.path or "(unregistered)"),
            Text(str(info.file.relative_to(root) if info.file.is_relative_to(root) else info.file)),
            f"{info.rows:,}",
            human_size(info.size),
        )
    return table


def rows_caption(path: str, shown: int, total: int) -> Text:
    """``//tmp/p/data (20 of 1,000 rows)``, printed under the rows."""
    count = f"{shown:,} of {total:,} rows" if total > shown else f"{total:,} rows"
    return Text(f"{path} ({count})", style="dim")


def rows_table(rows: list[dict[str, Any]]) -> Table:
    """The rows as columns (the union of their keys, in first-seen order)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row, column) for column in columns))
    return table


def _cell(row: dict[str, Any], column: str) -> Text:
    """Plain text (never rich markup); a missing column is blank, null is shown as null."""
    if column not in row:
        return Text("")
    value = row[column]
    if isinstance(value, str):
        return Text(value)
    return Text(orjson.dumps(value).decode(), style="cyan")
