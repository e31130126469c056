"""Prod YQL through the query tracker (engine ``yql``) of ``ytflow local-yt``."""

from __future__ import annotations

from pathlib import Path

import pytest
from prod_helpers import VAULT, prod_client, record_commands

from ytflow.errors import YqlError
from ytflow.localyt import LocalYt
from ytflow.prod.client import ProdClient

ROWS = [{"id": 1, "name": "ünï ✓"}, {"id": 2, "name": "bob"}, {"id": 3, "name": "日本"}]


@pytest.fixture
def prod(local_yt: LocalYt, tmp_path: Path) -> ProdClient:
    client = prod_client(local_yt, tmp_path)
    client.write_table("//tmp/p/people", ROWS)
    return client


def test_select_returns_the_last_results_rows_as_dicts(prod, local_yt):
    seen = record_commands(local_yt, "start_query")
    text = (
        "SELECT COUNT(*) AS n FROM `//tmp/p/people`;\n"
        "SELECT id, name FROM `//tmp/p/people` WHERE id > 1 ORDER BY id DESC;"
    )
    assert prod.run_yql(text) == [{"id": 3, "name": "日本"}, {"id": 2, "name": "bob"}]
    [(_, params)] = seen
    assert (params["engine"], params["query"]) == ("yql", text)  # the text dev runs, unchanged


def test_insert_writes_the_table_and_returns_no_rows(prod):
    text = "INSERT INTO `//tmp/p/out` WITH TRUNCATE SELECT * FROM `//tmp/p/people` WHERE id < 3;"
    assert prod.run_yql(text) == []
    assert list(prod.read_table("//tmp/p/out")) == ROWS[:2]
    assert (
        prod.filter_table(
            input_table="//tmp/p/people", output_table="//tmp/p/out", condition="id = 3"
        )
        == 1
    )
    assert list(prod.read_table("//tmp/p/out")) == ROWS[2:]


def test_a_failed_query_is_a_yql_error_with_id_and_message(prod, local_yt):
    seen = record_commands(local_yt, "get_query")
    with pytest.raises(YqlError) as caught:
        prod.run_yql("SELECT id FROM `//tmp/p/missing`;")
    message = caught.value.message
    query_id = seen[0][1]["query_id"]
    assert f"query {query_id} failed" in message
    assert "//tmp/p/missing" in message
    assert "Traceback" not in message


def test_secrets_in_the_engines_message_are_masked(prod):
    secret = VAULT["API_KEY"]
    with pytest.raises(YqlError) as caught:
        prod.run_yql(f"SELECT * FROM `//tmp/p/{secret}`;")
    assert secret not in str(caught.value)
    assert "//tmp/p/***" in str(caught.value)
