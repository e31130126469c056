"""The client seam: the protocol stages program against, and YT path rules."""

from ytflow.client.base import Mode, Row, YtClient
from ytflow.paths import table_name, validate_table_path

__all__ = ["Mode", "Row", "YtClient", "table_name", "validate_table_path"]
