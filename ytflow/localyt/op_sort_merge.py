"""The sort, merge and erase operations: no user jobs, just rows moved between tables in YT's order.

Sort reads every input range, orders the rows stably by ``sort_by`` with YT's order across
types (``table_io.row_key``) and writes one sorted chunk. Merge concatenates its inputs
(``unordered``/``ordered``) or interleaves sorted inputs by ``merge_by`` (``sorted``),
streaming rows from input chunks to the output chunk. Both return ``OutputWrite``s that the
framework applies only when the operation completes.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import Chunk, Node
from ytflow.localyt.op_kinds import OperationContext, OutputWrite, operation_kind
from ytflow.localyt.rich_paths import RichPath, parse_rich
from ytflow.localyt.table_io import (
    chunk_rows,
    last_row,
    row_key,
    select_rows,
    table_rows,
    write_chunk,
)
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import SORT_ORDER_VIOLATION, YtLocalError, resolve_error, unsupported

CANCEL_CHECK_ROWS = 4096
MERGE_MODES = ("unordered", "ordered", "sorted", "auto")
# Spec options that tune how a cluster spreads the work (job sizes, I/O, scheduling) and
# change nothing in the result, so a one-node endpoint may pass over them.
_TUNING_OPTIONS = frozenset(
    {
        "started_by",
        "title",
        "annotations",
        "description",
        "pool",
        "pool_trees",
        "weight",
        "time_limit",
        "acl",
        "owners",
        "max_failed_job_count",
        "job_io",
        "table_writer",
        "partition_job_io",
        "sort_job_io",
        "merge_job_io",
        "job_count",
        "partition_count",
        "partition_job_count",
        "partition_data_size",
        "data_size_per_job",
        "data_weight_per_job",
        "data_size_per_sort_job",
        "max_data_weight_per_job",
        "combine_chunks",
        "force_transform",
        "intermediate_data_account",
        "intermediate_data_replication_factor",
        "intermediate_compression_codec",
        "use_columnar_statistics",
        "resource_limits",
        "scheduling_options_per_pool_tree",
        "unavailable_chunk_strategy",
        "unavailable_chunk_tactics",
        "schema_inference_mode",
        "enable_job_splitting",
        "secure_vault",
    }
)
_SORT_OPTIONS = frozenset({"input_table_paths", "output_table_path", "sort_by"})
_MERGE_OPTIONS = frozenset({"input_table_paths", "output_table_path", "mode", "merge_by"})
_ERASE_OPTIONS = frozenset({"table_path"})


@operation_kind("sort")
def run_sort(ctx: OperationContext) -> list[OutputWrite]:
    """Sort the inputs' rows (stable, YT's order) into the output table, marked sorted."""
    _check_options(ctx, _SORT_OPTIONS)
    sort_by = sort_columns(ctx.spec.get("sort_by"), "sort_by", ctx)
    if not sort_by:
        raise YtLocalError(
            f"Sort operation {ctx.operation_id}: 'sort_by' is empty; name the columns to sort by",
            attributes={"operation_id": ctx.operation_id},
        )
    tree = ctx.view()
    inputs = _inputs(ctx, tree)
    output = _output(ctx, tree)
    if output.attributes.get("append"):
        raise unsupported(
            f"appending to the output of sort operation {ctx.operation_id} ({output.path.text})",
            "sort into a new table, then merge it into the target with mode=sorted",
        )
    keys = [name.encode() for name in sort_by]
    rows = list(_cancellable(ctx, _concatenated(ctx, tree, inputs)))
    rows.sort(key=lambda row: row_key(row, keys))
    _count_job(ctx)
    chunk = write_chunk(ctx.endpoint.state.chunks, rows)
    return [OutputWrite(path=output, chunks=[chunk], sorted_by=sort_by)]


@operation_kind("merge")
def run_merge(ctx: OperationContext) -> list[OutputWrite]:
    """Combine the inputs into the output: concatenated, or a sorted merge by ``merge_by``."""
    _check_options(ctx, _MERGE_OPTIONS)
    mode = str(ctx.spec.get("mode") or "unordered")
    if mode not in MERGE_MODES:
        raise YtLocalError(
            f"Merge operation {ctx.operation_id}: unknown mode {mode!r}; expected one of "
            f"{', '.join(MERGE_MODES)}",
            attributes={"operation_id": ctx.operation_id, "mode": mode},
        )
    tree = ctx.view()
    inputs = _inputs(ctx, tree)
    output = _output(ctx, tree)
    merge_by = sort_columns(ctx.spec.get("merge_by"), "merge_by", ctx)
    if mode == "auto":
        mode = "sorted" if all(_sorted_by(tree, path) for path in inputs) else "unordered"
    if mode != "sorted":
        if merge_by:
            raise YtLocalError(
                f"Merge operation {ctx.operation_id}: 'merge_by' needs mode 'sorted', not {mode!r}",
                attributes={"operation_id": ctx.operation_id},
            )
        rows = _cancellable(ctx, _concatenated(ctx, tree, inputs))
        chunk = write_chunk(ctx.endpoint.state.chunks, rows)
        _count_job(ctx)
        return [_output_write(ctx, tree, output, chunk, None)]
    merge_by = merge_by or _common_sort_prefix(tree, inputs)
    if not merge_by:
        raise YtLocalError(
            f"Merge operation {ctx.operation_id}: mode 'sorted' needs sorted inputs or "
            "'merge_by'; the input tables have no common sort columns",
            attributes={"operation_id": ctx.operation_id},
        )
    keys = [name.encode() for name in merge_by]
    streams = [_sorted_input(ctx, tree, path, merge_by) for path in inputs]
    merged = heapq.merge(*streams, key=lambda row: row_key(row, keys))
    chunk = write_chunk(ctx.endpoint.state.chunks, _cancellable(ctx, merged))
    _count_job(ctx)
    return [_output_write(ctx, tree, output, chunk, merge_by)]


@operation_kind("erase")
def run_erase(ctx: OperationContext) -> list[OutputWrite]:
    """Remove the rows the path's ranges select (all rows without ranges); order is kept."""
    _check_options(ctx, _ERASE_OPTIONS)
    tree = ctx.view()
    rich = parse_rich(ctx.spec.get("table_path"), tree, name="table_path")
    node = _table(tree, rich)
    store = ctx.endpoint.state.chunks
    ranges: list[Any] = list(rich.attributes.get("ranges") or [])
    erased: set[int] = set()
    if ranges:
        index = 0
        marked = select_rows(store, node, {"ranges": ranges}, control={"enable_row_index": True})
        for item in _cancellable(ctx, marked):
            if isinstance(item, yson().YsonEntity):
                index = int(item.attributes["row_index"])
                continue
            erased.add(index)
            index += 1
        kept: Iterable[Any] = (
            row for number, row in enumerate(table_rows(store, node)) if number not in erased
        )
    else:
        kept = iter(())
    chunk = write_chunk(store, kept)
    _count_job(ctx)
    sorted_by = _sorted_by(tree, rich) or None
    return [OutputWrite(path=RichPath(rich.path, {}), chunks=[chunk], sorted_by=sorted_by)]


