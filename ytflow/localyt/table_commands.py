"""Table commands: write_table (replace, append, sorted) and read_table (ranges, columns)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import Chunk, Node
from ytflow.localyt.formats import encode_rows, iter_rows, parse_format
from ytflow.localyt.registry import Request, Streamed, command
from ytflow.localyt.rich_paths import parse_rich
from ytflow.localyt.table_io import (
    check_sorted,
    last_row,
    row_key,
    select_rows,
    write_chunk,
)
from ytflow.localyt.yt_errors import SORT_ORDER_VIOLATION, YtLocalError, resolve_error

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


@command("write_table", input_type="tabular", heavy=True)
def write_table(endpoint: Endpoint, request: Request) -> Any:
    state = endpoint.state
    tree = state.view(request.transaction_id)
    rich = parse_rich(request.get("path"), tree)
    node = tree.find(rich.path)
    if node is None:
        raise resolve_error(rich.path.text, f"Table {rich.path.text} does not exist")
    if node.type != "table":
        raise YtLocalError(f"{rich.path.text} is a {node.type}, not a table")
    append = bool(rich.attributes.get("append", False))
    row_format = parse_format(request.get("input_format"), what="input_format")
    rows: Iterable[Any] = iter_rows(request.body, row_format)  # streamed into the chunk
    sorted_by = _names(rich.attributes.get("sorted_by"))
    keys = [name.encode() for name in sorted_by]
    if sorted_by:
        checked = list(check_sorted(rows, keys, f"the rows written to {rich.path.text}"))
        rows = checked
        existing = _names(node.attributes.get("sorted_by"))
        if append and node.chunks and existing == sorted_by:
            last = last_row(state.chunks, node)
            if last is not None and checked and row_key(checked[0], keys) < row_key(last, keys):
                raise YtLocalError(
                    f"Sort order violation: the first appended row sorts before the last row of "
                    f"{rich.path.text} by ({', '.join(sorted_by)})",
                    code=SORT_ORDER_VIOLATION,
                )
    chunk = write_chunk(state.chunks, rows)
    keep_sorted = bool(sorted_by) and (
        not append or not node.chunks or node.attributes.get("sorted_by") == sorted_by
    )

    def mutation(tree: Tree) -> None:
        tree.replace_data(rich.path, [chunk], append=append)
        target = tree.resolve(rich.path)
        if keep_sorted:
            target.attributes["sorted_by"] = sorted_by
        elif not (append and not chunk.rows):
            target.attributes.pop("sorted_by", None)

    state.mutate(
        request.transaction_id, mutation, locks=((rich.key, "shared" if append else "exclusive"),)
    )
    return {}


@command("read_table", output_type="tabular", volatile=False, heavy=True)
def read_table(endpoint: Endpoint, request: Request) -> Any:
    tree = endpoint.state.view(request.transaction_id)
    rich = parse_rich(request.get("path"), tree)
    node = tree.resolve(rich.path)
    if node.type != "table":
        raise YtLocalError(
            f"{rich.path.text} is a {node.type}, not a table", attributes={"path": rich.key}
        )
    row_format = parse_format(request.get("output_format"), what="output_format")
    control = dict(request.get("control_attributes") or {})
    rows = select_rows(endpoint.state.chunks, node, rich.attributes, control=control)
    total = sum(chunk.rows for chunk in node.chunks)
    start = _start_row_index(rich.attributes, total)
    if start is None:  # a key limit: the first selected row's index needs a look at the rows
        start = _first_selected_row(endpoint, node, rich.attributes, total)
    return Streamed(
        encode_rows(rows, row_format),
        response_parameters={
            "start_row_index": start,
            "approximate_row_count": max(total - start, 0),
        },
    )


@command("concatenate")
def concatenate(endpoint: Endpoint, request: Request) -> Any:
    """Join the chunks of tables (or files) into the destination, as YT's concatenate does."""
    tree = endpoint.state.view(request.transaction_id)
    sources = [
        parse_rich(each, tree, name="source_paths") for each in request.get_list("source_paths")
    ]
    destination = parse_rich(request.get("destination_path"), tree, name="destination_path")
    target = tree.resolve(destination.path)
    chunks: list[Chunk] = []
    for source in sources:
        node = tree.resolve(source.path)
        if node.type != target.type or node.type not in ("table", "file"):
            raise YtLocalError(
                f"Cannot concatenate {node.type} {source.key} into {target.type} "
                f"{destination.key}: sources and destination must all be tables or all files",
                attributes={"source_path": source.key, "destination_path": destination.key},
            )
        chunks.extend(node.chunks)
    append = bool(destination.attributes.get("append", False))

    def mutation(tree: Tree) -> None:
        tree.replace_data(destination.path, chunks, append=append)
        node = tree.resolve(destination.path)
        node.attributes.pop("sorted_by", None)
        node.attributes.pop("md5", None)

    mode = "shared" if append else "exclusive"
    locks = ((destination.key, mode), *((source.key, "snapshot") for source in sources))
    endpoint.state.mutate(request.transaction_id, mutation, locks=locks)
    return {}


def _names(value: Any) -> list[str]:
    items: list[Any] = list(value) if value else []
    return [str(name) for name in items]


def _start_row_index(attributes: dict[str, Any], total: int) -> int | None:
    """Where the read starts, from the first range's row-index limit (None: a key limit)."""
    ranges: list[Any] = list(attributes.get("ranges") or [])
    if not ranges:
        return 0
    first: dict[str, Any] = dict(ranges[0])
    limit: dict[str, Any] = dict(first.get("exact") or first.get("lower_limit") or {})
    if "key" in limit and "row_index" not in limit:
        return None
    return min(int(limit.get("row_index", 0)), total)


def _first_selected_row(
    endpoint: Endpoint, node: Node, attributes: dict[str, Any], total: int
) -> int:
    """The row index of the first row the ranges select (the table's end if none)."""
    first_range = {"ranges": list(attributes.get("ranges") or [])[:1]}
    control = {"enable_row_index": True}
    for item in select_rows(endpoint.state.chunks, node, first_range, control=control):
        marker: Any = getattr(item, "attributes", None)
        if marker and "row_index" in marker:
            return int(marker["row_index"])
    return total
