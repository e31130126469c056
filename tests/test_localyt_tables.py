"""local-yt tables through the real client: formats, ranges, sorted writes, schema, attributes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import yt.type_info as ti
import yt.wrapper as yt
from localyt_helpers import make_client
from yt.wrapper.schema import TableSchema

from ytflow.localyt import LocalYt

ROWS = [{"k": index, "s": f"v{index}"} for index in range(10)]


@pytest.fixture
def client(local_yt: LocalYt) -> yt.YtClient:
    """The default configuration, for behaviour that does not depend on the client's format."""
    return make_client(local_yt, "yson")


def raw_read(local: LocalYt, path: str, output_format: object) -> bytes:
    """read_table as a bare HTTP request, the way a job's tooling or curl would ask."""
    request = urllib.request.Request(
        f"{local.proxy_url}/api/v4/read_table",
        headers={
            "X-YT-Parameters": json.dumps({"path": path, "output_format": output_format}),
            "X-YT-Header-Format": "json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_json_encode_utf8_false_gets_the_utf8_the_client_wrote(yt_client, local_yt):
    yt_client.write_table("//tmp/t", [{"s": "héllo ✓"}])
    utf8_json = {"$value": "json", "$attributes": {"encode_utf8": False}}
    raw = raw_read(local_yt, "//tmp/t", utf8_json)
    assert json.loads(raw) == {"s": "héllo ✓"}
    # encode_utf8=%true (YT's default) maps each byte to a code point of the same number.
    raw_default = raw_read(local_yt, "//tmp/t", "json")
    assert json.loads(raw_default)["s"].encode("latin-1").decode("utf-8") == "héllo ✓"
    utf8_format = yt.JsonFormat(encode_utf8=False, encoding="utf-8")
    assert list(yt_client.read_table("//tmp/t", format=utf8_format)) == [{"s": "héllo ✓"}]


def test_json_encode_utf8_false_writes_utf8_bytes(client):
    client.write_table("//tmp/t", [{"s": "ÿ"}], format=yt.JsonFormat(encode_utf8=False))
    stored = list(client.read_table("//tmp/t", format=yt.YsonFormat(encoding=None)))
    assert stored == [{b"s": "ÿ".encode()}]


def test_non_utf8_bytes_cannot_be_read_as_encode_utf8_false(client, local_yt):
    client.write_table("//tmp/t", [{b"s": b"\xff"}], format=yt.YsonFormat(encoding=None))
    utf8_json = {"$value": "json", "$attributes": {"encode_utf8": False}}
    with pytest.raises(urllib.error.HTTPError) as error:
        raw_read(local_yt, "//tmp/t", utf8_json)
    with error.value:
        assert error.value.code == 400
        assert "not valid UTF-8" in error.value.headers["X-YT-Error"]
    assert json.loads(raw_read(local_yt, "//tmp/t", "json")) == {"s": "\xff"}


def test_yson_text_and_binary(client, local_yt):
    client.write_table("//tmp/t", b'{k=1;s="a"};{k=2;s="b"};', format="<format=text>yson", raw=True)
    text_format = {"$value": "yson", "$attributes": {"format": "text"}}
    assert raw_read(local_yt, "//tmp/t", text_format) == b'{"k"=1;"s"="a";};\n{"k"=2;"s"="b";};\n'
    assert list(client.read_table("//tmp/t", format=yt.YsonFormat(format="binary"))) == [
        {"k": 1, "s": "a"},
        {"k": 2, "s": "b"},
    ]


def test_append_ranges_and_columns(yt_client):
    yt_client.write_table("//tmp/t", ROWS[:5])
    yt_client.write_table(yt.TablePath("//tmp/t", append=True), ROWS[5:])
    assert list(yt_client.read_table("//tmp/t")) == ROWS
    assert list(yt_client.read_table("//tmp/t[#2:#4]")) == ROWS[2:4]
    assert list(yt_client.read_table("//tmp/t{s}[#8:]")) == [{"s": "v8"}, {"s": "v9"}]
    several = yt.TablePath(
        "//tmp/t",
        ranges=[
            {"exact": {"row_index": 1}},
            {"lower_limit": {"row_index": 6}, "upper_limit": {"row_index": 8}},
        ],
        columns=["k"],
    )
    assert list(yt_client.read_table(several)) == [{"k": 1}, {"k": 6}, {"k": 7}]


def test_read_retries_with_control_attributes_over_ranges(local_yt):
    client = make_client(local_yt, "yson")
    client.config["read_retries"]["enable"] = True
    client.config["read_retries"]["create_transaction_and_take_snapshot_lock"] = True
    client.write_table("//tmp/t", ROWS)
    path = yt.TablePath("//tmp/t", ranges=[{"exact": {"row_index": 3}}, {}])
    assert list(client.read_table(path)) == [ROWS[3], *ROWS]
    sorted_path = yt.TablePath("//tmp/sorted", sorted_by=["k"])
    client.write_table(sorted_path, ROWS)
    assert list(client.read_table(yt.TablePath("//tmp/sorted", exact_key=[4]))) == [ROWS[4]]
    assert list(client.read_table(yt.TablePath("//tmp/sorted", lower_key=[7]))) == ROWS[7:]


def test_sorted_writes_and_sort_order_violations(yt_client):
    yt_client.write_table(yt.TablePath("//tmp/t", sorted_by=["k"]), ROWS[:5])
    assert yt_client.get("//tmp/t/@sorted")
    assert yt_client.get("//tmp/t/@sorted_by") == ["k"]
    yt_client.write_table(yt.TablePath("//tmp/t", sorted_by=["k"], append=True), ROWS[5:])
    assert yt_client.is_sorted("//tmp/t")
    with pytest.raises(yt.YtResponseError) as unsorted:
        yt_client.write_table(yt.TablePath("//tmp/u", sorted_by=["k"]), ROWS[::-1])
    assert unsorted.value.contains_code(301)
    assert "//tmp/u" in str(unsorted.value)
    with pytest.raises(yt.YtResponseError) as before_last:
        yt_client.write_table(yt.TablePath("//tmp/t", sorted_by=["k"], append=True), ROWS[:1])
    assert before_last.value.contains_code(301)
    assert yt_client.row_count("//tmp/t") == 10  # the failed appends changed nothing
    yt_client.write_table(yt.TablePath("//tmp/t", append=True), ROWS[:1])
    assert not yt_client.is_sorted("//tmp/t")


def test_schema_is_stored_and_returned(yt_client):
    schema = (
        TableSchema(strict=True)
        .add_column("k", ti.Int64, sort_order="ascending")
        .add_column("s", ti.String)
    )
    yt_client.create("table", "//tmp/t", attributes={"schema": schema})
    assert yt_client.get_table_schema("//tmp/t") == schema
    stored = yt_client.get("//tmp/t/@schema")
    assert [column["name"] for column in stored] == ["k", "s"]
    assert stored.attributes["strict"]
    assert yt_client.get("//tmp/t/@sorted_by") == ["k"]
    yt_client.create("table", "//tmp/plain")
    assert not yt_client.get("//tmp/plain/@schema").attributes["strict"]


def test_system_attributes(client):
    client.create("table", "//tmp/t")
    created = client.get("//tmp/t/@")
    assert created["row_count"] == 0
    assert not created["sorted"]
    assert "sorted_by" not in created
    assert created["creation_time"] == created["modification_time"]
    client.write_table("//tmp/t", ROWS)
    after = client.get("//tmp/t", attributes=["row_count", "uncompressed_data_size", "type"])
    assert after.attributes["row_count"] == 10
    assert after.attributes["uncompressed_data_size"] > 0
    assert after.attributes["type"] == "table"
    assert client.get("//tmp/t/@modification_time") > created["modification_time"]
    assert client.get("//tmp/t/@revision") > created["revision"]
    client.set("//tmp/t/@owner_team", "data")
    assert client.get("//tmp/t/@user_attribute_keys") == ["owner_team"]
    with pytest.raises(yt.YtResponseError, match="row_count"):
        client.set("//tmp/t/@row_count", 5)


def test_execute_batch_through_the_batch_client(yt_client):
    yt_client.write_table("//tmp/t", ROWS)
    batch = yt_client.create_batch_client()
    created = batch.create("map_node", "//tmp/dir")
    count = batch.row_count("//tmp/t")
    missing = batch.get("//tmp/missing")
    listed = batch.list("//tmp")
    batch.commit_batch()
    assert created.is_ok()
    assert count.get_result() == 10
    assert not missing.is_ok()
    assert missing.get_error()["code"] == 500
    assert sorted(listed.get_result()) == ["dir", "t"]
    again = batch.create("map_node", "//tmp/dir")
    batch.commit_batch()
    assert again.get_error()["code"] == 501


def test_concatenate_tables_and_files(client):
    client.write_table("//tmp/a", ROWS[:2])
    client.write_table("//tmp/b", ROWS[2:4])
    client.concatenate(["//tmp/a", "//tmp/b"], "//tmp/out")
    assert list(client.read_table("//tmp/out")) == ROWS[:4]
    client.write_file("//tmp/fa", b"Hello")
    client.write_file("//tmp/fb", b"World")
    client.concatenate(["//tmp/fa", "//tmp/fb"], "//tmp/fout")
    assert client.read_file("//tmp/fout").read() == b"HelloWorld"
    with pytest.raises(yt.YtResponseError, match="all be tables or all files"):
        client.concatenate(["//tmp/fa", "//tmp/b"], "//tmp/fout")


def test_dsv_rows_round_trip_with_escapes(client):
    rows = [{"\tke\n\\y=": "\\x\\y\tz\n"}, {"a": "1", "b": ""}]
    client.write_table("//tmp/t", rows, format=yt.DsvFormat())
    assert list(client.read_table("//tmp/t", format=yt.DsvFormat())) == rows
    client.write_table("//tmp/typed", [{"n": 5, "flag": True}])
    assert list(client.read_table("//tmp/typed", format="dsv")) == [{"n": "5", "flag": "true"}]


def test_a_key_range_read_reports_its_start_row_index(yt_client):
    yt_client.write_table(
        yt.TablePath("//tmp/keyed", sorted_by=["k"]), [{"k": index} for index in range(10)]
    )
    parameters: dict[str, object] = {}
    rows = list(
        yt_client.read_table(
            yt.TablePath("//tmp/keyed", lower_key=[4], upper_key=[7]),
            response_parameters=parameters,
            enable_read_parallel=False,
        )
    )
    assert [row["k"] for row in rows] == [4, 5, 6]
    assert parameters["start_row_index"] == 4
