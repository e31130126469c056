"""Cypress's plain data: node ids and timestamps, chunks, nodes, and parsed paths.

Kept apart from the tree and its mutations (``cypress.py``) because every layer of the
endpoint (state, commands, operations, queries) builds or reads these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ytflow.localyt.yt_errors import RESOLVE_ERROR, YtLocalError


def new_id() -> str:
    """A YT-looking object id: four hex parts."""
    raw = uuid.uuid4().hex
    return "-".join(raw[i : i + 8].lstrip("0") or "0" for i in (0, 8, 16, 24))


def now_iso() -> str:
    """YT's timestamp format for creation_time and modification_time."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Chunk:
    """One immutable data blob on disk: a table's rows or a file's bytes."""

    id: str
    rows: int
    size: int


@dataclass
class Node:
    """A Cypress node; ``children`` for map nodes, ``value`` for documents and scalars."""

    id: str
    type: str
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    children: dict[str, Node] = field(default_factory=dict[str, "Node"])
    value: Any = None
    chunks: list[Chunk] = field(default_factory=list[Chunk])
    creation_time: str = field(default_factory=now_iso)
    modification_time: str = field(default_factory=now_iso)

    def touch(self) -> None:
        self.modification_time = now_iso()


@dataclass(frozen=True)
class CypressPath:
    """A parsed Cypress path: the node tokens and, after ``/@``, the attribute tokens."""

    text: str
    tokens: tuple[str, ...]
    attribute: tuple[str, ...] | None  # None: the node itself; (): all attributes

    @property
    def parent_text(self) -> str:
        return "//" + "/".join(self.tokens[:-1]) if len(self.tokens) > 1 else "/"


def parse_path(text: str) -> CypressPath:
    """Split ``//a/b/@attr/key`` into tokens; refuse what is not a Cypress path (code 500)."""
    raw = text.rstrip("&")
    if raw == "/":
        return CypressPath(text, (), None)
    if not raw.startswith("/"):
        raise YtLocalError(
            f"Path {text!r} does not start with a valid root-designator",
            code=RESOLVE_ERROR,
            attributes={"path": text},
        )
    if raw.startswith("//"):
        body = raw[2:]
    elif raw.startswith("/@"):
        body = raw[1:]
    else:
        raise YtLocalError(f"Unexpected path {text!r}: expected //", code=RESOLVE_ERROR)
    parts = [part.rstrip("&") for part in body.split("/")] if body else []
    tokens: list[str] = []
    attribute: list[str] | None = None
    for part in parts:
        if attribute is None and part.startswith("@"):
            attribute = [part[1:]] if part[1:] else []
            continue
        if part == "" and attribute is None:
            raise YtLocalError(f"Path {text!r} has an empty token", code=RESOLVE_ERROR)
        (attribute if attribute is not None else tokens).append(part)
    return CypressPath(text, tuple(tokens), tuple(attribute) if attribute is not None else None)
