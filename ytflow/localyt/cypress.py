"""The Cypress tree: nodes, paths, attributes, and the mutations commands apply to it.

A tree is plain data (``Node`` objects); it knows nothing of HTTP, transactions or disk. The
state layer keeps one committed tree and derives each transaction's view by replaying that
transaction's mutations on a copy, so every method here must be deterministic given its
arguments (node ids are chosen by the caller).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ytflow.localyt.cypress_nodes import Chunk, CypressPath, Node, new_id, now_iso
from ytflow.localyt.node_attributes import (
    COMPUTED_ATTRIBUTES,
    SCALAR_TYPES,
    SETTABLE_SYSTEM,
    node_attributes,
    render,
)
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import (
    ALREADY_EXISTS,
    YtLocalError,
    already_exists,
    resolve_error,
)


class Tree:
    """One version of Cypress: the committed one, or a transaction's view."""

    def __init__(self, root: Node | None = None) -> None:
        self.root = root or Node(id=new_id(), type="map_node")

    def clone(self) -> Tree:
        return Tree(copy.deepcopy(self.root))

    # -- lookup -----------------------------------------------------------------------------

    def find(self, path: CypressPath) -> Node | None:
        node = self.root
        for token in path.tokens:
            if node.type != "map_node" or token not in node.children:
                return None
            node = node.children[token]
        return node

    def resolve(self, path: CypressPath) -> Node:
        node = self.root
        walked = ""
        for token in path.tokens:
            if node.type != "map_node":
                raise resolve_error(path.text, f"Node //{walked} cannot have children")
            child = node.children.get(token)
            if child is None:
                raise resolve_error(path.text, f"Node //{walked} has no child with key {token!r}")
            node = child
            walked = f"{walked}/{token}" if walked else token
        return node

    def find_by_id(self, node_id: str) -> tuple[str, Node] | None:
        stack: list[tuple[str, Node]] = [("/", self.root)]
        while stack:
            text, node = stack.pop()
            if node.id == node_id:
                return text, node
            prefix = "//" if text == "/" else text + "/"
            stack.extend((f"{prefix}{name}", child) for name, child in node.children.items())
        return None

    def exists(self, path: CypressPath) -> bool:
        node = self.find(path)
        if node is None or path.attribute is None:
            return node is not None
        try:
            self._attribute_value(node, path)
        except YtLocalError:
            return False
        return True

    # -- mutations --------------------------------------------------------------------------

    def create(
        self,
        path: CypressPath,
        node_type: str,
        node_id: str,
        *,
        attributes: dict[str, Any] | None = None,
        recursive: bool = False,
        ignore_existing: bool = False,
        force: bool = False,
    ) -> str:
        if not path.tokens:
            if ignore_existing:
                return self.root.id
            raise already_exists("/")
        parent = self._parent_for_create(path, recursive)
        name = path.tokens[-1]
        existing = parent.children.get(name)
        if existing is not None:
            if ignore_existing and existing.type == node_type:
                return existing.id
            if ignore_existing:
                raise YtLocalError(
                    f"{path.text} already exists and has type {existing.type!r} while node of "
                    f"{node_type!r} type is about to be created",
                    code=ALREADY_EXISTS,
                )
            if not force:
                raise already_exists(path.text)
        node = Node(id=node_id, type=node_type, attributes=dict(attributes or {}))
        node.modification_time = node.creation_time
        if node_type == "document":
            node.value = node.attributes.pop("value", {})
        parent.children[name] = node
        parent.touch()
        return node.id

    def set(
        self, path: CypressPath, value: Any, *, recursive: bool = False, force: bool = False
    ) -> None:
        if path.attribute is not None:
            node = self.resolve(path)
            self._set_attribute(node, path, value)
            return
        node = self.find(path)
        if (
            node is not None and node.type in ("map_node", "list_node", *SCALAR_TYPES)
        ) or node is None:
            built = build_node(value)
            if node is None:
                parent = self._parent_for_create(path, recursive)
                parent.children[path.tokens[-1]] = built
                parent.touch()
                return
            if not path.tokens:
                self.root = built
                return
            parent = self.resolve(_parent_path(path))
            built.id, built.attributes, built.creation_time = (
                node.id,
                node.attributes,
                node.creation_time,
            )
            parent.children[path.tokens[-1]] = built
            return
        if node.type == "document":
            node.value = value
            node.touch()
            return
        if not force:
            raise YtLocalError(f"Cannot set the value of {node.type} {path.text}", code=1)

    def remove(self, path: CypressPath, *, recursive: bool = True, force: bool = False) -> None:
        if path.attribute is not None:
            node = self.find(path)
            if node is None:
                if force:
                    return
                raise resolve_error(path.text)
            if len(path.attribute) == 1 and path.attribute[0] in node.attributes:
                del node.attributes[path.attribute[0]]
                return
            if force:
                return
            raise resolve_error(path.text, f"Attribute {'/'.join(path.attribute)!r} is not found")
        if not path.tokens:
            raise YtLocalError("Cannot remove the root", code=1)
        node = self.find(path)
        if node is None:
            if force:
                return
            raise resolve_error(path.text)
        if node.children and not recursive:
            raise YtLocalError(f"Cannot remove non-empty composite node {path.text}", code=1)
        parent = self.resolve(_parent_path(path))
        del parent.children[path.tokens[-1]]
        parent.touch()

    def copy(
        self,
        source: CypressPath,
        destination: CypressPath,
        *,
        recursive: bool = False,
        force: bool = False,
        ignore_existing: bool = False,
        preserve_creation_time: bool = False,
        id_seed: str,
    ) -> str:
        node = self.resolve(source)
        if destination.tokens[: len(source.tokens)] == source.tokens:
            raise YtLocalError(f"Cannot copy or move a node to its descendant: {destination.text}")
        existing = self.find(destination)
        if existing is not None:
            if ignore_existing:
                return existing.id
            if not force:
                raise already_exists(destination.text)
        clone = copy.deepcopy(node)
        _renumber(clone, id_seed)
        if not preserve_creation_time:
            stamp = now_iso()
            clone.creation_time = clone.modification_time = stamp
        parent = self._parent_for_create(destination, recursive)
        parent.children[destination.tokens[-1]] = clone
        parent.touch()
        return clone.id

    def move(
        self,
        source: CypressPath,
        destination: CypressPath,
        *,
        recursive: bool = False,
        force: bool = False,
    ) -> str:
        node = self.resolve(source)
        if destination.tokens[: len(source.tokens)] == source.tokens:
            raise YtLocalError(f"Cannot copy or move a node to its descendant: {destination.text}")
        if self.find(destination) is not None and not force:
            raise already_exists(destination.text)
        parent = self._parent_for_create(destination, recursive)
        self.remove(source)
        parent.children[destination.tokens[-1]] = node
        parent.touch()
        return node.id

    def replace_data(self, path: CypressPath, chunks: list[Chunk], *, append: bool) -> None:
        node = self.resolve(path)
        node.chunks = [*node.chunks, *chunks] if append else list(chunks)
        node.touch()

    # -- reads ------------------------------------------------------------------------------

    def get(self, path: CypressPath, attributes: list[str] | None = None) -> Any:
        node = self.resolve(path)
        if path.attribute is not None:
            value = self._attribute_value(node, path)
            if not path.attribute and attributes is not None:  # get //t/@ with a filter
                return {name: value[name] for name in attributes if name in value}
            return value
        return render(node, attributes)

    def list(self, path: CypressPath) -> list[tuple[str, Node]]:
        node = self.resolve(path)
        if node.type != "map_node":
            raise YtLocalError(f"Cannot list {node.type} {path.text}: it is not a map node", code=1)
        return sorted(node.children.items())

    # -- helpers ----------------------------------------------------------------------------

    def _parent_for_create(self, path: CypressPath, recursive: bool) -> Node:
        node = self.root
        for index, token in enumerate(path.tokens[:-1]):
            child = node.children.get(token) if node.type == "map_node" else None
            if child is None:
                if node.type != "map_node":
                    raise resolve_error(path.text, f"Node {token!r} has no children")
                if not recursive:
                    walked = "//" + "/".join(path.tokens[:index])
                    raise resolve_error(path.text, f"Node {walked} has no child with key {token!r}")
                child = Node(id=new_id(), type="map_node")
                node.children[token] = child
            node = child
        if node.type != "map_node":
            raise YtLocalError(f"Cannot create a child of {node.type} {path.parent_text}", code=1)
        return node

    def _attribute_value(self, node: Node, path: CypressPath) -> Any:
        assert path.attribute is not None
        everything = node_attributes(node)
        if not path.attribute:
            return everything
        value: Any = everything
        for token in path.attribute:
            if isinstance(value, dict) and token in value:
                mapping: dict[str, Any] = value  # type: ignore[assignment]
                value = mapping[token]
            elif isinstance(value, list) and token.lstrip("-").isdigit():
                items: list[Any] = value  # type: ignore[assignment]
                index = int(token)
                if not -len(items) <= index < len(items):
                    raise resolve_error(path.text, f"Index {token} is out of range")
                value = items[index]
            else:
                raise resolve_error(
                    path.text, f"Attribute {'/'.join(path.attribute)!r} is not found"
                )
        return value

    def _set_attribute(self, node: Node, path: CypressPath, value: Any) -> None:
        assert path.attribute is not None
        if not path.attribute:
            if not isinstance(value, dict):
                raise YtLocalError("Setting all attributes requires a map", code=1)
            node.attributes = dict(value)  # type: ignore[arg-type]
            return
        name = path.attribute[0]
        if name in COMPUTED_ATTRIBUTES and name not in SETTABLE_SYSTEM:
            raise YtLocalError(f"Attribute {name!r} cannot be set", code=1)
        if len(path.attribute) == 1:
            if name == "value" and node.type == "document":
                node.value = value
            else:
                node.attributes[name] = value
            node.touch()
            return
        target: Any = node.attributes.setdefault(name, {})
        for token in path.attribute[1:-1]:
            target = _child_map(target, token)
            if target is None:
                raise resolve_error(path.text)
        if not isinstance(target, dict):
            raise resolve_error(path.text)
        target[path.attribute[-1]] = value
        node.touch()


