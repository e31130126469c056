"""local-yt transactions and locks through the real client: nesting, isolation, expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.localyt import LocalYt


@pytest.fixture
def client(local_yt: LocalYt) -> yt.YtClient:
    """The default (YSON) configuration; transaction semantics do not depend on the format,
    and the isolation test below runs in both. A short pinger sleep keeps exits quick."""
    made = make_client(local_yt, "yson")
    made.config["transaction_sleep_period"] = 10
    return made


def other_client(client: yt.YtClient) -> yt.YtClient:
    """A second client on the same endpoint, outside any of the first one's transactions."""
    return yt.YtClient(config=client.config)


def test_nested_commit_reaches_parent_then_everyone(client):
    outside = other_client(client)
    with client.Transaction() as outer:
        client.create("map_node", "//tmp/nest")
        with client.Transaction() as inner:
            assert inner.transaction_id != outer.transaction_id
            client.write_table("//tmp/nest/t", [{"v": 1}])
        # The inner commit lands in the outer transaction, not yet in Cypress.
        assert list(client.read_table("//tmp/nest/t")) == [{"v": 1}]
        assert not outside.exists("//tmp/nest")
    assert list(outside.read_table("//tmp/nest/t")) == [{"v": 1}]


def test_nested_abort_discards_only_the_inner_changes(client):
    outside = other_client(client)
    with client.Transaction():
        client.write_table("//tmp/kept", [{"v": 1}])
        with pytest.raises(RuntimeError), client.Transaction():
            client.write_table("//tmp/kept", [{"v": 2}])
            client.create("table", "//tmp/dropped/deep", recursive=True)
            raise RuntimeError("abort the inner one")
        assert list(client.read_table("//tmp/kept")) == [{"v": 1}]
        assert not client.exists("//tmp/dropped")
    assert list(outside.read_table("//tmp/kept")) == [{"v": 1}]
    assert not outside.exists("//tmp/dropped")


def test_write_is_invisible_outside_until_commit(yt_client):
    outside = other_client(yt_client)
    yt_client.write_table("//tmp/t", [{"v": "old"}])
    with yt_client.Transaction():
        yt_client.write_table("//tmp/t", [{"v": "new"}])
        yt_client.set("//tmp/t/@note", "tx")
        assert list(outside.read_table("//tmp/t")) == [{"v": "old"}]
        assert not outside.exists("//tmp/t/@note")
        assert list(yt_client.read_table("//tmp/t")) == [{"v": "new"}]
    assert list(outside.read_table("//tmp/t")) == [{"v": "new"}]
    assert outside.get("//tmp/t/@note") == "tx"


def test_abort_discards_created_nodes_and_writes(client):
    client.write_table("//tmp/t", [{"v": 1}])
    transaction = client.start_transaction()
    with client.Transaction(transaction_id=transaction):
        client.create("map_node", "//tmp/a/b/c", recursive=True)
        client.write_table("<append=%true>//tmp/t", [{"v": 2}])
        client.write_file("//tmp/f", b"data")
    client.abort_transaction(transaction)
    assert not client.exists("//tmp/a")
    assert not client.exists("//tmp/f")
    assert list(client.read_table("//tmp/t")) == [{"v": 1}]
    with pytest.raises(yt.YtResponseError) as gone:
        client.commit_transaction(transaction)
    assert gone.value.is_no_such_transaction()


def test_two_transactions_writing_one_table_conflict(client):
    client.create("table", "//tmp/t")
    first = client.start_transaction()
    second = client.start_transaction()
    try:
        with client.Transaction(transaction_id=first):
            client.write_table("//tmp/t", [{"v": 1}])
        with (
            pytest.raises(yt.YtResponseError) as conflict,
            client.Transaction(transaction_id=second),
        ):
            client.write_table("//tmp/t", [{"v": 2}])
        assert conflict.value.is_concurrent_transaction_lock_conflict()
        assert first in str(conflict.value)
        # A write outside any transaction conflicts too, until the holder ends.
        with pytest.raises(yt.YtResponseError) as outside:
            client.write_table("//tmp/t", [{"v": 3}])
        assert outside.value.is_concurrent_transaction_lock_conflict()
    finally:
        client.commit_transaction(first)
        client.abort_transaction(second)
    assert list(client.read_table("//tmp/t")) == [{"v": 1}]
    client.write_table("//tmp/t", [{"v": 3}])


