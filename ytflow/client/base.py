"""The one client protocol stages see as ``self.deps.yt_client``.

Two backends implement it: ``ytflow.dev`` (JSONL files under ``.dev/``, local subprocesses,
DuckDB) and ``ytflow.prod`` (Cypress and YT operations through ``yt.wrapper``). Stage code
written against this class runs unchanged on either; a behaviour a backend cannot reproduce
raises an error saying so instead of silently differing.

Example::

    yt = self.deps.yt_client
    yt.write_table(table_path="//tmp/my_pipeline/data", rows=({"id": i} for i in range(10)))
    yt.write_table(table_path="//tmp/my_pipeline/data", rows=[{"id": 10}], append=True)
    assert yt.row_count("//tmp/my_pipeline/data") == 11
    for row in yt.read_table("//tmp/my_pipeline/data"):
        ...
"""

from __future__ import annotations

import dataclasses
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    OperationSpec,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)
from ytflow.yql import builders
from ytflow.yql.builders import DEFAULT_MAX_ROW_WEIGHT, AggregateFunction, JoinHow, JoinOn

Row = dict[str, Any]
Mode = Literal["dev", "prod"]


_logger = logging.getLogger("ytflow.operations")


class YtClient(ABC):
    """Tables, operations and YQL behind one seam.

    The YQL table helpers (``join_tables``, ``filter_table``, ...) take keyword arguments,
    build YQL text that runs unchanged on the cluster (and on DuckDB in dev) and return the
    output's row count; ``dry_run=True`` returns the text instead of running it.
    """

    mode: Mode

    def run_operation(self, spec: OperationSpec, *, stage: str) -> OperationResult:
        """Run a map, reduce, map_reduce, sort or vanilla operation for ``stage``.

        Job scripts in ``spec`` are relative to ``stages/<stage>/``; they run from the code
        bundle. Output tables change only if the whole operation succeeds; otherwise
        ``OperationError`` is raised (naming the failing job, its exit status and the tail of
        its stderr) and every output table is left exactly as it was. The result carries the
        seconds the operation took, as measured here.
        """
        described = spec.describe()
        _logger.info("%s started", described)
        started = time.perf_counter()
        result = self._dispatch(spec, stage)
        seconds = time.perf_counter() - started
        rows = ", ".join(f"{rows:,} rows to {path}" for path, rows in result.output_rows.items())
        _logger.info(
            "%s finished in %.2fs (%d job(s)%s)",
            described,
            seconds,
            result.jobs,
            f"; {rows}" if rows else "",
        )
        return dataclasses.replace(result, seconds=seconds)

    def _dispatch(self, spec: OperationSpec, stage: str) -> OperationResult:
        match spec:
            case MapOperation():
                return self._run_map(spec, stage)
            case ReduceOperation():
                return self._run_reduce(spec, stage)
            case MapReduceOperation():
                return self._run_map_reduce(spec, stage)
            case SortOperation():
                return self._run_sort(spec, stage)
            case VanillaOperation():
                return self._run_vanilla(spec, stage)

    # One hook per operation kind: what a backend implements behind ``run_operation``.

    @abstractmethod
    def _run_map(self, spec: MapOperation, stage: str) -> OperationResult:
        """Run ``spec.mapper`` over the input rows; output keeps the input order."""

    @abstractmethod
    def _run_reduce(self, spec: ReduceOperation, stage: str) -> OperationResult:
        """Run ``spec.reducer`` over input sorted by ``reduce_by`` (unsorted input fails)."""

    @abstractmethod
    def _run_map_reduce(self, spec: MapReduceOperation, stage: str) -> OperationResult:
        """Run mapper, partition and sort by ``sort_by``, then reducer."""

    @abstractmethod
    def _run_sort(self, spec: SortOperation, stage: str) -> OperationResult:
        """Sort the input tables into ``spec.output_table`` in YT's order."""

    @abstractmethod
    def _run_vanilla(self, spec: VanillaOperation, stage: str) -> OperationResult:
        """Run ``spec.command`` as ``job_count`` jobs with no tables."""

    @abstractmethod
    def write_table(
        self, table_path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False
    ) -> int:
        """Write ``rows`` to the table and return how many were written.

        ``rows`` may be any iterable, including a generator of millions of rows: it is streamed,
        never held in memory. Without ``append`` the table is replaced atomically: readers see
        the old table or the new one, never a mix, and if ``rows`` raises halfway the old table
        is left intact. With ``append=True`` the rows are added at the end (the table is created
        if missing); if ``rows`` raises, none of them become visible.

        Raises ``YtPathError`` for a path YT would refuse and ``RowError`` (naming the row
        index and the column) for a row that is not a dict of JSON-serialisable values.
        """

    @abstractmethod
    def read_table(self, table_path: str) -> Iterator[Row]:
        """Iterate over the table's rows as dicts, streamed; raises ``TableNotFound``."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """True only if a table exists at ``path``."""

    @abstractmethod
    def remove(self, path: str, *, force: bool = False) -> None:
        """Remove the table; a missing one raises ``TableNotFound`` unless ``force`` (as YT)."""

    @abstractmethod
    def run_yql(self, query: str) -> list[Row]:
        """Run a YQL script; return the rows of its last bare ``SELECT`` (``[]`` if none).

        ``INSERT INTO `//path` WITH TRUNCATE SELECT ...`` replaces a table and ``INSERT INTO``
        without it appends, as on YT. In dev the script is translated to DuckDB; a construct dev
        cannot reproduce raises ``YqlError`` naming it and its line, never a different answer.
        """

    @abstractmethod
    def row_count(self, table_path: str) -> int:
        """The table's number of rows, without reading them; raises ``TableNotFound``."""

    # --- YQL table helpers: one builder call each, run by ``run_yql`` -----------------------

    def join_tables(
        self,
        *,
        left_table: str,
        right_table: str,
        output_table: str,
        on: JoinOn,
        how: JoinHow = "inner",
        select_columns: Sequence[str] | Mapping[str, str] | None = None,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Join two tables; the left is ``a`` and the right ``b`` in ``select_columns``.

        ``on``: a column, a list of columns, or ``{"left": ..., "right": ...}``;
        ``how``: inner, left, right or full. Example::

            yt.join_tables(left_table="//p/orders", right_table="//p/users",
                           output_table="//p/out", on="user_id", how="left",
                           select_columns=["a.order_id", "b.name"])
        """
        query = builders.join_tables(
            left_table=left_table,
            right_table=right_table,
            output_table=output_table,
            on=on,
            how=how,
            select_columns=select_columns,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def filter_table(
        self,
        *,
        input_table: str,
        output_table: str,
        condition: str,
        columns: Sequence[str] | None = None,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Keep the rows for which ``condition`` (a YQL expression you write) is true."""
        query = builders.filter_table(
            input_table=input_table,
            output_table=output_table,
            condition=condition,
            columns=columns,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def select_columns(
        self,
        *,
        input_table: str,
        output_table: str,
        columns: Sequence[str] | Mapping[str, str],
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Keep (a list) or rename (``{output_name: input_name}``) columns."""
        query = builders.select_columns(
            input_table=input_table,
            output_table=output_table,
            columns=columns,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def group_by_aggregate(
        self,
        *,
        input_table: str,
        output_table: str,
        group_by: str | Sequence[str],
        aggregations: Mapping[str, tuple[AggregateFunction, str]],
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Group and aggregate: ``aggregations={"total": ("sum", "amount"), "n": ("count", "*")}``.

        Functions: count, sum, avg, min, max, count_distinct.
        """
        query = builders.group_by_aggregate(
            input_table=input_table,
            output_table=output_table,
            group_by=group_by,
            aggregations=aggregations,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def union_tables(
        self,
        *,
        input_tables: Sequence[str],
        output_table: str,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Concatenate two or more tables (``UNION ALL``)."""
        query = builders.union_tables(
            input_tables=input_tables,
            output_table=output_table,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def distinct(
        self,
        *,
        input_table: str,
        output_table: str,
        columns: Sequence[str] | None = None,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Drop duplicate rows (of ``columns``, or of whole rows)."""
        query = builders.distinct(
            input_table=input_table,
            output_table=output_table,
            columns=columns,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def sort_table(
        self,
        *,
        input_table: str,
        output_table: str,
        order_by: str | Sequence[str],
        descending: bool = False,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Write the rows ordered by ``order_by`` (YQL ``ORDER BY``)."""
        query = builders.sort_table(
            input_table=input_table,
            output_table=output_table,
            order_by=order_by,
            descending=descending,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def limit_table(
        self,
        *,
        input_table: str,
        output_table: str,
        limit: int,
        order_by: str | Sequence[str] | None = None,
        descending: bool = False,
        append: bool = False,
        max_row_weight: str | int = DEFAULT_MAX_ROW_WEIGHT,
        dry_run: bool = False,
    ) -> int | str:
        """Keep the first ``limit`` rows (of ``order_by`` order, when given)."""
        query = builders.limit_table(
            input_table=input_table,
            output_table=output_table,
            limit=limit,
            order_by=order_by,
            descending=descending,
            append=append,
            max_row_weight=max_row_weight,
        )
        return self._run_helper(query, output_table, dry_run=dry_run)

    def _run_helper(self, query: str, output_table: str, *, dry_run: bool) -> int | str:
        if dry_run:
            return query
        self.run_yql(query)
        return self.row_count(output_table)
