"""Cypress commands: create, get, set, list, exists, remove, copy, move, lock, batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import new_id
from ytflow.localyt.formats import load_structured
from ytflow.localyt.locks import LockRequest
from ytflow.localyt.node_attributes import NODE_TYPES, node_attributes
from ytflow.localyt.registry import COMMANDS, Request, command
from ytflow.localyt.rich_paths import RichPath, parse_rich
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError, resolve_error

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


def _path(endpoint: Endpoint, request: Request, name: str = "path") -> tuple[RichPath, Tree]:
    tree = endpoint.state.view(request.transaction_id)
    return parse_rich(request.get(name), tree, name=name), tree


# What create refuses among its attributes (the client itself passes some others, e.g. in
# its upload of temporary files, which YT tolerates).
READ_ONLY_ON_CREATE = frozenset({"type", "row_count", "sorted", "chunk_count", "revision"})


TRANSACTIONS_MAP = "//sys/transactions"


def _transactions_map(endpoint: Endpoint, requested: list[Any]) -> Any:
    """``//sys/transactions``: each live transaction as an entity with its attributes."""
    names = [str(name) for name in requested]
    children: dict[str, Any] = {}
    for transaction_id, attributes in endpoint.state.transaction_listing().items():
        picked = {name: attributes[name] for name in names if name in attributes}
        children[transaction_id] = yson().to_yson_type(None, attributes=picked)
    return yson().to_yson_type(children, attributes={"type": "map_node"} if names else {})


def _write_locks(rich: RichPath) -> tuple[LockRequest, ...]:
    """The locks YT takes to change a node: exclusive on it plus shared on its parent by the
    child's key; to change one attribute, shared by that attribute's key."""
    path = rich.path
    if path.attribute is not None:
        if path.attribute:
            return (LockRequest(rich.key, "shared", attribute_key=path.attribute[0]),)
        return (LockRequest(rich.key, "exclusive"),)
    tokens: tuple[str, ...] = path.tokens
    if not tokens:
        return (LockRequest(rich.key, "exclusive"),)
    *parents, name = tokens
    parent = "//" + "/".join(parents) if parents else "/"
    return (
        LockRequest(rich.key, "exclusive"),
        LockRequest(parent, "shared", child_key=name),
    )


def _object_attributes(endpoint: Endpoint, value: Any) -> tuple[dict[str, Any], str] | None:
    """``#<id>[/@...]`` of a transaction or a lock names that object, not a node."""
    text = str(value or "")
    if not text.startswith("#"):
        return None
    object_id, _, rest = text[1:].partition("/")
    endpoint.state.expire()
    if object_id in endpoint.state.transactions:
        return endpoint.state.transaction_attributes(object_id), rest
    lock = endpoint.state.find_lock(object_id)
    if lock is not None:
        return {"type": "lock", **lock.describe(), "path": lock.request.path}, rest
    return None


@command("create")
def create(endpoint: Endpoint, request: Request) -> Any:
    node_type = str(request.get("type", ""))
    if node_type in ("transaction", "nested_transaction"):
        attributes = dict(request.get("attributes") or {})
        parent = request.transaction_id
        timeout = attributes.pop("timeout", None)
        return {"node_id": endpoint.state.start(parent, timeout, attributes)}
    if node_type not in NODE_TYPES:
        raise YtLocalError(
            f"local-yt cannot create nodes of type {node_type!r}; "
            f"it supports {', '.join(NODE_TYPES)}",
            attributes={"type": node_type},
        )
    rich, tree = _path(endpoint, request)
    existing = tree.find(rich.path)
    if request.get("ignore_existing") and existing is not None and existing.type == node_type:
        # A no-op on a cluster: no lock is taken, so concurrent writers may all ask for it.
        return {"node_id": existing.id}
    node_id = new_id()
    attributes = dict(request.get("attributes") or {})
    for name in attributes:
        if name in READ_ONLY_ON_CREATE and not (name == "type" and attributes[name] == node_type):
            raise YtLocalError(
                f"Cannot create {rich.key}: attribute {name!r} is read-only",
                attributes={"path": rich.key, "attribute": name},
            )
    attributes.pop("type", None)  # equal to the node's type (checked above)
    schema = attributes.get("schema")
    if node_type == "table" and schema is not None:
        sorted_by = [str(column["name"]) for column in schema if column.get("sort_order")]
        if sorted_by:
            attributes["sorted_by"] = sorted_by

    def mutation(tree: Tree) -> str:
        return tree.create(
            rich.path,
            node_type,
            node_id,
            attributes=attributes,
            recursive=bool(request.get("recursive", False)),
            ignore_existing=bool(request.get("ignore_existing", False)),
            force=bool(request.get("force", False)),
        )

    created = endpoint.state.mutate(request.transaction_id, mutation, locks=_write_locks(rich))
    return {"node_id": created}


