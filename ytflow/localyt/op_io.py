"""What operation kinds share: their input and output tables, and a user job's files,
environment and formats, read from the spec as YT's controllers read them.

Inputs come from the Cypress view the operation started with; outputs become
``OutputWrite``s that the framework applies only when the operation completes.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ytflow.localyt.cypress_nodes import Chunk
from ytflow.localyt.formats import RowFormat, decode_rows, encode_rows, parse_format
from ytflow.localyt.job_runner import SandboxFile
from ytflow.localyt.op_kinds import OperationContext, OutputWrite
from ytflow.localyt.rich_paths import RichPath, parse_rich
from ytflow.localyt.table_io import check_sorted, chunk_rows, select_rows, write_chunk
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError, resolve_error, unsupported

DEFAULT_MEMORY_LIMIT = 512 << 20  # YT's default user job memory_limit
DEFAULT_MAX_FAILED_JOB_COUNT = 10
_JSON_BATCH_LINES = 4096


def table_paths(ctx: OperationContext, key: str, *, required: bool = True) -> list[RichPath]:
    """The spec's table paths under ``key``, each an existing table of the start view."""
    return paths_in(ctx, ctx.spec.get(key), key, required=required)


def paths_in(ctx: OperationContext, raw: Any, key: str, *, required: bool) -> list[RichPath]:
    """Table paths from a spec value (one path or a list), each an existing table."""
    values: list[Any] = [raw] if isinstance(raw, (str, bytes)) else list(raw or [])
    if not values and required:
        raise YtLocalError(f"Operation spec has no {key!r}", attributes={"spec_key": key})
    return [existing_table(ctx, value) for value in values]


def existing_table(ctx: OperationContext, value: Any) -> RichPath:
    tree = ctx.view()
    rich = parse_rich(value, tree)
    node = tree.find(rich.path)
    if node is None:
        raise resolve_error(rich.key, f"Table {rich.key} does not exist")
    if node.type != "table":
        raise YtLocalError(
            f"{rich.key} is a {node.type}, not a table", attributes={"path": rich.key}
        )
    for name in ("foreign", "teleport"):
        if rich.attributes.get(name):
            raise unsupported(f"the {name!r} attribute on {rich.key}", "drop it")
    return rich


def read_table(ctx: OperationContext, rich: RichPath) -> Iterator[Any]:
    """The rows ``rich`` selects (ranges, columns) in the operation's start view."""
    node = ctx.view().resolve(rich.path)
    return select_rows(ctx.endpoint.state.chunks, node, rich.attributes)


def sorted_by(ctx: OperationContext, rich: RichPath) -> list[str]:
    node = ctx.view().resolve(rich.path)
    names: list[Any] = list(node.attributes.get("sorted_by") or [])
    return [str(name) for name in names]


def names(value: Any) -> list[str]:
    """A column list from the spec (a single name or a list)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value.decode() if isinstance(value, bytes) else value]
    items: list[Any] = list(value)
    return [str(item) for item in items]


# -- outputs ----------------------------------------------------------------------------------


def output_writes(
    ctx: OperationContext, outputs: list[RichPath], chunks: list[list[Chunk]]
) -> list[OutputWrite]:
    """One write per output table; ``<sorted_by=[...]>`` on a path is checked and recorded."""
    writes: list[OutputWrite] = []
    for rich, table_chunks in zip(outputs, chunks, strict=True):
        keys = names(rich.attributes.get("sorted_by"))
        append = bool(rich.attributes.get("append", False))
        if keys:
            rows = (row for chunk in table_chunks for row in _chunk_rows(ctx, chunk))
            if append:
                rows = itertools.chain(_last_row_if_sorted_by(ctx, rich, keys), rows)
            columns = [key.encode() for key in keys]
            for _ in check_sorted(rows, columns, f"the output table {rich.key}"):
                pass
        writes.append(
            OutputWrite(
                path=rich,
                chunks=table_chunks,
                sorted_by=keys or None,
                append=append,
            )
        )
    return writes


def _last_row_if_sorted_by(ctx: OperationContext, rich: RichPath, keys: list[str]) -> list[Any]:
    """The table's last row when appended rows must continue its order (else nothing)."""
    node = ctx.view().resolve(rich.path)
    if sorted_by(ctx, rich) != keys or not node.chunks:
        return []
    last: list[Any] = []
    for row in _chunk_rows(ctx, node.chunks[-1]):
        last[:] = [row]
    return last


def _chunk_rows(ctx: OperationContext, chunk: Chunk) -> Iterator[Any]:
    return chunk_rows(ctx.endpoint.state.chunks, chunk)


def rows_to_chunk(ctx: OperationContext, rows: Iterable[Any]) -> Chunk:
    """A chunk of the operation's; the framework removes it unless an output keeps it."""
    chunk = write_chunk(ctx.endpoint.state.chunks, rows)
    with ctx.lock:
        ctx.created_chunks.append(chunk)
    return chunk


# -- a user job's formats, files and environment --------------------------------------------


def job_formats(user_spec: dict[str, Any], what: str) -> tuple[RowFormat, RowFormat]:
    """The input and output formats of a user job (``format`` sets both)."""
    both = user_spec.get("format")
    input_spec = user_spec.get("input_format", both)
    output_spec = user_spec.get("output_format", both)
    return (
        parse_format(input_spec, what=f"{what}/input_format"),
        parse_format(output_spec, what=f"{what}/output_format"),
    )


