"""local-yt's query tracker through the real client: YQL run by ytflow's dev engine."""

from __future__ import annotations

import time

import pytest
import yt.wrapper as yt
from localyt_helpers import make_client
from yt.wrapper.errors import YtQueryFailedError

from ytflow.localyt import LocalYt
from ytflow.localyt.registry import Streamed
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import QUERY_NOT_FOUND

ROWS = [{"id": 1, "name": "ünï", "score": 2.5}, {"id": 2, "name": "bob", "score": None}]


def test_select_results_are_readable_through_query_objects(yt_client):
    yt_client.write_table("//tmp/people", ROWS)
    query = yt_client.run_query(
        "yql",
        "SELECT id, name FROM `//tmp/people` ORDER BY id DESC;\n"
        "SELECT COUNT(*) AS n, MAX(score) AS best FROM `//tmp/people`;",
    )
    meta = query.get_meta()
    assert (meta["state"], meta["engine"], meta["result_count"]) == ("completed", "yql", 2)
    assert meta["start_time"] <= meta["finish_time"]
    assert "//tmp/people" in meta["query"]
    first, second = query.get_results()
    assert list(first.read_rows()) == [{"id": 2, "name": "bob"}, {"id": 1, "name": "ünï"}]
    assert list(second) == [{"n": 2, "best": 2.5}]
    result = first.get_meta()
    assert result["data_statistics"]["row_count"] == 2
    assert [(column["name"], column["type"]) for column in result["schema"]] == [
        ("id", "int64"),
        ("name", "string"),
    ]
    assert not result["is_truncated"]


def test_insert_with_truncate_writes_a_table_and_insert_appends(yt_client):
    yt_client.write_table("//tmp/people", ROWS)
    yt_client.write_table("<sorted_by=[id]>//tmp/out", [{"id": 0}])
    query = yt_client.run_query(
        "yql",
        "INSERT INTO `//tmp/out` WITH TRUNCATE SELECT id * 10 AS id, name FROM `//tmp/people`;\n"
        "INSERT INTO `//tmp/deep/new` SELECT name FROM `//tmp/people` WHERE id = 1;\n"
        "INSERT INTO `//tmp/deep/new` SELECT 'more' AS name;",
    )
    assert query.get_meta(attributes=["result_count"]) == {"result_count": 0}
    assert list(yt_client.read_table("//tmp/out")) == [
        {"id": 10, "name": "ünï"},
        {"id": 20, "name": "bob"},
    ]
    assert not yt_client.get("//tmp/out/@sorted")
    assert list(yt_client.read_table("//tmp/deep/new")) == [{"name": "ünï"}, {"name": "more"}]


def test_a_bad_query_fails_with_the_engine_message_and_writes_nothing(yt_client):
    yt_client.write_table("//tmp/people", ROWS)
    script = (
        "INSERT INTO `//tmp/half` SELECT id FROM `//tmp/people`;\n"
        "SELECT no_such_column FROM `//tmp/people`;"
    )
    with pytest.raises(YtQueryFailedError) as failed:
        yt_client.run_query("yql", script)
    assert "no_such_column" in str(failed.value)
    assert "YQL line 2" in str(failed.value)
    assert not yt_client.exists("//tmp/half")
    query = yt_client.run_query("yql", "SELECT * FROM `//tmp/missing`;", sync=False)
    _wait_finished(query)
    meta = query.get_meta(attributes=["state", "error"])
    assert meta["state"] == "failed"
    assert "//tmp/missing" in meta["error"]["message"]
    with pytest.raises(yt.YtError, match="results can be read once it completes"):
        list(query.get_result(0).read_rows())


def test_queries_local_yt_cannot_run_fail_with_a_reason(local_yt):
    client = make_client(local_yt)
    client.write_table("//tmp/people", ROWS)
    client.create("map_node", "//tmp/other")
    client.write_table("//tmp/other/people", [{"id": 3, "name": b"\xff"}])
    for text, words in [
        ("SELECT * FROM `//tmp/people` UNION ALL SELECT * FROM `//tmp/other/people`;", "share"),
        ("SELECT * FROM `//tmp/other/people`;", "not UTF-8"),
        ("CREATE TABLE `//tmp/x`;", "CREATE TABLE is not supported"),
    ]:
        with pytest.raises(YtQueryFailedError, match=words):
            client.run_query("yql", text)


def test_list_queries_filters_and_limits(local_yt):
    client = make_client(local_yt)
    client.write_table("//tmp/t", [{"x": 1}])
    good = client.run_query("yql", "SELECT x FROM `//tmp/t`;")
    with pytest.raises(YtQueryFailedError):
        client.run_query("yql", "SELECT y FROM `//tmp/t`;")
    listed = client.list_queries()
    assert len(listed["queries"]) == 2
    assert not listed["incomplete"]
    completed = client.list_queries(state="completed", attributes=["id", "state"])
    assert completed["queries"] == [{"id": good.id, "state": "completed"}]
    assert [each["query"] for each in client.list_queries(filter="SELECT y")["queries"]] == [
        "SELECT y FROM `//tmp/t`;"
    ]
    newest = client.list_queries(limit=1)
    assert newest["incomplete"]
    assert newest["queries"][0]["state"] == "failed"  # newest first
    started = good.get_meta(attributes=["start_time"])["start_time"]
    later = client.list_queries(cursor_time=started, cursor_direction="future")
    assert [each["state"] for each in later["queries"]] == ["failed"]
    assert client.list_queries(cursor_time=started)["queries"] == []  # "past" of the first