@command("get", volatile=False)
def get(endpoint: Endpoint, request: Request) -> Any:
    tx_object = _object_attributes(endpoint, request.get("path"))
    if tx_object is not None:
        attributes, rest = tx_object
        if not rest:
            return {"value": yson().YsonEntity()}
        name = rest.lstrip("@")
        if not name:
            return {"value": attributes}
        if name not in attributes:
            raise resolve_error(str(request.get("path")), f"Attribute {name!r} is not found")
        return {"value": attributes[name]}
    rich, tree = _path(endpoint, request)
    if rich.key == TRANSACTIONS_MAP and rich.path.attribute is None:
        return {"value": _transactions_map(endpoint, request.get_list("attributes"))}
    attribute = rich.path.attribute
    if attribute and attribute[0] in ("locks", "lock_count") and len(attribute) == 1:
        tree.resolve(rich.path)
        locks = endpoint.state.locks_on(rich.key)
        return {"value": locks if attribute[0] == "locks" else len(locks)}
    requested = request.get("attributes")
    names = [str(name) for name in requested] if requested else None
    return {"value": tree.get(rich.path, names)}


@command("set", input_type="structured")
def set_(endpoint: Endpoint, request: Request) -> Any:
    rich, _ = _path(endpoint, request)
    value = load_structured(request.body, request.get("input_format"))

    def mutation(tree: Tree) -> None:
        tree.set(
            rich.path,
            value,
            recursive=bool(request.get("recursive", False)),
            force=bool(request.get("force", False)),
        )

    endpoint.state.mutate(request.transaction_id, mutation, locks=_write_locks(rich))
    return {}


@command("multiset_attributes", input_type="structured")
def multiset_attributes(endpoint: Endpoint, request: Request) -> Any:
    rich, _ = _path(endpoint, request)
    values = load_structured(request.body, request.get("input_format"))
    if not isinstance(values, dict):
        raise YtLocalError("multiset_attributes takes a map of attributes")
    items: dict[str, Any] = dict(values)  # type: ignore[arg-type]

    def mutation(tree: Tree) -> None:
        for name, value in items.items():
            tree.set(parse_rich(f"{rich.key}/@{name}", tree).path, value)

    locks = tuple(LockRequest(rich.key, "shared", attribute_key=name) for name in items)
    endpoint.state.mutate(request.transaction_id, mutation, locks=locks)
    return {}


@command("list", volatile=False)
def list_(endpoint: Endpoint, request: Request) -> Any:
    rich, tree = _path(endpoint, request)
    if rich.key == TRANSACTIONS_MAP and rich.path.attribute is None:
        return {"value": list(endpoint.state.transaction_listing())}
    requested = [str(name) for name in request.get_list("attributes")]
    limit = request.get("max_size")
    children = tree.list(rich.path)
    incomplete = limit is not None and len(children) > int(limit)
    if limit is not None:
        children = children[: int(limit)]
    items: list[Any] = []
    for name, node in children:
        if requested:
            everything = node_attributes(node)
            picked = {key: everything[key] for key in requested if key in everything}
            items.append(yson().to_yson_type(name, attributes=picked))
        else:
            items.append(name)
    value = yson().to_yson_type(items, attributes={"incomplete": True}) if incomplete else items
    return {"value": value}


@command("exists", volatile=False)
def exists(endpoint: Endpoint, request: Request) -> Any:
    tx_object = _object_attributes(endpoint, request.get("path"))
    if tx_object is not None:
        return {"value": True}
    if str(request.get("path") or "").startswith("#"):
        tree = endpoint.state.view(request.transaction_id)
        try:
            rich = parse_rich(request.get("path"), tree)
        except YtLocalError:
            return {"value": False}
        return {"value": tree.exists(rich.path)}
    rich, tree = _path(endpoint, request)
    return {"value": tree.exists(rich.path)}


