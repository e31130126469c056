"""The dev backend's client: the protocol implemented over ``.dev/`` on this machine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytflow.client.base import Mode, Row, YtClient
from ytflow.client.job_secrets import JobSecrets
from ytflow.dev.table_store import DevTableStore
from ytflow.errors import UsageError
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)

if TYPE_CHECKING:
    from ytflow.bundle import Bundle, BundleSource
    from ytflow.dev.operations import DevOperations


class DevClient(YtClient):
    """Runs everything locally; no credentials, no cluster, no ``yt.wrapper``.

    Tables live in ``dev_dir``; operations need the pipeline ``root`` to build the code
    bundle their jobs run from. ``job_secrets`` reach jobs as YT's secure vault would
    deliver them (``YT_SECURE_VAULT_<KEY>``).
    """

    mode: Mode = "dev"

    def __init__(
        self,
        dev_dir: Path,
        *,
        root: Path | None = None,
        upload_modules: Sequence[str] = (),
        upload_paths: Sequence[tuple[str, str]] = (),
        job_secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.dev_dir = dev_dir
        self.root = root
        self.tables = DevTableStore(dev_dir)
        self.secrets = JobSecrets(job_secrets or {})
        self._upload_modules = tuple(upload_modules)
        self._upload_paths = tuple(upload_paths)
        self._bundles: BundleSource | None = None

    @cached_property
    def operations(self) -> DevOperations:
        """The job machinery, imported on first use: pipelines without operations skip it."""
        from ytflow.dev.operations import DevOperations  # noqa: PLC0415 - start-up time

        return DevOperations(
            store=self.tables,
            dev_dir=self.dev_dir,
            bundle=self.bundle,
            job_env=self.job_env,
            mask=self.mask,
        )

    def write_table(
        self, table_path: str, rows: Iterable[Mapping[str, Any]], *, append: bool = False
    ) -> int:
        return self.tables.write(table_path, rows, append=append)

    def read_table(self, table_path: str) -> Iterator[Row]:
        return self.tables.read(table_path)

    def exists(self, path: str) -> bool:
        return self.tables.exists(path)

    def remove(self, path: str, *, force: bool = False) -> None:
        self.tables.remove(path, force=force)

    def row_count(self, table_path: str) -> int:
        return self.tables.row_count(table_path)

    def run_yql(self, query: str) -> list[Row]:
        """Run YQL on DuckDB over the dev tables (DuckDB is imported only now)."""
        from ytflow.dev.yql_engine import DevYqlEngine  # noqa: PLC0415 - duckdb only for YQL

        return DevYqlEngine(self.tables).run(query)

    def bundle(self) -> Bundle:
        """The code bundle, built once per client (content-addressed under ``.dev/.bundle``)."""
        if self.root is None:
            raise UsageError(
                "this dev client has no pipeline folder, so it cannot build the code bundle "
                "that jobs run from",
                hint="create it as DevClient(dev_dir, root=pipeline_folder)",
            )
        if self._bundles is None:
            from ytflow.bundle import BundleSource  # noqa: PLC0415 - start-up time

            self._bundles = BundleSource(
                self.root,
                output_dir=self.dev_dir / ".bundle",
                upload_modules=self._upload_modules,
                upload_paths=self._upload_paths,
            )
        return self._bundles.get()

    def job_env(self, sandbox: Path) -> dict[str, str]:
        """A job's whole environment: nothing leaks from the driver but ``PATH``."""
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "C.UTF-8",
            "TMPDIR": str(sandbox / "tmp"),
            "YTFLOW_DRIVER_PID": str(os.getpid()),  # the launcher kills the job if we die
            **self.secrets.environment(),
        }

    def mask(self, text: str) -> str:
        """``text`` with every job secret's value replaced by ``***`` (for logs and errors)."""
        return self.secrets.mask(text)

    def _run_map(self, spec: MapOperation, stage: str) -> OperationResult:
        with self._holding(spec):
            return self.operations.map(spec, stage)

    def _run_reduce(self, spec: ReduceOperation, stage: str) -> OperationResult:
        with self._holding(spec):
            return self.operations.reduce(spec, stage)

    def _run_map_reduce(self, spec: MapReduceOperation, stage: str) -> OperationResult:
        with self._holding(spec):
            return self.operations.map_reduce(spec, stage)

    def _run_sort(self, spec: SortOperation, stage: str) -> OperationResult:
        del stage  # a sort runs no stage code
        return self.operations.sort(spec)

    def _run_vanilla(self, spec: VanillaOperation, stage: str) -> OperationResult:
        from ytflow.dev.vanilla import run_vanilla  # noqa: PLC0415 - start-up time

        self.operations.note_image(spec.resources)
        return run_vanilla(
            spec,
            stage,
            dev_dir=self.dev_dir,
            bundle=self.bundle(),
            job_env=self.job_env,
            mask=self.mask,
            open_log=lambda: self.operations.stage_logs.open(stage),
        )

    def _holding(
        self, spec: MapOperation | ReduceOperation | MapReduceOperation
    ) -> contextlib.AbstractContextManager[None]:
        """Jobs read the input files in place, so inputs hold still (a write elsewhere waits)
        and outputs have one writer; all locks taken at once, in name order."""
        return self.tables.holding([*spec.input_table, *spec.output_table])
