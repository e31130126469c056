"""Reading YAML config files into plain mappings, with errors that point at the line.

The document is composed into YAML's node graph first and measured before any Python object
is built: aliases share nodes, so a "billion laughs" file is tiny as a graph but explodes when
walked (validated, copied, logged). Anything too deep, too large once aliases are expanded,
or recursive is refused naming the file, in time and memory proportional to the file's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from ytflow.errors import ConfigError

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_DEPTH = 100
"""Deepest nesting of mappings and lists a config may have (YT's own limit on nodes is 256)."""

MAX_EXPANDED_NODES = 100_000
"""Values a config may hold once its aliases are expanded; only aliases can get near it."""

_LIMIT_HINT = "write the values out, or use fewer and flatter aliases (*name)"


def load_yaml_mapping(path: Path, *, display: str, allow_empty: bool = True) -> dict[str, Any]:
    """Parse ``path`` and return its top-level mapping; ``display`` is how errors name it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=display) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the file ({error})", file=display) from None
    data = parse_yaml(text, display=display)
    if data is None:
        if allow_empty:
            return {}
        raise ConfigError("the file is empty", file=display)
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys, got {type(data).__name__}", file=display
        )
    mapping = cast("dict[Any, Any]", data)
    for key in mapping:
        if not isinstance(key, str):
            raise ConfigError(f"keys must be strings, got {key!r}", file=display)
    return mapping


def parse_yaml(text: str, *, display: str) -> Any:
    """One YAML document as Python values, after checking its shape; ``ConfigError`` if bad."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_shape(node, display)
        return loader.construct_document(node)  # pyright: ignore[reportUnknownVariableType]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(
            f"{where}invalid YAML: {error.problem or error}",
            file=display,
            hint="check indentation and quoting around that line",
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid YAML: {error}", file=display) from None
    except ConfigError:
        raise
    except Exception as error:  # building values runs no user code: any failure is the file's
        # PyYAML's constructors raise raw ValueError, KeyError, AttributeError, ... for
        # well-formed but impossible scalars (2020-02-30, !!int x, !!bool maybe, !!timestamp).
        raise ConfigError(
            f"invalid value: a value does not fit its type or tag ({type(error).__name__}: "
            f"{error})",
            file=display,
            hint="quote the value to keep it a string, or fix the date or number",
        ) from None
    finally:
        loader.dispose()


def _check_shape(root: yaml.Node, display: str) -> None:
    """Refuse recursive aliases, nesting over ``MAX_DEPTH`` and expansion over the limit.

    An iterative post-order walk that visits each distinct node once and memoizes its
    expanded size and height, so the check never does the expansion it guards against.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            on_path.discard(key)
            heights[key] = 1 + max((heights[id(child)] for child in children), default=0)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if heights[key] > MAX_DEPTH:
                raise ConfigError(
                    f"{_line(node)}values are nested more than {MAX_DEPTH} levels deep",
                    file=display,
                    hint="flatten the structure",
                )
            if sizes[key] > MAX_EXPANDED_NODES:
                raise ConfigError(
                    f"{_line(node)}aliases expand this value to more than "
                    f"{MAX_EXPANDED_NODES:,} values (an alias bomb?)",
                    file=display,
                    hint=_LIMIT_HINT,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ConfigError(
                f"{_line(node)}an alias refers to a value that contains it (a recursive alias)",
                file=display,
                hint=_LIMIT_HINT,
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        pairs = cast("list[tuple[yaml.Node, yaml.Node]]", node.value)
        return [part for pair in pairs for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return cast("list[yaml.Node]", node.value)
    return []


def _line(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}: " if mark is not None else ""
