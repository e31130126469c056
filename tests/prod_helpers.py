"""The prod backend against ``local_yt`` through the real client, and what reached the endpoint."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ytflow.client.job_secrets import JobSecrets
from ytflow.localyt import LocalYt
from ytflow.localyt.registry import Request
from ytflow.prod.client import ProdClient
from ytflow.prod.connection import Credentials, connect

TOKEN = "prod-test-token-7f3a"
VAULT = {"API_KEY": "vault-secret-1234"}


def prod_client(
    local: LocalYt,
    root: Path,
    *,
    token: str = TOKEN,
    yt_config: dict[str, Any] | None = None,
) -> ProdClient:
    """A ``ProdClient`` built as ``make_client`` builds it, on ``local``'s proxy."""
    secrets = JobSecrets(VAULT, also_hide=[token])
    credentials = Credentials(proxy=local.proxy_url, token=token)
    yt = connect(credentials, yt_config or {}, mask=secrets.mask)
    return ProdClient(yt, root=root, build_folder="//tmp/build", secrets=secrets)


def record_commands(local: LocalYt, *names: str) -> list[tuple[str, dict[str, Any]]]:
    """Record each request for ``names`` (command, parameters), then serve it as usual."""
    assert local.server is not None
    seen: list[tuple[str, dict[str, Any]]] = []
    commands = local.server.commands
    for name in names:
        command = commands[name]
        inner = command.handler
        assert inner is not None

        def handler(endpoint: Any, request: Request, inner: Any = inner) -> Any:
            seen.append((request.command, dict(request.params)))
            return inner(endpoint, request)

        commands[name] = dataclasses.replace(command, handler=handler)
    return seen
