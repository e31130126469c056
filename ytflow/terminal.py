"""The one stderr console shared by log lines and live progress, so they never garble."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def is_terminal() -> bool:
    """True when stderr is an interactive terminal (colour and live progress allowed)."""
    return sys.stderr.isatty()


@functools.cache
def stderr_console() -> Console:
    """rich's console on stderr, created on first use (rich is imported only then)."""
    from rich.console import Console  # noqa: PLC0415 - rich only when a terminal needs it

    return Console(stderr=True)


def start_live_line(render: Callable[[], Any], *, refresh_per_second: float) -> Any | None:
    """A live status line on stderr, redrawn from ``render`` and erased when stopped;
    None when stderr is not a terminal (callers log instead). Stop it with ``.stop()``."""
    if not is_terminal():
        return None
    from rich.live import Live  # noqa: PLC0415 - only on a terminal

    live = Live(
        get_renderable=render,
        console=stderr_console(),
        transient=True,
        refresh_per_second=refresh_per_second,
    )
    live.start()
    return live