def test_abort_stops_a_running_query_and_refuses_a_finished_one(local_yt):
    client = make_client(local_yt)
    client.write_table("//tmp/big", [{"x": index} for index in range(4000)])
    slow = (
        "INSERT INTO `//tmp/never` SELECT COUNT(*) AS n FROM `//tmp/big` AS a "
        "JOIN `//tmp/big` AS b ON a.x <= b.x JOIN `//tmp/big` AS c ON b.x <= c.x;"
    )
    query = client.run_query("yql", slow, sync=False)
    assert str(query.get_state()) == "running"
    query.abort(message="enough")
    meta = query.get_meta(attributes=["state", "error"])
    assert meta["state"] == "aborted"
    assert meta["error"]["message"] == "enough"
    with pytest.raises(yt.YtError, match="already aborted"):
        query.abort()
    assert local_yt.endpoint is not None
    record = local_yt.endpoint.services["queries"].queries[query.id]
    record.thread.join(timeout=10)  # DuckDB is interrupted, not left running
    assert not record.thread.is_alive()
    assert not client.exists("//tmp/never")
    done = client.run_query("yql", "SELECT 1 AS one;")
    with pytest.raises(yt.YtResponseError, match=f"Cannot abort query {done.id}: it is already"):
        done.abort()


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"engine": "chyt"}, ["'chyt' query engine", "'yql' only"]),
        ({"engine": "presto"}, ["Unknown query engine 'presto'"]),
        ({"settings": {"execution_mode": 1}}, ["'execution_mode'"]),
        ({"files": [{"name": "f", "content": "x", "type": "raw_inline_data"}]}, ["'files'"]),
    ],
)
def test_start_query_refusals_name_the_culprit(local_yt, arguments, words):
    client = make_client(local_yt)
    call = {"engine": "yql", "query": "SELECT 1 AS one;", **arguments}
    with pytest.raises(yt.YtResponseError) as refused:
        client.start_query(**call)
    for word in words:
        assert word in str(refused.value)


def test_unknown_query_and_result_index(local_yt):
    client = make_client(local_yt)
    with pytest.raises(yt.YtResponseError) as missing:
        client.get_query("1-2-3-4")
    assert missing.value.contains_code(QUERY_NOT_FOUND)
    query = client.run_query("yql", "SELECT 1 AS one UNION ALL SELECT 2 AS one;")
    with pytest.raises(yt.YtResponseError, match="there is no result_index 3"):
        list(query.get_result(3).read_rows())
    # Row ranges and columns of read_query_result (the client helper passes neither).
    assert local_yt.endpoint is not None
    streamed = local_yt.endpoint.call(
        "read_query_result",
        {
            "query_id": query.id,
            "lower_row_index": 1,
            "upper_row_index": 5,
            "columns": ["one", "absent"],
            "output_format": yson().to_yson_type("yson", attributes={"format": "text"}),
        },
    )
    assert isinstance(streamed, Streamed)
    body = b"".join(streamed.blocks)
    assert list(yson().loads(body, yson_type="list_fragment")) == [{"one": 2}]


def _wait_finished(query: yt.Query, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not query.get_state().is_finished():
        assert time.monotonic() < deadline, f"query {query.id} did not finish"
        time.sleep(0.05)


def test_shutdown_aborts_running_queries(tmp_path):
    with LocalYt(tmp_path / "root") as local:
        client = make_client(local)
        client.write_table("//tmp/big", [{"x": index} for index in range(4000)])
        query = client.run_query(
            "yql",
            "SELECT COUNT(*) AS n FROM `//tmp/big` AS a JOIN `//tmp/big` AS b ON a.x <= b.x "
            "JOIN `//tmp/big` AS c ON b.x <= c.x;",
            sync=False,
        )
        assert local.endpoint is not None
        record = local.endpoint.services["queries"].queries[query.id]
    assert record.state == "aborted"
    assert not record.thread.is_alive()


def test_alter_query_and_tracker_info(local_yt):
    client = make_client(local_yt)
    query = client.run_query("yql", "SELECT 1 AS one;", annotations={"title": "first"})
    assert query.get_meta(attributes=["annotations"]) == {"annotations": {"title": "first"}}
    client.alter_query(query.id, annotations={"title": "renamed"})
    assert client.list_queries(filter="renamed")["queries"][0]["id"] == query.id
    info = client.get_query_tracker_info()
    assert (info["query_tracker_stage"], info["clusters"]) == ("production", ["local-yt"])
