"""``LocalYt``: start an endpoint on a free loopback port, for tests and for the CLI.

with LocalYt(tmp_path / "yt") as local:
    client = yt.wrapper.YtClient(proxy=local.proxy_url, config=local.client_config())
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from ytflow.localyt.endpoint import Endpoint
from ytflow.localyt.server import LocalYtServer


class LocalYt:
    """A running local-yt: an HTTP server thread over one root folder."""

    def __init__(self, root: Path | str = ".localyt", *, port: int = 0) -> None:
        self.root = Path(root).resolve()
        self._port = port
        self.endpoint: Endpoint | None = None
        self.server: LocalYtServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalYt:
        self.endpoint = Endpoint(self.root)
        self.server = LocalYtServer(self.endpoint, self._port)
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll: keep it short
            name="local-yt",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.endpoint is not None:
            self.endpoint.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.server = None

    @property
    def port(self) -> int:
        if self.server is None:
            raise RuntimeError("local-yt is not running; call start() or use it in a with block")
        return self.server.port

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_config(self, **overrides: Any) -> dict[str, Any]:
        """A ``yt.wrapper`` config that reaches this endpoint without waiting on retries."""
        config: dict[str, Any] = {
            "proxy": {"url": self.proxy_url, "enable_proxy_discovery": True},
            "token": "local-yt",
            "pickling": {"python_binary": None},
        }
        config.update(overrides)
        return config

    def __enter__(self) -> LocalYt:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
