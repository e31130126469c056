"""Turn pydantic validation failures into one ``ConfigError`` that names file, key and fix.

Shared by the pipeline config and the operation configs so every config mistake reads the
same way: ``configs/config.yaml, key 'pipeline.mod': unknown key; did you mean 'mode'?``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ytflow.errors import ConfigError, YtflowError

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_config(
    model: type[ModelT], data: Any, *, file: str | None, key_prefix: str = ""
) -> ModelT:
    """Validate ``data`` against ``model``; raise ``ConfigError`` listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise config_error_from(error, model, file=file, key_prefix=key_prefix) from None


def config_error_from(
    error: ValidationError, model: type[BaseModel], *, file: str | None, key_prefix: str = ""
) -> ConfigError:
    """One readable ``ConfigError`` out of all of pydantic's error entries."""
    problems = [_describe(entry, model, key_prefix) for entry in error.errors()]
    where = file or "config"
    if len(problems) == 1:
        key, text = problems[0]
        return ConfigError(text, file=file, key=key or None)
    lines = "\n".join(
        f"  - key '{key}': {text}" if key else f"  - {text}" for key, text in problems
    )
    return ConfigError(f"{where} has {len(problems)} problems:\n{lines}")


def unknown_key_text(bad: str, allowed: list[str]) -> str:
    """``unknown key; did you mean 'mode'? Allowed keys here: mode, ...`` (or without the guess)."""
    close = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
    listed = ", ".join(allowed)
    if close:
        return f"unknown key; did you mean '{close[0]}'?" + (
            f" Allowed keys here: {listed}." if allowed else ""
        )
    return f"unknown key; allowed keys here: {listed}." if allowed else "unknown key"


def join_key(prefix: str, loc: tuple[int | str, ...]) -> str:
    """``('stages', 'enabled_stages', 1)`` -> ``stages.enabled_stages[1]``."""
    key = prefix
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key = f"{key}.{part}" if key else str(part)
    return key


def _describe(entry: Any, model: type[BaseModel], key_prefix: str) -> tuple[str, str]:
    loc: tuple[int | str, ...] = tuple(entry["loc"])
    kind: str = entry["type"]
    key = join_key(key_prefix, loc)
    if kind == "extra_forbidden":
        allowed = _field_names(_model_at(model, loc[:-1]))
        bad = str(loc[-1])
        return key, unknown_key_text(bad, allowed)
    if kind == "missing":
        return key, "is required but missing"
    cause = entry.get("ctx", {}).get("error")
    if isinstance(cause, YtflowError):
        return key, f"{cause.message} ({cause.hint})" if cause.hint else cause.message
    message: str = entry["msg"]
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = entry.get("input")
    if not isinstance(value, Mapping) and repr(value) not in message:
        message += f" (got {value!r})"
    return key, message


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The nested model class that ``loc`` points into, if it can be found."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _find_model(field.annotation)
    return current


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _find_model(typing.get_args(annotation)[0])
    if origin in {typing.Union, types.UnionType, list, tuple}:
        for argument in typing.get_args(annotation):
            found = _find_model(argument)
            if found is not None:
                return found
    return None
