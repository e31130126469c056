"""Path parameters as the client sends them: plain, YSON with attributes, or rich YPath text.

``<append=%true>//t{a,b}[#10:#20]`` and ``#<object-id>/@attr`` both arrive as strings; the
client's own parser (``yt.ypath``) turns the first into a path plus attributes, and object ids
are looked up in the tree, so commands only ever see a ``CypressPath``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import CypressPath, parse_path
from ytflow.localyt.yson_lib import ypath_parser
from ytflow.localyt.yt_errors import RESOLVE_ERROR, YtLocalError, resolve_error


@dataclass(frozen=True)
class RichPath:
    """A Cypress path and the YPath attributes that came with it."""

    path: CypressPath
    attributes: dict[str, Any]

    @property
    def key(self) -> str:
        """The node's path without attributes: what locks are taken on."""
        return "//" + "/".join(self.path.tokens) if self.path.tokens else "/"


def parse_rich(value: Any, tree: Tree, *, name: str = "path") -> RichPath:
    """Parse a path parameter; ``#id`` prefixes are resolved against ``tree``."""
    if value is None:
        raise YtLocalError(f"Missing required parameter {name!r}")
    attributes: dict[str, Any] = dict(getattr(value, "attributes", {}) or {})
    text = value.decode() if isinstance(value, bytes) else str(value)
    if any(mark in text for mark in "<[{") or text.endswith(">"):
        try:
            parsed = ypath_parser().parse_ypath(text)
        except Exception as error:
            raise YtLocalError(
                f"Error parsing YPath {text!r}: {error}", code=RESOLVE_ERROR
            ) from None
        attributes = {**dict(parsed.attributes), **attributes}
        text = str(parsed)
    if text.startswith("#"):
        text = _resolve_object_id(text, tree)
    return RichPath(parse_path(text), attributes)


def _resolve_object_id(text: str, tree: Tree) -> str:
    object_id, _, rest = text[1:].partition("/")
    found = tree.find_by_id(object_id)
    if found is None:
        raise resolve_error(text, f"No such object {object_id}")
    base = found[0] if found[0] != "/" else "/"
    if not rest:
        return base
    return (
        f"{base.rstrip('/')}/{rest}"
        if base != "/"
        else f"//{rest}"
        if not rest.startswith("@")
        else f"/{rest}"
    )
