"""Reading YAML config files into plain mappings, with errors that point at the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from ytflow.errors import ConfigError

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def load_yaml_mapping(path: Path, *, display: str, allow_empty: bool = True) -> dict[str, Any]:
    """Parse ``path`` and return its top-level mapping; ``display`` is how errors name it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=display) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the file ({error})", file=display) from None
    try:
        data = yaml.load(text, Loader=_Loader)
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
