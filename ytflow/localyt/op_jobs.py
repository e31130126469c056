"""Operations that run user jobs: map, reduce, map_reduce and vanilla.

Each kind plans its jobs (rows split into ``job_count`` contiguous parts; reduce keeps a key's
rows in one job), writes each job's stdin ahead, runs the jobs through ``job_pool`` and returns
the output writes: table k of the operation is the concatenation, in job order, of what the
jobs wrote to file descriptor 3k+1.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from ytflow.localyt.cypress_nodes import Chunk
from ytflow.localyt.job_pool import JobPlan, run_jobs, sandbox_root
from ytflow.localyt.op_io import (
    control_row,
    job_formats,
    names,
    output_writes,
    paths_in,
    read_table,
    sorted_by,
    table_paths,
    write_input,
)
from ytflow.localyt.op_kinds import OperationContext, OutputWrite, operation_kind
from ytflow.localyt.rich_paths import RichPath
from ytflow.localyt.table_io import chunk_rows, row_key
from ytflow.localyt.yt_errors import YtLocalError, unsupported

# Spec keys that change what an operation computes; local-yt refuses them by name.
_REFUSED_SPEC_KEYS = (
    "input_query",
    "join_by",
    "reduce_combiner",
    "pivot_keys",
    "stderr_table_path",
    "core_table_path",
    "mapper_output_table_count",
)
# ``docker_image`` is accepted: jobs run on this machine's interpreter, as dev runs them (the
# image is what a cluster would run them in; ytflow's prod specs name one when configured).
_REFUSED_JOB_KEYS = ("layer_paths", "output_streams", "use_yamr_descriptors")

DATA_PER_JOB = 256 << 20
Tagged = tuple[int, int, Any]  # (input table index, row index in that table, row)
Assigned = tuple[int, Tagged]  # (job index, row), job indexes in order


@operation_kind("map")
def run_map(ctx: OperationContext) -> list[OutputWrite]:
    _refuse(ctx)
    inputs = table_paths(ctx, "input_table_paths")
    outputs = table_paths(ctx, "output_table_paths", required=False)
    mapper = _user_job(ctx, "mapper")
    total = _row_total(ctx, inputs)
    parts = _spread(_tagged(ctx, inputs), total, _bounded(_requested(ctx, inputs), total))
    chunks = _run_phase(
        ctx, "map", mapper, parts, output_count=len(outputs), io="job_io", tables=len(inputs)
    )
    return output_writes(ctx, outputs, _by_table(chunks, len(outputs)))


@operation_kind("reduce")
def run_reduce(ctx: OperationContext) -> list[OutputWrite]:
    _refuse(ctx)
    inputs = table_paths(ctx, "input_table_paths")
    outputs = table_paths(ctx, "output_table_paths", required=False)
    reducer = _user_job(ctx, "reducer")
    reduce_by, sort_by = _keys(ctx)
    for rich in inputs:
        actual = sorted_by(ctx, rich)
        if actual[: len(sort_by)] != sort_by:
            raise YtLocalError(
                f"Input table {rich.key} is not sorted by ({', '.join(sort_by)})"
                + (f": it is sorted by ({', '.join(actual)})" if actual else ""),
                attributes={"table": rich.key, "sort_by": sort_by, "sorted_by": actual},
            )
    columns = [name.encode() for name in sort_by]
    streams = [
        ((row_key(row, columns), index, position, row) for position, row in enumerate(rows))
        for index, rows in enumerate(read_table(ctx, rich) for rich in inputs)
    ]
    merged: Iterator[Tagged] = (item[1:] for item in heapq.merge(*streams))
    total = _row_total(ctx, inputs)
    count = _bounded(_requested(ctx, inputs), total)
    parts = _spread_groups(merged, reduce_by, total, count)
    chunks = _run_phase(
        ctx,
        "reduce",
        reducer,
        parts,
        output_count=len(outputs),
        io="job_io",
        tables=len(inputs),
        key=reduce_by,
    )
    return output_writes(ctx, outputs, _by_table(chunks, len(outputs)))


@operation_kind("map_reduce")
def run_map_reduce(ctx: OperationContext) -> list[OutputWrite]:
    _refuse(ctx)
    inputs = table_paths(ctx, "input_table_paths")
    outputs = table_paths(ctx, "output_table_paths", required=False)
    reducer = _user_job(ctx, "reducer")
    reduce_by, sort_by = _keys(ctx)
    rows: list[Tagged] = []
    total = _row_total(ctx, inputs)
    if ctx.spec.get("mapper") is None:
        rows = list(_tagged(ctx, inputs))
    else:
        mapper = _user_job(ctx, "mapper")
        count = _bounded(_requested(ctx, inputs, "map_job_count"), total)
        parts = _spread(_tagged(ctx, inputs), total, count)
        mapped = _run_phase(
            ctx, "partition_map", mapper, parts, output_count=1, io="map_job_io", tables=len(inputs)
        )
        store = ctx.endpoint.state.chunks
        rows = [
            (0, index, row)
            for index, row in enumerate(row for job in mapped for row in chunk_rows(store, job[0]))
        ]
        for job in mapped:
            store.path(job[0]).unlink(missing_ok=True)  # intermediate data: not a table
    columns = [name.encode() for name in sort_by]
    rows.sort(key=lambda item: row_key(item[2], columns))
    count = ctx.spec.get("partition_count") or ctx.spec.get("reduce_job_count")
    parts = _spread_groups(rows, reduce_by, len(rows), _bounded(count, len(rows)))
    chunks = _run_phase(
        ctx,
        "partition_reduce",
        reducer,
        parts,
        output_count=len(outputs),
        io="reduce_job_io",
        tables=1,
        key=reduce_by,
    )
    return output_writes(ctx, outputs, _by_table(chunks, len(outputs)))


@operation_kind("vanilla")
def run_vanilla(ctx: OperationContext) -> list[OutputWrite]:
    _refuse(ctx)
    tasks: dict[str, Any] = dict(ctx.spec.get("tasks") or {})
    if not tasks:
        raise YtLocalError("Vanilla operation spec has no 'tasks'")
    writes: list[OutputWrite] = []
    plans: list[tuple[str, dict[str, Any], int, list[RichPath]]] = []
    for name, raw in tasks.items():
        task = _user_job(ctx, f"tasks/{name}", dict(raw))
        outputs = paths_in(
            ctx, task.get("output_table_paths"), f"tasks/{name}/output_table_paths", required=False
        )
        plans.append((str(name), task, int(task.get("job_count") or 1), outputs))
    for name, task, count, outputs in plans:
        _, output_format = job_formats(task, f"tasks/{name}")
        jobs = [
            JobPlan(index, "vanilla", name, task, None, len(outputs), output_format)
            for index in range(count)
        ]
        chunks = run_jobs(ctx, jobs)
        writes.extend(output_writes(ctx, outputs, _by_table(chunks, len(outputs))))
    return writes


# -- planning ---------------------------------------------------------------------------------


def _refuse(ctx: OperationContext) -> None:
    for key in _REFUSED_SPEC_KEYS:
        if ctx.spec.get(key):  # absent, empty or zero: the default, which local-yt runs
            raise _unsupported_key(key)


def _unsupported_key(key: str) -> YtLocalError:
    return unsupported(f"the operation spec key {key!r}", "see docs/local-yt.md for the spec")


def _user_job(ctx: OperationContext, key: str, spec: dict[str, Any] | None = None) -> Any:
    user_spec: dict[str, Any] = dict(spec if spec is not None else ctx.spec.get(key) or {})
    if not user_spec.get("command"):
        raise YtLocalError(f"Operation spec has no '{key}/command'", attributes={"key": key})
    for name in _REFUSED_JOB_KEYS:
        if user_spec.get(name):
            raise _unsupported_key(f"{key}/{name}")
    gpus = user_spec.get("gpu_limit")
    if gpus:
        raise _unsupported_key(f"{key}/gpu_limit")
    return user_spec


def _keys(ctx: OperationContext) -> tuple[list[str], list[str]]:
    """``reduce_by`` and ``sort_by`` (which defaults to it and must start with it)."""
    reduce_by = names(ctx.spec.get("reduce_by"))
    if not reduce_by:
        raise YtLocalError(f"{ctx.operation_type} operation spec has no 'reduce_by'")
    sort_by = names(ctx.spec.get("sort_by")) or reduce_by
    if sort_by[: len(reduce_by)] != reduce_by:
        raise YtLocalError(
            f"reduce_by ({', '.join(reduce_by)}) must be a prefix of sort_by ({', '.join(sort_by)})"
        )
    return reduce_by, sort_by


def _tagged(ctx: OperationContext, inputs: list[RichPath]) -> Iterator[Tagged]:
    for index, rich in enumerate(inputs):
        for position, row in enumerate(read_table(ctx, rich)):
            yield index, position, row


def _row_total(ctx: OperationContext, inputs: list[RichPath]) -> int:
    """How many rows the inputs select (counted from chunks unless a path has ranges)."""
    total = 0
    for rich in inputs:
        if rich.attributes.get("ranges"):
            total += sum(1 for _ in read_table(ctx, rich))
        else:
            total += sum(chunk.rows for chunk in ctx.view().resolve(rich.path).chunks)
    return total


def _requested(ctx: OperationContext, inputs: list[RichPath], key: str = "job_count") -> Any:
    """The job count asked for, directly or as data per job (YT's default: 256 MiB)."""
    if ctx.spec.get(key):
        return ctx.spec[key]
    per_job = ctx.spec.get("data_weight_per_job") or ctx.spec.get("data_size_per_job")
    size = sum(chunk.size for rich in inputs for chunk in ctx.view().resolve(rich.path).chunks)
    return -(-size // int(per_job or DATA_PER_JOB)) or 1


def _bounded(requested: Any, units: int) -> int:
    """YT runs at most one job per unit (row or key): none for an empty input."""
    count = int(requested) if requested else 1
    return max(1, min(count, units)) if units else 0


def _spread(rows: Iterable[Tagged], total: int, count: int) -> Iterator[Assigned]:
    """Contiguous, ordered parts of nearly equal size: row i goes to job i * count // total."""
    for position, item in enumerate(rows):
        yield position * count // total, item


def _spread_groups(
    rows: Iterable[Tagged], reduce_by: list[str], total: int, count: int
) -> Iterator[Assigned]:
    """Whole key groups to jobs, balanced by row count (a key never spans two jobs)."""
    columns = [name.encode() for name in reduce_by]
    done = 0
    for _, group in itertools.groupby(rows, lambda item: row_key(item[2], columns)):
        index = min(count - 1, done * count // total)
        for item in group:
            done += 1
            yield index, item


def _run_phase(
    ctx: OperationContext,
    job_type: str,
    user_spec: dict[str, Any],
    parts: Iterable[Assigned],
    *,
    output_count: int,
    io: str,
    tables: int,
    key: list[str] | None = None,
) -> list[list[Chunk]]:
    """Write each job's stdin, streaming, and run the jobs (the task is named as the job type).

    ``io`` names the spec's job I/O section, whose ``control_attributes`` ask for row index,
    range index and key switch markers (the client's Python reducers group rows by key
    switches); table switches follow ``enable_input_table_index`` and default to on for jobs
    reading several tables.
    """
    task_name = job_type
    input_format, output_format = job_formats(user_spec, task_name)
    control: dict[str, Any] = dict(dict(ctx.spec.get(io) or {}).get("control_attributes") or {})
    flag = user_spec.get("enable_input_table_index", control.get("enable_table_index"))
    control["enable_table_index"] = bool(flag) if flag is not None else tables > 1
    if not control.get("enable_key_switch") or key is None:
        key = None
    plans: list[JobPlan] = []
    for index, (_, assigned) in enumerate(itertools.groupby(parts, lambda item: item[0])):
        stdin = sandbox_root(ctx) / f"{task_name}_{index}.input"
        first: list[int] = []
        write_input(
            stdin, _with_control(_noting_start(assigned, first), control, key), input_format
        )
        start = first[0] if first else 0
        plans.append(
            JobPlan(
                index, job_type, task_name, user_spec, stdin, output_count, output_format, start
            )
        )
    return run_jobs(ctx, plans)


def _noting_start(assigned: Iterable[Assigned], first: list[int]) -> Iterator[Tagged]:
    """The job's rows; the first one's row index is put in ``first`` (YT_START_ROW_INDEX)."""
    for _, item in assigned:
        if not first:
            first.append(item[1])
        yield item


def _with_control(
    rows: Iterable[Tagged], control: dict[str, Any], key: list[str] | None
) -> Iterator[Any]:
    """A job's rows with YT's control rows (``<table_index=N>#``, ``<key_switch=%true>#``...)."""
    columns = [name.encode() for name in key or []]
    table: int | None = None
    position: int | None = None
    previous_key: Any = None
    for table_index, row_index, row in rows:
        if key is not None:
            current_key = row_key(row, columns)
            if previous_key is not None and current_key != previous_key:
                yield control_row("key_switch", True)
            previous_key = current_key
        switched = table_index != table
        if switched and control.get("enable_table_index"):
            yield control_row("table_index", table_index)
        if switched and control.get("enable_range_index"):
            yield control_row("range_index", 0)
        if control.get("enable_row_index") and (switched or row_index != (position or 0) + 1):
            yield control_row("row_index", row_index)
        table, position = table_index, row_index
        yield row


def _by_table(chunks: list[list[Chunk]], tables: int) -> list[list[Chunk]]:
    """Job-major chunks to table-major, keeping job order within each table."""
    return [[job[table] for job in chunks] for table in range(tables)]