def sort_columns(value: Any, name: str, ctx: OperationContext) -> list[str]:
    """Column names from ``sort_by``/``merge_by``: names or ``{name, sort_order}`` maps."""
    if value is None:
        return []
    items: list[Any] = [value] if isinstance(value, str | bytes) else list(value)
    columns: list[str] = []
    for item in items:
        if isinstance(item, dict):
            column: dict[str, Any] = dict(item)  # type: ignore[arg-type]
            order = str(column.get("sort_order", "ascending"))
            if order != "ascending":
                raise unsupported(
                    f"sort_order {order!r} of column {column.get('name')!r} in {name!r} of "
                    f"operation {ctx.operation_id}",
                    "local-yt sorts ascending only",
                )
            columns.append(_text(column.get("name")))
        else:
            columns.append(_text(item))
    return columns


# -- inputs and outputs ---------------------------------------------------------------------


def _check_options(ctx: OperationContext, own: frozenset[str]) -> None:
    unknown = sorted(set(ctx.spec) - own - _TUNING_OPTIONS)
    if unknown:
        raise unsupported(
            f"the {ctx.operation_type} spec option(s) {', '.join(map(repr, unknown))} "
            f"(operation {ctx.operation_id})",
            f"a {ctx.operation_type} takes {', '.join(sorted(own))}",
        )


def _inputs(ctx: OperationContext, tree: Tree) -> list[RichPath]:
    value: Any = ctx.spec.get("input_table_paths")
    if not value:
        raise YtLocalError(
            f"{ctx.operation_type.capitalize()} operation {ctx.operation_id} has no "
            "'input_table_paths'",
            attributes={"operation_id": ctx.operation_id},
        )
    paths: list[Any] = [value] if isinstance(value, str | bytes) else list(value)
    inputs = [parse_rich(path, tree, name="input_table_paths") for path in paths]
    for rich in inputs:
        _table(tree, rich)
    return inputs


