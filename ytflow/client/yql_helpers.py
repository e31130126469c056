"""The client's YQL table helpers: keyword arguments in, YQL text that runs unchanged on the
cluster (and on DuckDB in dev) out. ``dry_run=True`` returns the text instead of running it.

``YtClient`` inherits these; each helper is one builder call plus ``_run_helper``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from ytflow.yql import builders
from ytflow.yql.builders import DEFAULT_MAX_ROW_WEIGHT, AggregateFunction, JoinHow, JoinOn


class YqlHelpers(ABC):
    """Table helpers built on ``run_yql``; they return the output's row count once run."""

    @abstractmethod
    def run_yql(self, query: str) -> list[dict[str, Any]]:
        """Run a YQL script (see ``YtClient.run_yql``)."""

    @abstractmethod
    def row_count(self, table_path: str) -> int:
        """Rows in a table (see ``YtClient.row_count``)."""

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