@command("remove")
def remove(endpoint: Endpoint, request: Request) -> Any:
    rich, _ = _path(endpoint, request)

    def mutation(tree: Tree) -> None:
        tree.remove(
            rich.path,
            recursive=bool(request.get("recursive", True)),
            force=bool(request.get("force", False)),
        )

    endpoint.state.mutate(request.transaction_id, mutation, locks=_write_locks(rich))
    return {}


@command("copy")
def copy(endpoint: Endpoint, request: Request) -> Any:
    source, tree = _path(endpoint, request, "source_path")
    destination = parse_rich(request.get("destination_path"), tree, name="destination_path")
    if request.get("force") and request.get("ignore_existing"):
        raise YtLocalError(
            "Cannot specify both 'force' and 'ignore_existing' for copy",
            attributes={"destination_path": destination.key},
        )
    seed = new_id()

    def mutation(tree: Tree) -> str:
        return tree.copy(
            source.path,
            destination.path,
            recursive=bool(request.get("recursive", False)),
            force=bool(request.get("force", False)),
            ignore_existing=bool(request.get("ignore_existing", False)),
            preserve_creation_time=bool(request.get("preserve_creation_time", False)),
            id_seed=seed,
        )

    locks = ((source.key, "snapshot"), *_write_locks(destination))
    return {"node_id": endpoint.state.mutate(request.transaction_id, mutation, locks=locks)}


@command("move")
def move(endpoint: Endpoint, request: Request) -> Any:
    source, tree = _path(endpoint, request, "source_path")
    destination = parse_rich(request.get("destination_path"), tree, name="destination_path")

    def mutation(tree: Tree) -> str:
        return tree.move(
            source.path,
            destination.path,
            recursive=bool(request.get("recursive", False)),
            force=bool(request.get("force", False)),
        )

    locks = (*_write_locks(source), *_write_locks(destination))
    return {"node_id": endpoint.state.mutate(request.transaction_id, mutation, locks=locks)}


@command("lock")
def lock(endpoint: Endpoint, request: Request) -> Any:
    rich, tree = _path(endpoint, request)
    node = tree.resolve(rich.path)
    child_key = request.get("child_key")
    attribute_key = request.get("attribute_key")
    wanted = LockRequest(
        rich.key,
        str(request.get("mode", "exclusive")),
        child_key=str(child_key) if child_key is not None else None,
        attribute_key=str(attribute_key) if attribute_key is not None else None,
    )
    lock_id = endpoint.state.lock_node(request.transaction_id, wanted)
    return {"lock_id": lock_id, "node_id": node.id, "revision": node_attributes(node)["revision"]}


@command("unlock")
def unlock(endpoint: Endpoint, request: Request) -> Any:
    rich, tree = _path(endpoint, request)
    tree.resolve(rich.path)
    endpoint.state.unlock_node(request.transaction_id, rich.key)
    return {}


@command("execute_batch")
def execute_batch(endpoint: Endpoint, request: Request) -> Any:
    """Run each request in turn; each gets its own result or error, as on a cluster."""
    results: list[dict[str, Any]] = []
    for item in request.get_list("requests"):
        batch_item: dict[str, Any] = dict(item)
        name = str(batch_item.get("command"))
        params: dict[str, Any] = dict(batch_item.get("parameters") or {})
        spec = COMMANDS.get(name)
        try:
            if spec is None or spec.handler is None:
                raise YtLocalError(
                    f"Command {name!r} is not supported in execute_batch by local-yt"
                )
            body = b""
            if "input" in batch_item:
                body = yson().dumps(batch_item["input"], yson_format="binary")
                params.setdefault("input_format", "yson")
            output = spec.handler(endpoint, Request(command=name, params=params, body=body))
            if params.get("return_only_value") and isinstance(output, dict) and "value" in output:
                output = output["value"]  # pyright: ignore[reportUnknownVariableType]
            results.append({"output": output} if output not in (None, {}) else {})
        except YtLocalError as error:
            results.append({"error": error.to_yt()})
    return {"results": results}
