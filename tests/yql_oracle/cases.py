"""Reads YDB's sqllogictest files the way YDB's runner does (``test_base.py``).

The format (YDB's variant of sqllogictest): blocks separated by blank lines, each opened by a
``statement <kind>`` line: ``statement ok`` runs a statement, ``statement query`` runs a query
whose rows YDB records, ``statement error`` expects an error, and ``statement skipped ...``
is not run at all (YDB cannot run it). ``statement skipped_cs`` is skipped only on column
tables, so it runs here. No expected rows live in the files: YDB's answers are checked
against SQLite's, which is why Python's ``sqlite3`` is the oracle for every query not skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Block:
    """One ``statement`` block: its kind, whether YDB skips it, its SQL and 1-based line."""

    kind: str
    skipped: bool
    sql: str
    line: int


@dataclass(frozen=True)
class Case:
    """One query YDB runs (not skipped), with where it came from."""

    id: str
    file: str
    line: int
    commit: str
    sql: str


@dataclass(frozen=True)
class Suite:
    """One vendored file: the statements that build its tables, and its query cases."""

    name: str
    setup: tuple[str, ...]
    cases: tuple[Case, ...]
    skipped: int


def blocks(text: str) -> list[Block]:
    """Splits a file into blocks as YDB's ``split_by_statement`` does."""
    found: list[Block] = []
    lines: list[str] = []
    start = 0
    for index, raw in enumerate([*text.splitlines(), ""]):
        line = raw.rstrip()
        if line.startswith("statement "):
            start, lines = index, [line]
        elif line and lines:
            lines.append(line)
        elif not line and lines:
            found.append(_block(lines, start + 1))
            lines = []
    return found


def _block(lines: list[str], line: int) -> Block:
    words = lines[0].split(" ")[1:]
    skipped = words[0] == "skipped"
    kind = " ".join(words[1:] if words[0] in ("skipped", "skipped_cs") else words)
    return Block(kind=kind, skipped=skipped, sql="\n".join(lines[1:]), line=line)


def sources() -> dict[str, dict[str, str]]:
    """``data/sources.json``: for each vendored file, its repository path and commit."""
    loaded: dict[str, dict[str, str]] = json.loads((DATA / "sources.json").read_text())
    return loaded


def load_suites() -> list[Suite]:
    """Every vendored file, parsed; skipped queries are counted, not run."""
    suites: list[Suite] = []
    for name, source in sorted(sources().items()):
        found = blocks((DATA / name).read_text())
        setup = tuple(b.sql for b in found if b.kind == "ok" and not b.skipped)
        queries = [b for b in found if b.kind == "query"]
        cases = tuple(
            Case(
                id=f"{name}:{b.line}",
                file=source["path"],
                line=b.line,
                commit=source["commit"],
                sql=b.sql,
            )
            for b in queries
            if not b.skipped
        )
        suites.append(Suite(name, setup, cases, sum(b.skipped for b in queries)))
    return suites
