"""Cypress tables through ``yt.wrapper``. (Stub: filled in by the tables work.)"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yt.wrapper


class ProdTables:
    """write/read/exists/remove/row_count on the cluster, errors translated."""

    def __init__(self, yt: yt.wrapper.YtClient, *, mask: Callable[[str], str]) -> None:
        self.yt = yt
        self._mask = mask

    def write(self, path: str, rows: Iterable[Mapping[str, Any]], *, append: bool) -> int:
        raise NotImplementedError

    def read(self, path: str) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def remove(self, path: str, *, force: bool) -> None:
        raise NotImplementedError

    def row_count(self, path: str) -> int:
        raise NotImplementedError
