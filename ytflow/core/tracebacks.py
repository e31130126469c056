"""Tracebacks that show the user's code, not ytflow's internals."""

from __future__ import annotations

import traceback
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


def user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` without frames inside the ytflow package."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(_PACKAGE_DIR)
    ]
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.format_list(frames))
    text += "".join(traceback.format_exception_only(error))
    return text.rstrip()
