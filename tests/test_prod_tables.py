"""Prod tables through the real ytsaurus-client against ``ytflow local-yt``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localyt_helpers import CLIENT_FLAVORS, client_config
from localyt_helpers import make_client as make_yt_client
from prod_helpers import prod_client, record_commands

from ytflow.errors import RowError, TableNotFound, YtflowError, YtPathError
from ytflow.localyt import LocalYt
from ytflow.prod.client import ProdClient

T = "//tmp/p/data"
TEXT = "héllo wörld — 日本語 ✓"
NO_TX = "0-0-0-0"


@pytest.fixture
def prod(local_yt: LocalYt, tmp_path: Path) -> ProdClient:
    return prod_client(local_yt, tmp_path)


@pytest.mark.parametrize("flavor", CLIENT_FLAVORS)
def test_write_then_read_keeps_rows_and_unicode(local_yt, tmp_path, flavor):
    config = client_config(local_yt, flavor)
    del config["proxy"], config["token"]
    prod = prod_client(local_yt, tmp_path, yt_config=config)
    rows = [{"id": 1, "text": TEXT, "nested": {"k": [1, 2.5, None, "ü"]}}, {"id": 2, "flag": True}]
    assert prod.write_table("//tmp/new/deep/data", iter(rows)) == 2
    assert list(prod.read_table("//tmp/new/deep/data")) == rows
    # What the cluster stored, read back by another client in its own format: intact UTF-8.
    other = make_yt_client(local_yt, flavor)
    assert [row.get("text") for row in other.read_table("//tmp/new/deep/data")] == [TEXT, None]


def test_append_creates_then_appends_and_replace_replaces(prod):
    assert prod.write_table(T, [{"i": 0}], append=True) == 1
    prod.write_table(T, ({"i": i} for i in (1, 2)), append=True)
    assert [row["i"] for row in prod.read_table(T)] == [0, 1, 2]
    assert prod.row_count(T) == 3
    assert prod.write_table(T, []) == 0
    assert prod.row_count(T) == 0
    assert prod.exists(T)


def test_write_streams_in_requests_inside_one_transaction(local_yt, tmp_path):
    """Rows go out while the generator still runs; readers see the old table until commit."""
    prod = prod_client(local_yt, tmp_path, yt_config={"write_retries": {"chunk_size": 1 << 20}})
    prod.write_table(T, [{"old": True}])
    seen = record_commands(local_yt, "write_table", "create", "start_transaction")
    reader = prod_client(local_yt, tmp_path)
    checked: list[bool] = []
    payload = "x" * 1000

    def rows() -> Iterator[dict[str, Any]]:
        for index in range(4000):  # about 4 MB: several requests of 1 MB
            if index == 3500:
                writes = [params for command, params in seen if command == "write_table"]
                assert len(writes) >= 2, "the client buffered the rows instead of sending them"
                assert list(reader.read_table(T)) == [{"old": True}]
                checked.append(True)
            yield {"index": index, "payload": payload}

    assert prod.write_table(T, rows()) == 4000
    assert checked == [True]
    assert prod.row_count(T) == 4000
    creates = [params for command, params in seen if command == "create"]
    writes = [params for command, params in seen if command == "write_table"]
    assert creates and all(params["transaction_id"] != NO_TX for params in creates)
    assert all(params["transaction_id"] != NO_TX for params in writes)
    # The first request replaces, the rest append within the transaction.
    assert [str(params["path"]) for params in writes[:1]] == [T]
    assert str(writes[0]["input_format"]) == "json"
    assert writes[0]["input_format"].attributes == {"encode_utf8": False}


def test_a_generator_that_raises_leaves_the_old_table(prod):
    prod.write_table(T, [{"old": 1}, {"old": 2}])

    def rows() -> Iterator[dict[str, Any]]:
        yield {"new": 1}
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        prod.write_table(T, rows())
    with pytest.raises(RuntimeError):
        prod.write_table(T, rows(), append=True)
    assert list(prod.read_table(T)) == [{"old": 1}, {"old": 2}]
    with pytest.raises(RuntimeError):
        prod.write_table("//tmp/p/never", rows())
    assert not prod.exists("//tmp/p/never")


def test_a_bad_row_is_a_row_error_and_changes_nothing(prod):
    prod.write_table(T, [{"old": 1}])
    with pytest.raises(RowError, match="row 1, column 'v'") as caught:
        prod.write_table(T, [{"v": 1}, {"v": float("nan")}])
    assert caught.value.row_index == 1
    assert list(prod.read_table(T)) == [{"old": 1}]


def test_exists_is_true_only_for_tables(prod, local_yt):
    prod.write_table(T, [{"a": 1}])
    make_yt_client(local_yt).write_file("//tmp/p/file", b"bytes")
    assert prod.exists(T)
    assert not prod.exists("//tmp/p")
    assert not prod.exists("//tmp/p/file")
    assert not prod.exists("//tmp/p/missing")
    assert not prod.exists("//tmp/nowhere/at/all")


def test_missing_tables_raise_table_not_found_with_code(prod):
    for call in (
        lambda: prod.read_table("//tmp/p/missing"),  # raised at the call, before iterating
        lambda: prod.row_count("//tmp/p/missing"),
        lambda: prod.remove("//tmp/p/missing"),
    ):
        with pytest.raises(TableNotFound, match="//tmp/p/missing") as caught:
            call()
        assert caught.value.code == 500
    prod.remove("//tmp/p/missing", force=True)


def test_remove_removes_tables_only(prod):
    prod.write_table(T, [{"a": 1}])
    prod.remove(T)
    assert not prod.exists(T)
    with pytest.raises(YtPathError, match="map_node, not a table"):
        prod.remove("//tmp/p")


@pytest.mark.parametrize("path", ["tmp/x", "//tmp/x/", "//tmp/a[#1:#2]", "//tmp/<x>"])
def test_bad_paths_are_refused_before_any_request(prod, local_yt, path):
    seen = record_commands(local_yt, "get", "create", "write_table", "read_table")
    for call in (
        lambda: prod.write_table(path, [{"a": 1}]),
        lambda: prod.read_table(path),
        lambda: prod.exists(path),
        lambda: prod.row_count(path),
        lambda: prod.remove(path),
    ):
        with pytest.raises(YtPathError):
            call()
    assert seen == []


def test_other_cluster_errors_keep_message_and_code(prod, local_yt):
    yt = make_yt_client(local_yt)
    yt.create("map_node", "//tmp/p", recursive=True)
    yt.write_file("//tmp/p/file", b"bytes")
    with pytest.raises(YtflowError) as caught:
        prod.write_table("//tmp/p/file", [{"a": 1}])
    error = caught.value
    assert not isinstance(error, TableNotFound)
    assert "//tmp/p/file" in error.message
    assert "Received HTTP response" not in error.message
    assert error.code not in (None, 0, 1)


def test_a_reader_that_stops_early_ends_its_read_transaction(prod, local_yt):
    prod.write_table(T, ({"i": i} for i in range(100)))
    seen = record_commands(local_yt, "start_transaction", "read_table", "abort_transaction")
    rows = prod.read_table(T)  # the request is made here: a missing table fails at the call
    assert [command for command, _ in seen] == ["start_transaction", "read_table"]
    assert next(rows) == {"i": 0}
    rows.close()
    assert [command for command, _ in seen][-1] == "abort_transaction"


def test_a_cluster_resolve_error_becomes_table_not_found_keeping_its_message(local_yt):
    from ytflow.prod.errors import translated  # noqa: PLC0415

    yt = make_yt_client(local_yt)
    with pytest.raises(TableNotFound) as caught, translated(mask=str, path="//tmp/gone/t"):
        yt.get("//tmp/gone/t/@row_count")
    error = caught.value
    assert (error.code, error.path) == (500, "//tmp/gone/t")
    assert error.message.startswith("Error resolving path //tmp/gone/t")
    assert "has no child with key" in error.message  # the cluster's own words
    assert caught.value.__suppress_context__  # no yt.* traceback shown to stage code
