"""``ytflow local-yt``: serve a local YT endpoint until Ctrl-C or SIGTERM.

The server runs in a background thread (``LocalYt``); the main thread only waits, so a
signal interrupts it at once and the ``with`` block stops the server, the endpoint's
running operations and queries, and unlocks the root. SIGTERM is how service managers and
test harnesses stop a server, so it is a normal stop (exit 0); Ctrl-C exits 130 as every
ytflow command does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from ytflow.core.runner import EXIT_INTERRUPTED, print_error
from ytflow.errors import UsageError, YtflowError


class _Stop(BaseException):
    """SIGTERM, raised in the main thread so the server stops like on Ctrl-C."""


def local_yt(
    port: Annotated[
        int,
        typer.Option(
            "--port",
            "-p",
            min=0,
            max=65535,
            metavar="N",
            help="Port on 127.0.0.1; 0 picks a free one (see --port-file).",
        ),
    ] = 8000,
    root: Annotated[
        Path,
        typer.Option(
            "--root",
            "-r",
            metavar="DIR",
            help="Folder holding all state (created if missing).",
        ),
    ] = Path(".localyt"),
    port_file: Annotated[
        Path | None,
        typer.Option(
            "--port-file",
            metavar="FILE",
            help="Write the port number here (atomically) once it accepts connections; "
            "removed when it stops.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            help="Accept only this token (others get YT's HTTP 401); default: any token.",
        ),
    ] = None,
) -> None:
    """Serve a local YT endpoint that ytsaurus-client uses as a cluster.

    Cypress, tables, files, transactions, operations and YQL queries, all kept in --root;
    a restart with the same --root finds every table and file again. It listens on
    127.0.0.1 only. Point clients at the printed URL: yt.wrapper.YtClient(proxy=URL), the yt
    command line with YT_PROXY=URL, a ytflow prod pipeline with YT_PROXY=URL in
    configs/secrets.env. Needs ytsaurus-client: pip install 'ytflow[prod]'.

    Exit 0 stopped by SIGTERM; 2 a usage error (ytsaurus-client missing, port taken, root
    not writable); 3 another local-yt serves this root (it is named); 130 interrupted.
    """
    # The server package is imported here, not at the top: other commands start faster.
    from ytflow.localyt import LocalYt  # noqa: PLC0415

    try:
        with (
            _sigterm_stops(),
            LocalYt(root, port=port, token=token) as local,
            _port_file(port_file, local.port),
        ):
            _print_banner(local.proxy_url, local.root)
            while True:  # the server thread does the work; sleep wakes up for signals
                time.sleep(3600)
    except YtflowError as error:
        print_error(error)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        print("local-yt stopped (interrupted)", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except _Stop:
        print("local-yt stopped (SIGTERM)", file=sys.stderr)


def _print_banner(proxy_url: str, root: Path) -> None:
    print(
        f"local-yt serving {root} at {proxy_url}  (Ctrl-C to stop)\n"
        "\n"
        "  import yt.wrapper as yt\n"
        f'  client = yt.YtClient(proxy="{proxy_url}")\n'
        "\n"
        f"yt command line:  export YT_PROXY={proxy_url}\n"
        f"ytflow prod mode: YT_PROXY={proxy_url} in configs/secrets.env",
        flush=True,
    )


@contextlib.contextmanager
def _port_file(path: Path | None, port: int) -> Generator[None]:
    """Write the port file while serving; remove it on stop, so none points at a dead port."""
    if path is None:
        yield
        return
    _write_port_file(path, port)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8").strip() == str(port):  # still ours
                path.unlink()


def _write_port_file(path: Path, port: int) -> None:
    """Write ``port`` so a reader sees no file or the whole number, never a partial one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(f"{port}\n", encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise UsageError(
            f"cannot write the port file {path}: {error.strerror or error}",
            hint="give --port-file a path in a writable folder",
        ) from None


@contextlib.contextmanager
def _sigterm_stops() -> Generator[None]:
    """Turn the first SIGTERM into ``_Stop``; a second one kills at once (the default)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise _Stop

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
