"""The dev backend's client: the protocol implemented over ``.dev/`` on this machine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ytflow.client.base import Mode, Row, YtClient
from ytflow.dev.table_store import DevTableStore


class DevClient(YtClient):
    """Runs everything locally; no credentials, no cluster, no ``yt.wrapper``."""

    mode: Mode = "dev"

    def __init__(self, dev_dir: Path) -> None:
        self.dev_dir = dev_dir
        self.tables = DevTableStore(dev_dir)

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
