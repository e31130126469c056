"""Tracebacks that show the user's code, not ytflow's internals."""

from __future__ import annotations

import traceback
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


def user_traceback(error: BaseException, *, import_error: bool = False) -> str:
    """The traceback of ``error`` without frames inside the ytflow package.

    For an ``import_error`` the import machinery's ``<frozen ...>`` frames go too, and so does
    the "Traceback" header: the message reads as a pointer into the user's file.
    """
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not str(Path(frame.filename).resolve()).startswith(_PACKAGE_DIR)
        and not (import_error and frame.filename.startswith("<frozen"))
    ]
    text = "Traceback (most recent call last):\n" if frames and not import_error else ""
    text += "".join(traceback.format_list(frames))
    text += "".join(traceback.format_exception_only(error))
    return text.rstrip()
