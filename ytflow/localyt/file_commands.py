"""File commands: write_file, read_file, and the file cache the client uploads jobs through."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress import Tree
from ytflow.localyt.cypress_nodes import new_id
from ytflow.localyt.registry import Request, Streamed, command
from ytflow.localyt.rich_paths import parse_rich
from ytflow.localyt.yt_errors import YtLocalError, resolve_error

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


@command("write_file", input_type="binary", heavy=True)
def write_file(endpoint: Endpoint, request: Request) -> Any:
    tree = endpoint.state.view(request.transaction_id)
    rich = parse_rich(request.get("path"), tree)
    append = bool(rich.attributes.get("append", False))
    node = tree.find(rich.path)
    if node is None:
        raise resolve_error(rich.path.text)
    if node.type != "file":
        raise YtLocalError(f"{rich.path.text} is a {node.type}, not a file")
    chunk = endpoint.state.chunks.write([request.body])
    compute_md5 = bool(request.get("compute_md5", False)) and not append
    digest = hashlib.md5(request.body, usedforsecurity=False).hexdigest() if compute_md5 else None

    def mutation(tree: Tree) -> None:
        tree.replace_data(rich.path, [chunk], append=append)
        target = tree.resolve(rich.path)
        if digest is not None:
            target.attributes["md5"] = digest
        elif append:
            target.attributes.pop("md5", None)

    mode = "shared" if append else "exclusive"
    endpoint.state.mutate(request.transaction_id, mutation, locks=((rich.key, mode),))
    return {}


@command("read_file", output_type="binary", volatile=False, heavy=True)
def read_file(endpoint: Endpoint, request: Request) -> Any:
    tree = endpoint.state.view(request.transaction_id)
    rich = parse_rich(request.get("path"), tree)
    node = tree.resolve(rich.path)
    if node.type != "file":
        raise YtLocalError(f"{rich.path.text} is a {node.type}, not a file")
    data = b"".join(endpoint.state.chunks.read_all(chunk) for chunk in node.chunks)
    offset = int(request.get("offset") or 0)
    length = request.get("length")
    data = data[offset : offset + int(length)] if length is not None else data[offset:]
    return Streamed(iter([data]))


def _cache_path(request: Request, md5: str) -> str:
    cache = str(request.get("cache_path") or "").rstrip("/")
    if not cache:
        raise YtLocalError(f"{request.command} needs the 'cache_path' parameter")
    return f"{cache}/{md5[-2:]}/{md5}"


@command("get_file_from_cache", volatile=False)
def get_file_from_cache(endpoint: Endpoint, request: Request) -> Any:
    md5 = str(request.get("md5") or "")
    target = _cache_path(request, md5)
    tree = endpoint.state.view(request.transaction_id)
    node = tree.find(parse_rich(target, tree).path)
    if node is None or node.attributes.get("md5") != md5:
        return ""
    return target


@command("put_file_to_cache")
def put_file_to_cache(endpoint: Endpoint, request: Request) -> Any:
    md5 = str(request.get("md5") or "")
    tree = endpoint.state.view(request.transaction_id)
    source = parse_rich(request.get("path"), tree)
    node = tree.resolve(source.path)
    if node.attributes.get("md5") != md5:
        raise YtLocalError(
            f"MD5 mismatch for {source.path.text}: the file has {node.attributes.get('md5')!r}, "
            f"the request says {md5!r}",
            attributes={"hint": "write the file with compute_md5=%true"},
        )
    target = parse_rich(_cache_path(request, md5), tree)
    seed = new_id()

    def mutation(tree: Tree) -> None:
        tree.copy(source.path, target.path, recursive=True, force=True, id_seed=seed)

    endpoint.state.mutate(request.transaction_id, mutation, locks=((target.key, "exclusive"),))
    return target.key
