"""YQL on the cluster through the query tracker. (Stub: filled in by the tables work.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yt.wrapper


class ProdYql:
    """Runs YQL text with engine ``yql`` and returns the last SELECT's rows."""

    def __init__(self, yt: yt.wrapper.YtClient, *, mask: Callable[[str], str]) -> None:
        self.yt = yt
        self._mask = mask

    def run(self, query: str) -> list[dict[str, Any]]:
        raise NotImplementedError