def build_node(value: Any) -> Node:
    """The node ``set`` creates for a value: map and list nodes, or a typed scalar."""
    if isinstance(value, dict):
        node = Node(id=new_id(), type="map_node")
        items: dict[Any, Any] = value  # type: ignore[assignment]
        node.children = {_key_text(key): build_node(child) for key, child in items.items()}
        return node
    if isinstance(value, list):
        return Node(id=new_id(), type="list_node", value=value)
    return Node(id=new_id(), type=_scalar_type(value), value=value)


def _key_text(key: Any) -> str:
    """A map key as a node name; local-yt keeps names as text, so they must be UTF-8."""
    if isinstance(key, bytes):
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return str(key)
        except TypeError:  # yt.yson's proxy for a non-UTF-8 string refuses str()
            pass
    raise YtLocalError(
        "local-yt supports only UTF-8 node names",
        attributes={"key": bytes(yson().get_bytes(key)).decode("latin-1")},
    )


def _scalar_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean_node"
    if isinstance(value, yson().YsonUint64):
        return "uint64_node"
    if isinstance(value, int):
        return "int64_node"
    if isinstance(value, float):
        return "double_node"
    if value is None or isinstance(value, yson().YsonEntity):
        return "document"
    return "string_node"


def _child_map(target: Any, token: str) -> Any:
    if not isinstance(target, dict):
        return None
    mapping: dict[str, Any] = target  # type: ignore[assignment]
    return mapping.setdefault(token, {})


def _parent_path(path: CypressPath) -> CypressPath:
    return CypressPath(path.parent_text, path.tokens[:-1], None)


def _renumber(node: Node, seed: str) -> None:
    node.id = f"{seed}-{uuid.uuid5(uuid.NAMESPACE_OID, seed + node.id).hex[:8]}"
    for child in node.children.values():
        _renumber(child, seed)
