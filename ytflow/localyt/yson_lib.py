"""The one door to ``yt.yson``: local-yt speaks YSON through the official client's codec.

``ytsaurus-client`` is the ``prod`` extra, so a plain install lacks it; the error then says
which extra to install instead of an ImportError from deep inside the server.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from ytflow.errors import UsageError


@cache
def yson() -> ModuleType:
    """``yt.yson``, or a UsageError naming the missing extra."""
    try:
        import yt.yson as yt_yson  # noqa: PLC0415 - lazy: only local-yt needs it
    except ImportError as error:
        raise UsageError(
            f"ytflow local-yt needs ytsaurus-client (for YSON), which is not installed ({error})",
            hint="pip install 'ytflow[prod]'  (add ytsaurus-yson for speed)",
        ) from None
    return yt_yson


@cache
def ypath_parser() -> ModuleType:
    """``yt.ypath``: the client's own rich-path parser, so both ends read paths alike."""
    yson()
    import yt.ypath as yt_ypath  # noqa: PLC0415 - lazy, after yson() checked the install

    return yt_ypath
