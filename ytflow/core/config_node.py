"""Attribute access over a loaded YAML mapping, with errors that name the file and key.

``self.config.client.operations.map`` reads like the YAML it came from; a typo raises an
``AttributeError`` that says which file, which key, and what was meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, cast


class ConfigNode(Mapping[str, Any]):
    """A read-only mapping whose keys are also attributes; nested mappings are nodes too.

    Config keys win over the mapping's own methods: a key named ``items`` or ``get`` is read
    as data (``self.config.items``); ``node["items"]`` and ``to_plain(node)`` always work.
    """

    __slots__ = ("_data", "_key", "_models", "_source")

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            data = object.__getattribute__(self, "_data")
            if name in data:
                return object.__getattribute__(self, "__getitem__")(name)
        return object.__getattribute__(self, name)

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        source: str | None = None,
        key: str = "",
        models: dict[str, Any] | None = None,
    ) -> None:
        self._data = dict(data)
        self._source = source
        self._key = key
        self._models = {} if models is None else models  # shared by the whole tree

    @property
    def source(self) -> str | None:
        """The file this node was loaded from."""
        return self._source

    @property
    def key(self) -> str:
        """This node's dotted key inside its file ('' for the top)."""
        return self._key

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(str(error.args[0])) from None

    def __getitem__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise KeyError(self._missing(name)) from None
        return self._wrap(self._child_key(name), value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ConfigNode({self._data!r})"

    def to_dict(self) -> dict[str, Any]:
        """A plain deep copy (for passing to code that wants dicts and lists)."""
        return to_plain(self)

    def _child_key(self, name: str) -> str:
        return f"{self._key}.{name}" if self._key else name

    def _wrap(self, key: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return ConfigNode(value, source=self._source, key=key, models=self._models)  # type: ignore[arg-type]
        if isinstance(value, list):
            items = cast("list[Any]", value)
            return [self._wrap(f"{key}[{index}]", item) for index, item in enumerate(items)]
        return value

    def _missing(self, name: str) -> str:
        where = f"{self._source}: " if self._source else ""
        message = f"{where}no key '{self._child_key(name)}'"
        keys = [str(key) for key in self._data]
        close = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        if keys:
            listed = ", ".join(keys)
            message += f" Keys here: {listed}." if close else f"; keys here: {listed}."
        else:
            message += "; this mapping is empty"
        return message


def node_origin(node: ConfigNode) -> tuple[str | None, str]:
    """The file and dotted key a node came from (works whatever keys the config has)."""
    return object.__getattribute__(node, "_source"), object.__getattribute__(node, "_key")


def validated_model(node: ConfigNode) -> Any | None:
    """The model this node was validated into when its file was loaded, if any.

    Operation blocks are validated once, at load, so a run reuses that model instead of
    validating the same YAML again.
    """
    models = object.__getattribute__(node, "_models")
    return models.get(object.__getattribute__(node, "_key"))


def to_plain(value: Any) -> Any:
    """Nodes and lists of nodes as plain dicts and lists (a deep copy)."""
    if isinstance(value, Mapping):
        mapping = cast("Mapping[Any, Any]", value)
        # Iterate and index (dunder methods): a config key named "items" must not interfere.
        return {key: to_plain(mapping[key]) for key in mapping}
    if isinstance(value, list):
        items = cast("list[Any]", value)
        return [to_plain(item) for item in items]
    return value