def write_input(path: Path, rows: Iterable[Any], row_format: RowFormat) -> None:
    """A job's stdin, written ahead so the job can read it at its own pace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for block in encode_rows(rows, row_format):
            handle.write(block)


def control_row(name: str, value: Any) -> Any:
    """A control row as YT writes it into a job's input: ``<table_index=1>#``, ..."""
    marker = yson().YsonEntity()
    marker.attributes[name] = value
    return marker


def read_output(path: Path, row_format: RowFormat, table: int) -> Iterator[Any]:
    """Rows a job wrote to output table ``table``, parsed as they are read."""
    if row_format.name == "json":
        yield from _read_json_output(path, row_format)
        return
    with path.open("rb") as handle:
        try:
            for index, row in enumerate(
                yson().load(handle, yson_type="list_fragment", encoding=None)
            ):
                if not isinstance(row, dict):
                    raise YtLocalError(
                        f"Row {index} of output table {table} is not a map: YT rows are maps "
                        "of columns"
                    )
                yield row
        except YtLocalError:
            raise
        except Exception as error:
            raise YtLocalError(
                f"Error parsing the YSON the job wrote to output table {table}: {error}"
            ) from None


def _read_json_output(path: Path, row_format: RowFormat) -> Iterator[Any]:
    with path.open("rb") as handle:
        batch: list[bytes] = []
        for line in handle:
            batch.append(line)
            if len(batch) >= _JSON_BATCH_LINES:
                yield from decode_rows(b"".join(batch), row_format)
                batch = []
        if batch:
            yield from decode_rows(b"".join(batch), row_format)


def sandbox_files(ctx: OperationContext, user_spec: dict[str, Any]) -> tuple[SandboxFile, ...]:
    """The spec's ``file_paths`` as files in the sandbox, named by ``file_name``."""
    tree = ctx.view()
    files: list[SandboxFile] = []
    for value in list(user_spec.get("file_paths") or []):
        rich = parse_rich(value, tree)
        node = tree.find(rich.path)
        if node is None:
            raise resolve_error(rich.key, f"File {rich.key} does not exist")
        if node.type != "file":
            raise unsupported(
                f"{node.type} {rich.key} in file_paths", "local-yt jobs get Cypress files only"
            )
        name = str(
            rich.attributes.get("file_name")
            or node.attributes.get("file_name")
            or rich.path.tokens[-1]
        )
        executable = bool(rich.attributes.get("executable", node.attributes.get("executable")))
        chunks = ctx.endpoint.state.chunks
        files.append(
            SandboxFile(name, tuple(chunks.path(chunk) for chunk in node.chunks), executable)
        )
    return tuple(files)


def job_environment(
    ctx: OperationContext,
    user_spec: dict[str, Any],
    *,
    job_id: str,
    job_index: int,
    start_row_index: int | None = None,
) -> dict[str, str]:
    """YT's job environment: the spec's variables, the secure vault and the job's identity.

    ``PATH`` starts with this interpreter's folder, so ``python3`` in a job (what the client's
    Python-function jobs run) is one that has ytsaurus-client, as on a cluster's image.
    """
    interpreter = str(Path(sys.executable).parent)
    environment = {
        "PATH": os.pathsep.join([interpreter, os.environ.get("PATH", "/usr/bin:/bin")]),
        "HOME": os.environ.get("HOME", "/"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    for key, value in dict(user_spec.get("environment") or {}).items():
        environment[str(key)] = str(value)
    vault: dict[str, Any] = dict(ctx.spec.get("secure_vault") or {})
    for key, value in vault.items():
        text = value if isinstance(value, str) else yson().dumps(value, yson_format="text")
        environment[f"YT_SECURE_VAULT_{key}"] = text if isinstance(text, str) else text.decode()
    environment.update(
        YT_FIRST_OUTPUT_TABLE_FD=str(first_output_fd(user_spec)),
        YT_OPERATION_ID=ctx.operation_id,
        YT_JOB_ID=job_id,
        YT_JOB_INDEX=str(job_index),
        YT_TASK_JOB_INDEX=str(job_index),
        YT_JOB_COOKIE=str(job_index),
    )
    if start_row_index is not None:
        environment["YT_START_ROW_INDEX"] = str(start_row_index)
    return environment


def first_output_fd(user_spec: dict[str, Any]) -> int:
    """Where output table 0 goes: fd 1, or fd 4 when stdout is redirected to stderr."""
    if user_spec.get("use_yamr_descriptors"):
        raise unsupported("use_yamr_descriptors", "write output table k to fd 3k+1")
    return 4 if user_spec.get("redirect_stdout_to_stderr") else 1


def memory_limit(user_spec: dict[str, Any]) -> int:
    value = user_spec.get("memory_limit")
    return int(value) if value is not None else DEFAULT_MEMORY_LIMIT


def max_failed_job_count(ctx: OperationContext) -> int:
    value = ctx.spec.get("max_failed_job_count")
    return int(value) if value is not None else DEFAULT_MAX_FAILED_JOB_COUNT
