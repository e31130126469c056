"""local-yt's Cypress, transactions, tables and files, through the real client (both configs)."""

from __future__ import annotations

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.localyt import LocalYt


def test_create_list_get_set_remove(yt_client):
    yt_client.create("map_node", "//tmp/a/b", recursive=True)
    yt_client.set("//tmp/a/@owner_team", {"name": "data", "size": [1, 2]})
    assert yt_client.list("//tmp/a") == ["b"]
    assert yt_client.get("//tmp/a/@owner_team") == {"name": "data", "size": [1, 2]}
    assert yt_client.get("//tmp/a/b/@type") == "map_node"
    yt_client.remove("//tmp/a", recursive=True)
    assert not yt_client.exists("//tmp/a")


def test_errors_carry_yt_codes(yt_client):
    with pytest.raises(yt.YtResponseError) as missing:
        yt_client.get("//tmp/nope")
    assert missing.value.is_resolve_error()
    yt_client.create("table", "//tmp/t", recursive=True)
    with pytest.raises(yt.YtResponseError) as twice:
        yt_client.create("table", "//tmp/t")
    assert twice.value.is_already_exists()


def test_write_append_read_ranges_and_columns(yt_client):
    rows = [{"a": index, "s": "héllo", "b": index % 2 == 0} for index in range(10)]
    yt_client.write_table("//tmp/t", rows)
    yt_client.write_table(yt.TablePath("//tmp/t", append=True), [{"a": 10}])
    assert yt_client.row_count("//tmp/t") == 11
    assert list(yt_client.read_table("//tmp/t"))[:10] == rows
    assert list(yt_client.read_table("//tmp/t{a}[#3:#5]")) == [{"a": 3}, {"a": 4}]


def test_transaction_isolation_commit_and_abort(yt_client):
    other = make_client_like(yt_client)
    with yt_client.Transaction():
        yt_client.write_table("//tmp/committed", [{"x": 1}])
        assert yt_client.exists("//tmp/committed")
        assert not other.exists("//tmp/committed")
    assert other.exists("//tmp/committed")
    with pytest.raises(RuntimeError), yt_client.Transaction():
        yt_client.create("map_node", "//tmp/dropped")
        raise RuntimeError("abort")
    assert not other.exists("//tmp/dropped")


def test_files_round_trip(yt_client):
    yt_client.write_file("//tmp/f", b"\x00binary\xff")
    assert yt_client.read_file("//tmp/f").read() == b"\x00binary\xff"


def test_restart_keeps_tables_and_files(tmp_path):
    with LocalYt(tmp_path / "root") as local:
        client = make_client(local)
        client.write_table("//tmp/kept", [{"k": 1}])
        client.write_file("//tmp/kept_file", b"data")
    with LocalYt(tmp_path / "root") as local:
        client = make_client(local, "json")
        assert list(client.read_table("//tmp/kept")) == [{"k": 1}]
        assert client.read_file("//tmp/kept_file").read() == b"data"


def make_client_like(client) -> yt.YtClient:
    return yt.YtClient(config=client.config)


def test_an_unsupported_parameter_is_refused_by_name(yt_client):
    yt_client.create("table", "//tmp/locked_table")
    with pytest.raises(yt.YtResponseError) as refused:
        yt_client.create("table", "//tmp/locked_table", ignore_existing=True, lock_existing=True)
    assert "lock_existing" in str(refused.value)
    assert "create" in str(refused.value)


def test_get_all_attributes_with_a_filter(yt_client):
    yt_client.create("table", "//tmp/t", attributes={"mine": 1})
    picked = yt_client.get("//tmp/t/@", attributes=["mine", "row_count", "absent"])
    assert picked == {"mine": 1, "row_count": 0}


def test_non_ascii_parameters_round_trip(yt_client):
    yt_client.create("table", "//tmp/t", attributes={"attr": "капуста"})
    assert yt_client.get("//tmp/t/@attr") == "капуста"
    yt_client.create("map_node", "//tmp/каталог")
    assert yt_client.list("//tmp") == ["t", "каталог"]


def test_copy_refuses_force_with_ignore_existing(yt_client):
    yt_client.create("table", "//tmp/a")
    with pytest.raises(yt.YtResponseError, match="both 'force' and 'ignore_existing'"):
        yt_client.copy("//tmp/a", "//tmp/b", force=True, ignore_existing=True)
    assert not yt_client.exists("//tmp/b")
