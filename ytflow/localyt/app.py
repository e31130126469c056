"""``LocalYt``: a local-yt server in this process, for tests and for ``ytflow local-yt``.

    with LocalYt(tmp_path / "yt") as local:
        client = yt.wrapper.YtClient(proxy=local.proxy_url, config=local.client_config())

The server listens on 127.0.0.1 only and serves from a background thread; the calling
thread stays free (the CLI waits there for Ctrl-C or SIGTERM). The root folder holds all
state, so a new ``LocalYt`` on the same root finds every table and file again; while one
runs, the root is locked and a second server on it is refused (``RootInUseError``).
"""

from __future__ import annotations

import errno
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from ytflow.errors import UsageError
from ytflow.localyt.endpoint import Endpoint
from ytflow.localyt.root_lock import RootLock
from ytflow.localyt.server import LocalYtServer
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError

DEFAULT_ROOT = ".localyt"
_POLL_SECONDS = 0.05  # how often serve_forever checks for stop(): a stop takes about this long


class LocalYt:
    """A running local-yt: an HTTP server thread over one root folder.

    ``port=0`` (the default) picks a free port; read it back from ``port`` or ``proxy_url``
    once started. With ``token``, only requests carrying it are served (others get YT's
    HTTP 401); without, any token is accepted. Starting raises ``UsageError``
    (ytsaurus-client missing, port taken, root not writable or its state unreadable) or
    ``RootInUseError`` (another server on the root).
    """

    def __init__(
        self, root: Path | str = DEFAULT_ROOT, *, port: int = 0, token: str | None = None
    ) -> None:
        self.root = Path(root).resolve()
        self._port = port
        self._token = token
        self.endpoint: Endpoint | None = None
        self.server: LocalYtServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = RootLock(self.root)

    def start(self) -> LocalYt:
        """Lock the root, load its state and start serving; returns ``self``."""
        if self.server is not None:
            return self
        yson()  # fail first, with the extra to install, if ytsaurus-client is missing
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(
                f"cannot create the local-yt root {self.root}: {error.strerror or error}",
                hint="give a writable folder with --root",
            ) from None
        self._lock.acquire()
        try:
            self.endpoint = _endpoint(self.root)
            self.server = _server(self.endpoint, self._port, self._token)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="local-yt",
            daemon=True,
        )
        self._thread.start()
        self._lock.describe_holder(self.proxy_url)
        return self

    def stop(self) -> None:
        """Stop serving, stop running operations and queries, unlock the root. Idempotent."""
        if self.server is not None:
            if self._thread is not None:
                self.server.shutdown()  # only returns once serve_forever has returned
            self.server.server_close()
        if self.endpoint is not None:
            self.endpoint.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._lock.release()
        self.server = None
        self.endpoint = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self.server is not None

    @property
    def port(self) -> int:
        """The port it listens on (the picked one when started with ``port=0``)."""
        if self.server is None:
            raise RuntimeError("local-yt is not running; call start() or use it in a with block")
        return self.server.port

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT``: the ``proxy`` to give ``yt.wrapper`` and ``YT_PROXY``."""
        return f"http://127.0.0.1:{self.port}"

    def client_config(self, **overrides: Any) -> dict[str, Any]:
        """A ``yt.wrapper`` config that reaches this endpoint; ``overrides`` are merged in.

        Only the proxy URL is needed; the token is the server's, or a placeholder so the
        client does not go looking for ``~/.yt/token``.
        """
        config: dict[str, Any] = {
            "proxy": {"url": self.proxy_url, "enable_proxy_discovery": True},
            "token": self._token or "local-yt",
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

    def __repr__(self) -> str:
        where = self.proxy_url if self.running else "stopped"
        return f"LocalYt({str(self.root)!r}, {where})"


def _endpoint(root: Path) -> Endpoint:
    try:
        return Endpoint(root)
    except YtLocalError as error:  # e.g. an unreadable cypress.yson: the message says what
        raise UsageError(error.message) from None
    except OSError as error:
        raise UsageError(
            f"cannot use the local-yt root {root}: {error.strerror or error}",
            hint="give a writable folder with --root",
        ) from None


def _server(endpoint: Endpoint, port: int, token: str | None) -> LocalYtServer:
    try:
        return LocalYtServer(endpoint, port, token=token)
    except OverflowError:
        raise UsageError(f"port {port} is not a valid port (0-65535)") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on 127.0.0.1 is already in use",
                hint="pick another --port, or --port 0 for a free one",
            ) from None
        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}",
            hint="--port 0 picks a free port",
        ) from None
