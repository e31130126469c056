"""The ``LocalYt`` Python API (start, stop, URL, client config, root lock) and the docs' table.

The server part is driven only through the unmodified ytsaurus-client.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.errors import UsageError
from ytflow.localyt import LocalYt, doc_table
from ytflow.localyt.registry import COMMANDS
from ytflow.localyt.root_lock import RootInUseError

DOC = Path(__file__).resolve().parents[1] / "docs" / "local-yt.md"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("flavor", ["yson", "json"])
def test_with_block_serves_the_client_and_stops(tmp_path: Path, flavor: str) -> None:
    with LocalYt(tmp_path / "root") as local:
        assert local.running
        assert local.port > 0
        assert local.proxy_url == f"http://127.0.0.1:{local.port}"
        assert repr(local) == f"LocalYt({str(tmp_path / 'root')!r}, {local.proxy_url})"
        client = make_client(local, flavor)
        client.write_table("//tmp/t", [{"k": "v"}])
        assert list(client.read_table("//tmp/t")) == [{"k": "v"}]
        port = local.port
    assert not local.running
    assert "stopped" in repr(local)
    with pytest.raises(RuntimeError, match="not running"):
        _ = local.proxy_url
    with socket.socket() as probe:  # the port is closed once the block ends
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_client_config_is_all_the_client_needs_and_takes_overrides(tmp_path: Path) -> None:
    with LocalYt(tmp_path / "root") as local:
        config = local.client_config(structured_data_format="json")
        assert config["proxy"]["url"] == local.proxy_url
        assert config["structured_data_format"] == "json"
        client = yt.YtClient(config=config)  # no proxy argument: the config reaches it
        client.create("map_node", "//tmp/made")
        assert client.get("//tmp/made/@type") == "map_node"
        # The default client configuration, only the proxy URL, works too.
        assert yt.YtClient(proxy=local.proxy_url).exists("//tmp/made")


def test_a_fixed_port(tmp_path: Path) -> None:
    port = _free_port()
    with LocalYt(tmp_path / "root", port=port) as local:
        assert local.port == port
        assert local.proxy_url == f"http://127.0.0.1:{port}"
        assert make_client(local).list("/") == ["home", "sys", "tmp"]


def test_a_port_in_use_is_a_usage_error_and_leaves_the_root_unlocked(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        in_use = re.escape(f"port {port} on 127.0.0.1 is already in use")
        with pytest.raises(UsageError, match=in_use):
            LocalYt(tmp_path / "root", port=port).start()
    with LocalYt(tmp_path / "root") as local:
        assert local.running


def test_a_second_server_on_one_root_is_refused_then_finds_the_data(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with LocalYt(root) as first:
        make_client(first).write_table("//tmp/t", [{"n": 1}])
        with pytest.raises(RootInUseError) as refused:
            LocalYt(root).start()
        assert f"is in use by another local-yt (pid {os.getpid()} serving {first.proxy_url}" in str(
            refused.value
        )
        assert refused.value.exit_code == 3
        assert make_client(first).exists("//tmp/t")  # the refusal changed nothing
    with LocalYt(root) as second:  # once the first stops, the root is free and keeps data
        assert list(make_client(second).read_table("//tmp/t")) == [{"n": 1}]


def test_start_and_stop_are_idempotent(tmp_path: Path) -> None:
    local = LocalYt(tmp_path / "root")
    local.stop()
    assert local.start() is local
    port = local.port
    assert local.start().port == port
    local.stop()
    local.stop()
    assert not local.running


def test_a_root_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.write_text("not a folder")
    with pytest.raises(UsageError, match=re.escape(f"cannot create the local-yt root {root}")):
        LocalYt(root).start()


def test_an_unreadable_state_file_names_it_and_unlocks_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "cypress.yson").write_bytes(b"{{{ not yson")
    with pytest.raises(UsageError, match=re.escape("cypress.yson is unreadable")):
        LocalYt(root).start()
    (root / "cypress.yson").unlink()
    with LocalYt(root) as local:
        assert make_client(local).exists("//tmp")


# -- docs/local-yt.md ---------------------------------------------------------------------------


def test_the_docs_table_lists_exactly_the_implemented_commands() -> None:
    implemented = set(doc_table.implemented())
    assert implemented == {name for name, spec in COMMANDS.items() if spec.handler}
    text = DOC.read_text(encoding="utf-8")
    listed = doc_table.documented(text)
    fix = "regenerate it: python -m ytflow.localyt.doc_table --write docs/local-yt.md"
    assert listed - implemented == set(), f"docs/local-yt.md lists commands that are gone; {fix}"
    assert implemented - listed == set(), f"docs/local-yt.md misses commands; {fix}"
    assert doc_table.markdown() in text, f"docs/local-yt.md's command table is stale; {fix}"


def test_doc_table_rewrites_only_its_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nbefore\n\n{doc_table.BEGIN}\nold\n{doc_table.END}\n\nafter\n")
    doc_table.main(["--write", str(doc)])
    text = doc.read_text()
    assert text.startswith("# Title\n\nbefore\n\n")
    assert text.endswith("\n\nafter\n")
    assert doc_table.documented(text) == set(doc_table.implemented())
    assert "| `write_table` | tables | tabular | structured | yes |" in text
