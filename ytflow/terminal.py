"""The one stderr console shared by log lines and live progress, so they never garble."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

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