def _output(ctx: OperationContext, tree: Tree) -> RichPath:
    rich = parse_rich(ctx.spec.get("output_table_path"), tree, name="output_table_path")
    _table(tree, rich)
    return rich


def _table(tree: Tree, rich: RichPath) -> Node:
    node = tree.find(rich.path)
    if node is None:
        raise resolve_error(rich.path.text, f"Table {rich.path.text} does not exist")
    if node.type != "table":
        raise YtLocalError(
            f"{rich.path.text} is a {node.type}, not a table", attributes={"path": rich.key}
        )
    return node


def _concatenated(ctx: OperationContext, tree: Tree, inputs: list[RichPath]) -> Iterator[Any]:
    for rich in inputs:
        yield from _plain_rows(ctx, tree, rich)


def _plain_rows(ctx: OperationContext, tree: Tree, rich: RichPath) -> Iterator[Any]:
    node = _table(tree, rich)
    return select_rows(ctx.endpoint.state.chunks, node, rich.attributes)


def _sorted_by(tree: Tree, rich: RichPath) -> list[str]:
    names: list[Any] = list(_table(tree, rich).attributes.get("sorted_by") or [])
    return [str(name) for name in names]


def _common_sort_prefix(tree: Tree, inputs: list[RichPath]) -> list[str]:
    common = _sorted_by(tree, inputs[0])
    for rich in inputs[1:]:
        other = _sorted_by(tree, rich)
        length = 0
        while length < min(len(common), len(other)) and common[length] == other[length]:
            length += 1
        common = common[:length]
    return common


def _sorted_input(
    ctx: OperationContext, tree: Tree, rich: RichPath, merge_by: list[str]
) -> Iterator[Any]:
    """An input's rows, refused (as YT does) unless the table is sorted by ``merge_by``."""
    sorted_by = _sorted_by(tree, rich)
    if sorted_by[: len(merge_by)] != merge_by:
        have = f"sorted by ({', '.join(sorted_by)})" if sorted_by else "not sorted"
        raise YtLocalError(
            f"Input table {rich.path.text} is {have}; a sorted merge by "
            f"({', '.join(merge_by)}) needs every input sorted by those columns",
            code=SORT_ORDER_VIOLATION,
            attributes={"table": rich.key, "merge_by": merge_by, "sorted_by": sorted_by},
        )
    return _plain_rows(ctx, tree, rich)


def _output_write(
    ctx: OperationContext, tree: Tree, output: RichPath, chunk: Chunk, sorted_by: list[str] | None
) -> OutputWrite:
    """The write for ``output``; an append keeps the table sorted only if the order holds."""
    append = bool(output.attributes.get("append"))
    node = _table(tree, output)
    if not (append and node.chunks):
        return OutputWrite(path=output, chunks=[chunk], sorted_by=sorted_by, append=append)
    existing = _sorted_by(tree, output)
    if sorted_by is None or existing != sorted_by:
        return OutputWrite(path=output, chunks=[chunk], sorted_by=None, append=True)
    keys = [name.encode() for name in sorted_by]
    last = last_row(ctx.endpoint.state.chunks, node)
    first = _first(chunk_rows(ctx.endpoint.state.chunks, chunk))
    if last is not None and first is not None and row_key(first, keys) < row_key(last, keys):
        raise YtLocalError(
            f"Sort order violation: the first merged row sorts before the last row of "
            f"{output.path.text} by ({', '.join(sorted_by)})",
            code=SORT_ORDER_VIOLATION,
            attributes={"table": output.key, "operation_id": ctx.operation_id},
        )
    return OutputWrite(path=output, chunks=[chunk], sorted_by=sorted_by, append=True)


def _first(rows: Iterable[Any]) -> Any:
    return next(iter(rows), None)


def _cancellable(ctx: OperationContext, rows: Iterable[Any]) -> Iterator[Any]:
    """Pass rows through, stopping with an error once the operation is aborted."""
    for index, row in enumerate(rows):
        if index % CANCEL_CHECK_ROWS == 0 and ctx.cancelled():
            raise YtLocalError(
                f"Operation {ctx.operation_id} was aborted",
                attributes={"operation_id": ctx.operation_id},
            )
        yield row


def _count_job(ctx: OperationContext) -> None:
    """Sort and merge run no user code, but report one finished job as the cluster would."""
    ctx.jobs.total += 1
    ctx.jobs.completed += 1


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
