"""One local-yt instance's state and services, shared by every request thread.

The HTTP layer turns requests into ``Request`` objects and calls ``Endpoint.call``; the
command modules (imported here so they register) do the work against ``state`` (Cypress,
transactions, chunks) and the operation and query services.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

from ytflow.localyt.operations import OperationService
from ytflow.localyt.registry import COMMANDS, Request
from ytflow.localyt.state import State
from ytflow.localyt.yt_errors import YtLocalError

COMMAND_MODULES = (
    "cypress_commands",
    "transaction_commands",
    "table_commands",
    "file_commands",
    "op_sort_merge",
    "queries",
    "operations",
    "op_reports",
)


class Service(Protocol):
    """Background work an endpoint owns (the query tracker, say): stopped by ``close``."""

    def close(self) -> None: ...


class Endpoint:
    """The state behind one local-yt root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.state = State(root)
        self.services: dict[str, Service] = {}
        _register_commands()
        self.operations = OperationService(self)

    def call(self, command: str, params: dict[str, Any], body: bytes = b"") -> Any:
        """Run a command in-process (the HTTP layer and tests both come through here)."""
        spec = COMMANDS.get(command)
        if spec is None or spec.handler is None:
            raise YtLocalError(f"Command {command!r} is not known to local-yt")
        return spec.handler(self, Request(command=command, params=params, body=body))

    def close(self) -> None:
        """Stop background work (running operations, queries)."""
        for service in list(self.services.values()):
            service.close()
        self.operations.close()


def _register_commands() -> None:
    # Imported for their @command registrations.
    for name in COMMAND_MODULES:
        importlib.import_module(f"ytflow.localyt.{name}")
