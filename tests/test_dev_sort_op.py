"""Dev sort, and reduce's demand for sorted input, end to end.

Every test builds a real pipeline folder in ``tmp_path`` and runs it through the real
``ytflow run`` CLI: jobs are real subprocesses started from the code bundle, tables are the
JSONL files under ``.dev/`` and their metadata ``.dev/.meta/<name>.json``. Nothing is mocked.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_config_error, read_dev_table
from reduce_helpers import (
    GROUP_REDUCER,
    loader,
    meta,
    op_config,
    op_stage,
    run,
    run_ok,
    sort_reduce_pipeline,
    table_file,
    tp,
    typed,
)

from ytflow.dev import DevClient
from ytflow.ops import SortOperation

# --- sort ----------------------------------------------------------------------------------


def test_sort_uses_yt_order_numbers_numerically_and_types_by_rank(make_pipeline, tmp_path):
    keys: list[Any] = [10, "b", 2, None, 2.5, True, "MISSING", -1.0, "10", False, 1, "a", -3]
    rows = [
        {"seq": seq} if key == "MISSING" else {"k": key, "seq": seq} for seq, key in enumerate(keys)
    ]
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": rows}), "sort": op_stage("sort", record="result")},
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            )
        },
    )
    run_ok(root)
    out = read_dev_table(root, "sorted")
    # null and missing first (in input order), then int64, double, boolean, string.
    assert [row["seq"] for row in out] == [3, 6, 12, 10, 2, 0, 7, 4, 9, 5, 8, 11, 1]
    assert [typed(row.get("k")) for row in out] == [
        typed(None),
        typed(None),
        typed(-3),
        typed(1),
        typed(2),
        typed(10),
        typed(-1.0),
        typed(2.5),
        typed(False),
        typed(True),
        typed("10"),
        typed("a"),
        typed("b"),
    ]
    info = meta(root, "sorted")
    assert info["sorted_by"] == ["k"]
    assert info["path"] == tp("sorted")
    assert info["rows"] == len(rows)
    assert meta(root, "data")["sorted_by"] is None
    assert read_dev_table(root, "result")[0]["row_count"] == len(rows)


def test_sort_by_several_columns_is_stable_for_equal_keys(make_pipeline, tmp_path):
    rng = random.Random(7)
    rows = [
        {"a": rng.choice(["x", "y", "z"]), "b": rng.choice([2, 10, 1, 100, 33]), "seq": seq}
        for seq in range(120)
    ]
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": rows}), "sort": op_stage("sort")},
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by=["a", "b"]
            )
        },
    )
    run_ok(root)
    # Python's sort is stable and, for str/int columns, orders as YT does.
    expected = sorted(rows, key=lambda row: (row["a"], row["b"]))
    assert read_dev_table(root, "sorted") == expected
    assert meta(root, "sorted")["sorted_by"] == ["a", "b"]


def test_sort_of_several_input_tables_sorts_them_together(make_pipeline, tmp_path):
    left = [{"k": k, "src": "left"} for k in (5, 30, 1, 200, 7)]
    right = [{"k": k, "src": "right"} for k in (4, 100, 30, 3)]
    root = make_pipeline(
        {"load": loader(tmp_path, {"left": left, "right": right}), "sort": op_stage("sort")},
        stage_configs={
            "sort": op_config(
                "sort",
                input_table=[tp("left"), tp("right")],
                output_table=tp("both"),
                sort_by=["k"],
            )
        },
    )
    run_ok(root)
    out = read_dev_table(root, "both")
    assert [row["k"] for row in out] == [1, 3, 4, 5, 7, 30, 30, 100, 200]
    assert sorted(map(json.dumps, out)) == sorted(map(json.dumps, left + right))
    assert meta(root, "both")["sorted_by"] == ["k"]
    assert meta(root, "both")["rows"] == len(left) + len(right)


def test_sort_into_an_existing_table_replaces_it(make_pipeline, tmp_path):
    rows = [{"k": 3}, {"k": 1}, {"k": 2}]
    old = [{"junk": index, "text": "old"} for index in range(5)]
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": rows, "sorted": old}), "sort": op_stage("sort")},
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            )
        },
    )
    run_ok(root, "load")
    assert read_dev_table(root, "sorted") == old
    run_ok(root, "sort")
    assert read_dev_table(root, "sorted") == [{"k": 1}, {"k": 2}, {"k": 3}]
    assert meta(root, "sorted")["rows"] == 3
    assert meta(root, "sorted")["sorted_by"] == ["k"]


def test_sort_a_table_onto_itself(make_pipeline, tmp_path):
    rows = [{"k": k} for k in (10, 2, 33, 1)]
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": rows}), "sort": op_stage("sort")},
        stage_configs={
            "sort": op_config("sort", input_table=tp("data"), output_table=tp("data"), sort_by="k")
        },
    )
    run_ok(root)
    assert read_dev_table(root, "data") == [{"k": 1}, {"k": 2}, {"k": 10}, {"k": 33}]
    assert meta(root, "data")["sorted_by"] == ["k"]
    assert meta(root, "data")["rows"] == 4


def test_sort_of_a_missing_table_names_it_and_leaves_the_output_alone(make_pipeline, tmp_path):
    root = make_pipeline(
        {"load": loader(tmp_path, {"sorted": [{"k": 2}, {"k": 1}]}), "sort": op_stage("sort")},
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("missing"), output_table=tp("sorted"), sort_by="k"
            )
        },
    )
    run_ok(root, "load")
    before_bytes = table_file(root, "sorted").read_bytes()
    before_meta = meta(root, "sorted")
    result = run(root, "sort")
    assert result.returncode == 1, result.stderr
    assert "//tmp/t/missing" in result.stderr
    assert "does not exist" in result.stderr
    assert table_file(root, "sorted").read_bytes() == before_bytes
    assert meta(root, "sorted") == before_meta
    assert not table_file(root, "missing").exists()


def test_write_or_append_to_a_sorted_table_forgets_its_sort(make_pipeline, tmp_path):
    rows = [{"k": 2}, {"k": 1}]
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"data": rows}),
            "sort": op_stage("sort"),
            "rewrite": loader(tmp_path, {"sorted": [{"k": 1}, {"k": 2}]}),
            "append": loader(tmp_path, {"sorted": [{"k": 3}]}, append=True),
            "reduce": op_stage("reduce"),
        },
        config="stages:\n  enabled_stages: [load, sort]\n",
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            ),
            "reduce": op_config(
                "reduce", input_table=tp("sorted"), output_table=tp("out"), reduce_by="k"
            ),
        },
        files={"stages/reduce/src/reducer.py": GROUP_REDUCER},
    )
    run_ok(root)
    assert meta(root, "sorted")["sorted_by"] == ["k"]
    run_ok(root, "rewrite")  # a plain write_table of rows that happen to be in order
    assert meta(root, "sorted")["sorted_by"] is None
    run_ok(root, "sort")
    assert meta(root, "sorted")["sorted_by"] == ["k"]
    run_ok(root, "append")  # appending a larger key still loses the guarantee
    assert meta(root, "sorted")["sorted_by"] is None
    assert [row["k"] for row in read_dev_table(root, "sorted")] == [1, 2, 3]
    result = run(root, "reduce")
    assert result.returncode == 1, result.stderr
    assert "not sorted" in result.stderr


# --- reduce needs sorted input ---------------------------------------------------------------


def test_reduce_over_an_unsorted_table_fails_and_suggests_run_sort(make_pipeline, tmp_path):
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": [{"k": 2}, {"k": 1}]}), "reduce": op_stage("reduce")},
        stage_configs={
            "reduce": op_config(
                "reduce", input_table=tp("data"), output_table=tp("out"), reduce_by="k"
            )
        },
        files={"stages/reduce/src/reducer.py": GROUP_REDUCER},
    )
    result = run(root)
    assert result.returncode == 1, result.stderr
    assert "Input table //tmp/t/data is not sorted" in result.stderr
    assert "run_sort" in result.stderr
    assert "OperationError" in result.stderr
    assert not table_file(root, "out").exists()


@pytest.mark.parametrize(
    ("sort_by", "reduce", "state"),
    [
        (["b"], {"reduce_by": "a"}, "sorted by ['b']"),
        (["b", "a"], {"reduce_by": "a"}, "sorted by ['b', 'a']"),
        (["a"], {"reduce_by": "a", "sort_by": ["a", "b"]}, "sorted by ['a']"),
    ],
)
def test_reduce_over_a_table_sorted_by_other_columns_fails(
    make_pipeline, tmp_path, sort_by, reduce, state
):
    rows = [{"a": 2, "b": 1}, {"a": 1, "b": 2}]
    root = sort_reduce_pipeline(make_pipeline, tmp_path, rows, sort_by=sort_by, reduce=reduce)
    result = run(root)
    assert result.returncode == 1, result.stderr
    assert "Input table //tmp/t/sorted is not sorted by" in result.stderr
    assert state in result.stderr
    assert "run_sort" in result.stderr
    assert not table_file(root, "out").exists()


def test_reduce_accepts_a_table_sorted_by_a_longer_key(make_pipeline, tmp_path):
    rows = [{"k": k, "b": b} for k, b in [(2, 1), (1, 5), (2, 0), (1, 1)]]
    root = sort_reduce_pipeline(
        make_pipeline, tmp_path, rows, sort_by=["k", "b"], reduce={"reduce_by": "k"}
    )
    run_ok(root)
    assert [(row["k"], row["n"]) for row in read_dev_table(root, "out")] == [(1, 2), (2, 2)]


def test_reduce_with_one_unsorted_input_among_several_names_it(make_pipeline, tmp_path):
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"data": [{"k": 2}, {"k": 1}], "raw": [{"k": 5}, {"k": 4}]}),
            "sort": op_stage("sort"),
            "reduce": op_stage("reduce"),
        },
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            ),
            "reduce": op_config(
                "reduce",
                input_table=[tp("sorted"), tp("raw")],
                output_table=tp("out"),
                reduce_by="k",
            ),
        },
        files={"stages/reduce/src/reducer.py": GROUP_REDUCER},
    )
    result = run(root)
    assert result.returncode == 1, result.stderr
    assert "Input table //tmp/t/raw is not sorted" in result.stderr
    assert not table_file(root, "out").exists()


@pytest.mark.parametrize("kind", ["reduce", "map_reduce"])
def test_sort_by_must_start_with_reduce_by(make_pipeline, tmp_path, kind):
    fields: dict[str, Any] = {
        "input_table": tp("data"),
        "output_table": tp("out"),
        "reduce_by": ["a"],
        "sort_by": ["b", "a"],
    }
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": [{"a": 1, "b": 1}]}), "op": op_stage(kind)},
        stage_configs={"op": op_config(kind, **fields)},
        files={"stages/op/src/reducer.py": GROUP_REDUCER, "stages/op/src/mapper.py": ""},
    )
    result = run(root)
    assert_config_error(
        result, "stages/op/config.yaml", f"client.operations.{kind}", "sort_by", "reduce_by"
    )
    assert not table_file(root, "data").exists()  # refused at load: no stage ran


def test_a_sorted_table_edited_by_hand_is_no_longer_known_to_be_sorted(tmp_path: Path) -> None:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//tmp/t/raw", [{"k": 2}, {"k": 1}])
    client.run_operation(
        SortOperation(input_table=["//tmp/t/raw"], output_table="//tmp/t/sorted", sort_by=["k"]),
        stage="s",
    )
    assert client.tables.sorted_by("//tmp/t/sorted") == ["k"]
    with client.tables.file_for("//tmp/t/sorted").open("ab") as handle:
        handle.write(b'{"k":0}\n')  # now out of order
    assert client.tables.sorted_by("//tmp/t/sorted") is None
