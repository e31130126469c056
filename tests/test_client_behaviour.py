"""One behaviour suite, two backends: every client behaviour written once and run on dev and on
prod (the real ``ytsaurus-client`` against ``ytflow local-yt``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import BACKENDS, SECRET_VALUE, make_backend, write_pipeline

from ytflow import OperationError, RowError, TableNotFound, YtPathError
from ytflow.client import YtClient
from ytflow.errors import YqlError
from ytflow.localyt import LocalYt
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
)

ROOT = "//tmp/behaviour"
DATA = f"{ROOT}/data"
OUT = f"{ROOT}/out"


@pytest.fixture(params=BACKENDS)
def yt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[YtClient]:
    root = write_pipeline(tmp_path / "pipeline")
    if request.param == "dev":
        yield make_backend("dev", root, None)
        return
    with LocalYt(tmp_path / "localyt") as local:
        yield make_backend("prod", root, local)


def numbers(count: int) -> list[dict[str, int]]:
    return [{"n": n, "k": n % 3} for n in range(count)]


# --- tables ---------------------------------------------------------------------------------


def test_write_then_read_keeps_rows_order_and_unicode(yt: YtClient) -> None:
    rows = [{"id": 1, "name": "Zoë", "tags": ["ß", "日本"], "nested": {"a": None}}, {"id": 2}]
    assert yt.write_table(DATA, rows) == 2
    assert list(yt.read_table(DATA)) == rows


def test_write_streams_a_generator(yt: YtClient) -> None:
    assert yt.write_table(DATA, ({"n": n} for n in range(5000))) == 5000
    assert yt.row_count(DATA) == 5000
    assert [row["n"] for row in yt.read_table(DATA)][-3:] == [4997, 4998, 4999]


def test_append_adds_at_the_end_and_creates_a_missing_table(yt: YtClient) -> None:
    yt.write_table(DATA, [{"n": 1}], append=True)
    yt.write_table(DATA, [{"n": 2}, {"n": 3}], append=True)
    assert [row["n"] for row in yt.read_table(DATA)] == [1, 2, 3]


def test_replace_overwrites(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(5))
    yt.write_table(DATA, [{"n": 99}])
    assert list(yt.read_table(DATA)) == [{"n": 99}]


def test_a_generator_failing_halfway_leaves_the_old_table(yt: YtClient) -> None:
    yt.write_table(DATA, [{"n": 1}])

    def broken() -> Iterator[dict[str, int]]:
        yield {"n": 2}
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError, match="source went away"):
        yt.write_table(DATA, broken())
    with pytest.raises(RuntimeError, match="source went away"):
        yt.write_table(DATA, broken(), append=True)
    assert list(yt.read_table(DATA)) == [{"n": 1}]


def test_exists_remove_and_row_count(yt: YtClient) -> None:
    assert not yt.exists(DATA)
    yt.write_table(DATA, numbers(3))
    assert yt.exists(DATA)
    assert yt.row_count(DATA) == 3
    yt.remove(DATA)
    assert not yt.exists(DATA)
    with pytest.raises(TableNotFound):
        yt.remove(DATA)
    yt.remove(DATA, force=True)


@pytest.mark.parametrize("action", ["read", "row_count"])
def test_a_missing_table_raises_table_not_found(yt: YtClient, action: str) -> None:
    with pytest.raises(TableNotFound, match="missing"):
        if action == "read":
            list(yt.read_table(f"{ROOT}/missing"))
        else:
            yt.row_count(f"{ROOT}/missing")


def test_a_bad_path_is_refused(yt: YtClient) -> None:
    with pytest.raises(YtPathError):
        yt.write_table("tmp/no_slashes", [{"n": 1}])


def test_a_row_the_cluster_would_refuse_names_its_index_and_column(yt: YtClient) -> None:
    yt.write_table(DATA, [{"n": 1}])
    with pytest.raises(RowError, match=r"row 1.*when"):
        yt.write_table(DATA, [{"n": 2}, {"n": 3, "when": object()}])
    assert list(yt.read_table(DATA)) == [{"n": 1}]


# --- operations -----------------------------------------------------------------------------


def test_map_keeps_input_order_across_jobs(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(50))
    spec = MapOperation(input_table=[DATA], output_table=[OUT], resources={"job_count": 3})
    result = yt.run_operation(spec, stage="s")
    assert [row["doubled"] for row in yt.read_table(OUT)] == [n * 2 for n in range(50)]
    assert result.output_rows == {OUT: 50}
    assert result.seconds > 0


def test_map_keeps_non_ascii_strings_intact(yt: YtClient) -> None:
    yt.write_table(DATA, [{"text": "zoë ß 日本 🙂"}])
    yt.run_operation(
        MapOperation(input_table=[DATA], output_table=[OUT], mapper="src/upper.py"), stage="s"
    )
    assert list(yt.read_table(OUT)) == [{"text": "ZOË SS 日本 🙂", "length": 10}]


def test_map_appends_when_asked(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(2))
    yt.write_table(OUT, [{"n": -1}])
    spec = MapOperation(input_table=[DATA], output_table=[OUT], append=True)
    assert yt.run_operation(spec, stage="s").output_rows == {OUT: 2}
    assert [row["n"] for row in yt.read_table(OUT)] == [-1, 0, 1]


def test_map_writes_table_k_to_its_own_output(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(6))
    odd = f"{ROOT}/odd"
    spec = MapOperation(input_table=[DATA], output_table=[OUT, odd], mapper="src/split.py")
    yt.run_operation(spec, stage="s")
    assert [row["n"] for row in yt.read_table(OUT)] == [0, 2, 4]
    assert [row["n"] for row in yt.read_table(odd)] == [1, 3, 5]


def test_a_failed_map_names_the_stderr_and_leaves_the_output(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(5))
    yt.write_table(OUT, [{"old": True}])
    spec = MapOperation(input_table=[DATA], output_table=[OUT], mapper="src/fail.py")
    with pytest.raises(OperationError, match="cannot handle row 3"):
        yt.run_operation(spec, stage="s")
    assert list(yt.read_table(OUT)) == [{"old": True}]


def test_secrets_reach_jobs_through_the_secure_vault(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(1))
    spec = MapOperation(input_table=[DATA], output_table=[OUT], mapper="src/secret.py")
    yt.run_operation(spec, stage="s")
    (row,) = yt.read_table(OUT)
    assert row["secret_sha"] == hashlib.sha256(SECRET_VALUE.encode()).hexdigest()
    assert row["plain_env"] == ["YT_SECURE_VAULT_API_KEY"]


def test_sort_orders_rows_in_yt_order(yt: YtClient) -> None:
    rows = [{"k": k, "n": n} for n, k in enumerate(["b", None, "a", 10, 2.5, True, "a"])]
    yt.write_table(DATA, rows)
    yt.run_operation(SortOperation(input_table=[DATA], output_table=OUT, sort_by=["k"]), stage="s")
    assert [row["k"] for row in yt.read_table(OUT)] == [None, 10, 2.5, True, "a", "a", "b"]


def test_reduce_sums_each_key_of_sorted_input(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(9))
    ordered = f"{ROOT}/sorted"
    yt.run_operation(
        SortOperation(input_table=[DATA], output_table=ordered, sort_by=["k"]), stage="s"
    )
    spec = ReduceOperation(
        input_table=[ordered], output_table=[OUT], reducer="src/sum.py", reduce_by=["k"]
    )
    yt.run_operation(spec, stage="s")
    assert sorted(map(str, yt.read_table(OUT))) == sorted(
        map(str, [{"k": 0, "total": 9}, {"k": 1, "total": 12}, {"k": 2, "total": 15}])
    )


def test_reduce_refuses_unsorted_input(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(4))
    spec = ReduceOperation(
        input_table=[DATA], output_table=[OUT], reducer="src/sum.py", reduce_by=["k"]
    )
    with pytest.raises(OperationError, match="sorted"):
        yt.run_operation(spec, stage="s")
    assert not yt.exists(OUT)


def test_map_reduce_counts_words(yt: YtClient) -> None:
    yt.write_table(DATA, [{"text": "the fox"}, {"text": "the dog the end"}])
    spec = MapReduceOperation(
        input_table=[DATA],
        output_table=[OUT],
        mapper="src/words.py",
        reducer="src/count.py",
        reduce_by=["word"],
    )
    yt.run_operation(spec, stage="s")
    counts = {row["word"]: row["count"] for row in yt.read_table(OUT)}
    assert counts == {"the": 3, "fox": 1, "dog": 1, "end": 1}


def test_vanilla_runs_its_jobs(yt: YtClient) -> None:
    result = yt.run_operation(VanillaOperation(resources={"job_count": 2}), stage="s")
    assert result.jobs == 2


def test_a_failed_vanilla_raises_with_its_stderr(yt: YtClient) -> None:
    with pytest.raises(OperationError, match="vanilla is broken"):
        yt.run_operation(VanillaOperation(command="src/vanilla_fail.py"), stage="s")


# --- YQL ------------------------------------------------------------------------------------


def test_yql_select_returns_rows_as_dicts(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(6))
    rows = yt.run_yql(f"SELECT k, COUNT(*) AS c FROM `{DATA}` GROUP BY k ORDER BY k;")
    assert rows == [{"k": 0, "c": 2}, {"k": 1, "c": 2}, {"k": 2, "c": 2}]


def test_yql_insert_with_truncate_replaces_a_table(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(6))
    yt.write_table(OUT, [{"old": 1}])
    yt.run_yql(f"INSERT INTO `{OUT}` WITH TRUNCATE SELECT n FROM `{DATA}` WHERE n > 3;")
    assert sorted(row["n"] for row in yt.read_table(OUT)) == [4, 5]


def test_yql_helpers_run_on_the_backend(yt: YtClient) -> None:
    yt.write_table(DATA, numbers(6))
    assert yt.filter_table(input_table=DATA, output_table=OUT, condition="n >= 2") == 4


def test_a_bad_query_raises_yql_error(yt: YtClient) -> None:
    with pytest.raises(YqlError):
        yt.run_yql("SELEC 1;")
