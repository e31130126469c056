"""The dev backend: tables as JSONL under ``.dev/``, jobs as local subprocesses."""

from ytflow.dev.client import DevClient
from ytflow.dev.table_store import DevTableStore, TableInfo

__all__ = ["DevClient", "DevTableStore", "TableInfo"]
