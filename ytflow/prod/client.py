"""The prod backend's client: the protocol implemented with ``yt.wrapper`` on a YT cluster.

Split by collaborator: ``ProdTables`` (tables), ``ProdOperations`` (bundle upload and
operations), ``ProdYql`` (the query tracker). Each translates ``yt`` errors into ytflow's at
its seam, so stage code never sees a ``yt.*`` exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytflow.client.base import Mode, Row, YtClient
from ytflow.client.job_secrets import JobSecrets
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)
from ytflow.prod.operations import ProdOperations
from ytflow.prod.tables import ProdTables
from ytflow.prod.upload import BundleUpload
from ytflow.prod.yql import ProdYql

if TYPE_CHECKING:
    import yt.wrapper


class ProdClient(YtClient):
    """Cypress tables, YT operations and cluster YQL through one ``yt.wrapper.YtClient``.

    ``secrets`` are the jobs' secure vault; it also masks the YT token in everything shown.
    Operations run jobs from the pipeline's code bundle, uploaded to ``build_folder``.
    """

    mode: Mode = "prod"

    def __init__(
        self,
        yt: yt.wrapper.YtClient,
        *,
        root: Path,
        build_folder: str,
        secrets: JobSecrets,
        upload_modules: Sequence[str] = (),
        upload_paths: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.yt = yt
        self.root = root
        self.secrets = secrets
        self.tables = ProdTables(yt, mask=secrets.mask)
        upload = BundleUpload(
            yt,
            root=root,
            build_folder=build_folder,
            upload_modules=upload_modules,
            upload_paths=upload_paths,
            mask=secrets.mask,
        )
        self.operations = ProdOperations(yt, root=root, upload=upload, secrets=secrets)
        self.yql = ProdYql(yt, mask=secrets.mask)

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
        return self.yql.run(query)

    def _run_map(self, spec: MapOperation, stage: str) -> OperationResult:
        return self.operations.run(spec, stage)

    def _run_reduce(self, spec: ReduceOperation, stage: str) -> OperationResult:
        return self.operations.run(spec, stage)

    def _run_map_reduce(self, spec: MapReduceOperation, stage: str) -> OperationResult:
        return self.operations.run(spec, stage)

    def _run_sort(self, spec: SortOperation, stage: str) -> OperationResult:
        return self.operations.run(spec, stage)

    def _run_vanilla(self, spec: VanillaOperation, stage: str) -> OperationResult:
        return self.operations.run(spec, stage)