def test_explicit_locks_and_their_conflicts(client):
    client.create("map_node", "//tmp/dir")
    holder = client.start_transaction()
    rival = client.start_transaction()
    holder_client, rival_client = other_client(client), other_client(client)
    holder_client.COMMAND_PARAMS["transaction_id"] = holder
    rival_client.COMMAND_PARAMS["transaction_id"] = rival
    try:
        taken = holder_client.lock("//tmp/dir", mode="shared", child_key="x")
        assert taken["lock_id"] != "0-0-0-0"
        locks = client.get("//tmp/dir/@locks")
        assert [(lock["mode"], lock["child_key"], lock["transaction_id"]) for lock in locks] == [
            ("shared", "x", holder)
        ]
        assert client.get(f"#{taken['lock_id']}/@state") == "acquired"
        rival_client.lock("//tmp/dir", mode="shared", child_key="y")  # another key: fine
        with pytest.raises(yt.YtResponseError) as same_key:
            rival_client.create("table", "//tmp/dir/x")  # creating child x needs key x
        assert same_key.value.is_concurrent_transaction_lock_conflict()
        with pytest.raises(yt.YtResponseError) as exclusive:
            rival_client.lock("//tmp/dir")
        assert exclusive.value.is_concurrent_transaction_lock_conflict()
        with pytest.raises(yt.YtResponseError) as no_transaction:
            client.lock("//tmp/dir")
        assert "outside of a transaction" in str(no_transaction.value)
    finally:
        client.abort_transaction(holder)
        client.abort_transaction(rival)
    assert client.get("//tmp/dir/@locks") == []


def test_unpinged_transaction_expires(client):
    transaction = client.start_transaction(timeout=1000)
    with client.Transaction(transaction_id=transaction, ping=False):
        client.create("table", "//tmp/expiring")
    client.ping_transaction(transaction)  # alive and pinged: the timeout restarts
    time.sleep(1.3)
    with pytest.raises(yt.YtResponseError) as expired:
        client.ping_transaction(transaction)
    assert expired.value.is_no_such_transaction()
    assert not client.exists("//tmp/expiring")
    assert not client.exists(f"#{transaction}")


def test_transaction_attributes_are_readable(client):
    transaction = client.start_transaction(timeout=60_000, attributes={"title": "mine"})
    try:
        assert client.exists(f"#{transaction}")
        assert client.get(f"#{transaction}/@title") == "mine"
        assert client.get(f"#{transaction}/@timeout") == 60_000
    finally:
        client.abort_transaction(transaction)


def test_deadline_ends_a_transaction_even_if_pinged(client):
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    transaction = client.start_transaction(deadline=deadline)
    assert client.exists(f"#{transaction}")
    listed = client.list("//sys/transactions")
    assert transaction in listed
    titled = client.get("//sys/transactions", attributes=["id"])
    assert titled[transaction].attributes["id"] == transaction
    time.sleep(0.6)
    client.ping_transaction(transaction)
    time.sleep(0.6)
    assert not client.exists(f"#{transaction}")
    assert transaction not in client.list("//sys/transactions")


def test_create_ignore_existing_takes_no_lock(client):
    client.create("map_node", "//tmp/shared_dir")
    writer = client.start_transaction()
    other = client.start_transaction()
    try:
        with client.Transaction(transaction_id=writer):
            client.create("file", "//tmp/shared_dir/a")
        with client.Transaction(transaction_id=other):
            client.create("map_node", "//tmp/shared_dir", ignore_existing=True)
            client.create("file", "//tmp/shared_dir/b")
    finally:
        client.commit_transaction(writer)
        client.commit_transaction(other)
    assert client.list("//tmp/shared_dir") == ["a", "b"]


def test_aborting_the_null_transaction_is_a_no_such_transaction_error(yt_client):
    with pytest.raises(yt.YtResponseError) as refused:
        yt_client.abort_transaction("0-0-0-0")
    assert refused.value.is_no_such_transaction()
