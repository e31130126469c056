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

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from ytflow.client.yql_helpers import YqlHelpers
from ytflow.ops import OperationResult, OperationSpec

Row = dict[str, Any]
Mode = Literal["dev", "prod"]


_logger = logging.getLogger("ytflow.operations")


class YtClient(YqlHelpers, ABC):
    """Tables, operations and YQL (with table helpers built on it) behind one seam."""

    mode: Mode

    def run_operation(self, spec: OperationSpec, *, stage: str) -> OperationResult:
        """Run a map, reduce, map_reduce, sort or vanilla operation for ``stage``.

        Job scripts in ``spec`` are relative to ``stages/<stage>/``; they run from the code
        bundle. Output tables change only if the whole operation succeeds; otherwise
        ``OperationError`` is raised (naming the failing job, its exit status and the tail of
        its stderr) and every output table is left exactly as it was.
        """
        described = spec.describe()
        _logger.info("%s started", described)
        started = time.perf_counter()
        result = self._run_operation(spec, stage=stage)
        rows = ", ".join(f"{rows:,} rows to {path}" for path, rows in result.output_rows.items())
        _logger.info(
            "%s finished in %.2fs (%d job(s)%s)",
            described,
            time.perf_counter() - started,
            result.jobs,
            f"; {rows}" if rows else "",
        )
        return result

    @abstractmethod
    def _run_operation(self, spec: OperationSpec, *, stage: str) -> OperationResult:
        """The backend's hook behind ``run_operation``."""

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
