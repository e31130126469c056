"""YT table paths: the checks the cluster would make, shared by every backend.

A table path is a Cypress path such as ``//tmp/my_pipeline/data``. ytflow accepts plain paths
only (no YPath attributes, column selectors or row ranges), so that one string means the same
table in dev and prod.
"""

from __future__ import annotations

from typing import Any

from ytflow.errors import YtPathError

# Characters that start YPath syntax (attributes, ranges, columns, escapes) or cannot be stored.
_SPECIAL = set("<>[]{}@&*\\") | {chr(code) for code in range(32)} | {"\x7f"}
_PLAIN_PATH_HINT = (
    "write a plain Cypress path such as //home/project/table; ranges, column selectors and "
    "attributes are not part of a ytflow table path"
)


def validate_table_path(path: Any, *, what: str = "table path") -> str:
    """Return ``path`` unchanged if YT would accept it as a table, else raise ``YtPathError``."""
    if not isinstance(path, str):
        raise YtPathError(
            f"{what} must be a string such as //tmp/my_pipeline/data, got {type(path).__name__}"
        )
    if not path.startswith("//"):
        raise YtPathError(
            f"{what} {path!r} is not a YT path: it must start with '//'",
            hint=f"did you mean '//{path.lstrip('/')}'?" if path else _PLAIN_PATH_HINT,
        )
    components = path[2:].split("/")
    for position, component in enumerate(components):
        if component == "":
            reason = (
                "ends with '/'" if position == len(components) - 1 else "has an empty component"
            )
            raise YtPathError(f"{what} {path!r} {reason}", hint=_PLAIN_PATH_HINT)
        if component in {".", ".."}:
            raise YtPathError(
                f"{what} {path!r} contains {component!r}; YT paths have no relative components",
                hint=_PLAIN_PATH_HINT,
            )
        bad = sorted(set(component) & _SPECIAL)
        if bad:
            raise YtPathError(
                f"{what} {path!r} contains {', '.join(repr(char) for char in bad)}",
                hint=_PLAIN_PATH_HINT,
            )
        try:
            component.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no text YT (or a file name) can hold
            raise YtPathError(
                f"{what} {path!r} is not valid Unicode text (it holds a lone surrogate)",
                hint="build the path from decoded text; YT paths are UTF-8 strings",
            ) from None
    return path


def table_name(path: str) -> str:
    """The last component of a validated path: the table's base name."""
    return path.rsplit("/", 1)[-1]
