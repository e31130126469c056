"""What ``get`` shows of a node: its system attributes beside the user's, and its value.

Kept apart from the tree's mutations (``cypress.py``): this is the read-side view clients
see (``@row_count``, ``@sorted_by``, ``@schema``, ...), computed from a node on each read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ytflow.localyt.yson_lib import yson

if TYPE_CHECKING:
    from ytflow.localyt.cypress_nodes import Node

NODE_TYPES = ("map_node", "table", "file", "document", "list_node")
SCALAR_TYPES = ("string_node", "int64_node", "uint64_node", "double_node", "boolean_node")
# System attributes a user may set (the rest are computed and read-only).
SETTABLE_SYSTEM = frozenset(
    {
        "schema",
        "compression_codec",
        "erasure_codec",
        "optimize_for",
        "replication_factor",
        "expiration_time",
        "expiration_timeout",
        "executable",
        "file_name",
        "account",
        "primary_medium",
        "vital",
        "acl",
        "inherit_acl",
        "value",
    }
)

COMPUTED_ATTRIBUTES = frozenset(
    {
        "id",
        "type",
        "row_count",
        "chunk_row_count",
        "sorted",
        "sorted_by",
        "key_columns",
        "creation_time",
        "modification_time",
        "uncompressed_data_size",
        "compressed_data_size",
        "data_weight",
        "chunk_count",
        "dynamic",
        "resource_usage",
        "count",
        "path",
        "ref_counter",
        "locks",
        "lock_count",
        "revision",
        "content_revision",
        "attribute_revision",
        "user_attribute_keys",
        "chunk_ids",
    }
)
# Attributes local-yt keeps on a node for itself: not listed among the user's.
INTERNAL_ATTRIBUTES = frozenset({"sorted_by", "md5"})


def node_attributes(node: Node) -> dict[str, Any]:
    """User attributes plus the system ones clients read."""
    size = sum(chunk.size for chunk in node.chunks)
    revision = revision_of(node)
    attributes: dict[str, Any] = {
        "id": node.id,
        "type": node.type,
        "creation_time": node.creation_time,
        "modification_time": node.modification_time,
        "revision": revision,
        "content_revision": revision,
        "attribute_revision": revision,
        "user_attribute_keys": [
            name
            for name in node.attributes
            if name not in SETTABLE_SYSTEM and name not in INTERNAL_ATTRIBUTES
        ],
        "ref_counter": 1,
        "account": "tmp",
        "owner": "root",
        "locks": [],
        "lock_count": 0,
    }
    if node.type in ("table", "file"):
        attributes["replication_factor"] = 1
    if node.type == "table":
        sorted_by: list[str] = list(node.attributes.get("sorted_by") or [])
        rows = sum(chunk.rows for chunk in node.chunks)
        attributes.update(
            row_count=rows,
            chunk_row_count=rows,
            chunk_count=len(node.chunks),
            chunk_ids=[chunk.id for chunk in node.chunks],
            uncompressed_data_size=size,
            compressed_data_size=size,
            data_weight=size,
            sorted=bool(sorted_by),
            dynamic=False,
            schema=node.attributes.get("schema", default_schema()),
            compression_codec="none",
            erasure_codec="none",
            optimize_for="lookup",
            resource_usage={"disk_space": size, "node_count": 1, "chunk_count": len(node.chunks)},
        )
        if sorted_by:
            attributes["sorted_by"] = sorted_by
            attributes["key_columns"] = sorted_by
    elif node.type == "file":
        attributes.update(
            uncompressed_data_size=size,
            compressed_data_size=size,
            chunk_count=len(node.chunks),
            compression_codec="none",
        )
    elif node.type == "map_node":
        attributes["count"] = len(node.children)
    attributes.update({k: v for k, v in node.attributes.items() if k != "sorted_by"})
    return attributes


def revision_of(node: Node) -> int:
    """A revision that changes whenever the node does: its modification time in microseconds
    (YT's revisions are opaque increasing numbers; clients only compare them)."""
    stamp = datetime.strptime(node.modification_time, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(stamp.replace(tzinfo=UTC).timestamp() * 1_000_000)


def default_schema() -> Any:
    """The schema of a table created without one: weak, no columns."""
    return yson().to_yson_type([], attributes={"strict": False, "unique_keys": False})


def render(node: Node, attributes: list[str] | None) -> Any:
    """A node's value as ``get`` returns it, with the requested attributes attached."""
    if node.type == "map_node":
        value: Any = {name: render(child, attributes) for name, child in node.children.items()}
    elif node.type in ("document", "list_node", *SCALAR_TYPES):
        value = node.value
    else:
        value = yson().YsonEntity()
    if attributes:
        everything = node_attributes(node)
        picked = {name: everything[name] for name in attributes if name in everything}
        return yson().to_yson_type(value, attributes=picked)
    return value
