"""Dev reduce and map-reduce, end to end.

Every test builds a real pipeline folder in ``tmp_path`` and runs it through the real
``ytflow run`` CLI: jobs are real subprocesses started from the code bundle, tables are the
JSONL files under ``.dev/`` and their metadata ``.dev/.meta/<name>.json``. Nothing is mocked.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from conftest import MakePipeline, read_dev_table
from reduce_helpers import (
    GROUP_REDUCER,
    PAIR_REDUCER,
    SEQUENCE_REDUCER,
    SPLIT_REDUCER,
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

# --- reduce semantics -----------------------------------------------------------------------


def test_reduce_never_splits_a_key_across_jobs(make_pipeline, tmp_path):
    sizes = {10: 1, 2: 200, 1: 3, 33: 150, 7: 7, 100: 90, 5: 40, 64: 120, 3: 2, 20: 60}
    sizes |= {9: 180, 1000: 25}
    pad = "x" * 400  # ~400 KiB in all: enough for dev to start four jobs
    rows = [{"k": k, "i": i, "pad": pad} for k, n in sizes.items() for i in range(n)]
    random.Random(3).shuffle(rows)
    root = sort_reduce_pipeline(
        make_pipeline,
        tmp_path,
        rows,
        sort_by=["k"],
        reduce={"reduce_by": "k", "resources": {"job_count": 4}},
    )
    run_ok(root)
    out = read_dev_table(root, "out")
    assert [row["k"] for row in out] == sorted(sizes)  # each key once, in sorted order
    assert {row["k"]: row["n"] for row in out} == sizes  # with all of its rows
    jobs = [row["job"] for row in out]
    assert len(set(jobs)) > 1, jobs
    assert jobs == sorted(jobs)  # job outputs are concatenated in key order
    recorded = read_dev_table(root, "result")[0]
    assert recorded["row_count"] == len(sizes)
    assert recorded["jobs"] == len(set(jobs))


def test_reduce_by_two_columns(make_pipeline, tmp_path):
    pairs = [(2, "x"), (10, "x"), (2, "y"), (1, "y"), (10, "x"), (2, "x"), (1, "x"), (2, "y")]
    pairs += [(10, "y"), (2, "x")]
    rows = [{"a": a, "b": b} for a, b in pairs]
    root = sort_reduce_pipeline(
        make_pipeline,
        tmp_path,
        rows,
        sort_by=["a", "b"],
        reduce={"reduce_by": ["a", "b"]},
        reducer=PAIR_REDUCER,
    )
    run_ok(root)
    out = read_dev_table(root, "out")
    counts = Counter(pairs)
    assert [(row["a"], row["b"]) for row in out] == sorted(counts)
    assert {(row["a"], row["b"]): row["n"] for row in out} == counts


def test_reducer_sees_rows_in_sort_by_order_within_a_key(make_pipeline, tmp_path):
    rng = random.Random(5)
    rows = [{"word": rng.choice("ab"), "n": rng.choice([2, 10, 1, 33, 100])} for _ in range(40)]
    root = sort_reduce_pipeline(
        make_pipeline,
        tmp_path,
        rows,
        sort_by=["word", "n"],
        reduce={"reduce_by": "word", "sort_by": ["word", "n"]},
        reducer=SEQUENCE_REDUCER,
    )
    run_ok(root)
    expected = {
        word: sorted(row["n"] for row in rows if row["word"] == word) for word in ("a", "b")
    }
    assert {row["word"]: row["ns"] for row in read_dev_table(root, "out")} == expected


def test_groups_in_a_reducer_keeps_keys_of_different_types_apart(make_pipeline, tmp_path):
    rows = [{"k": "1"}, {"k": True}, {"k": 1.0}, {"k": 1}, {"k": 1}]
    root = sort_reduce_pipeline(
        make_pipeline, tmp_path, rows, sort_by=["k"], reduce={"reduce_by": "k"}
    )
    run_ok(root)
    out = read_dev_table(root, "out")
    assert [(typed(row["k"]), row["n"]) for row in out] == [
        (typed(1), 2),
        (typed(1.0), 1),
        (typed(True), 1),
        (typed("1"), 1),
    ]


def test_reducer_writes_two_output_tables(make_pipeline, tmp_path):
    sizes = {4: 1, 1: 3, 30: 1, 2: 2, 7: 1}
    rows = [{"k": k} for k, n in sizes.items() for _ in range(n)]
    root = sort_reduce_pipeline(
        make_pipeline,
        tmp_path,
        rows,
        sort_by=["k"],
        reduce={"reduce_by": "k", "output_table": [tp("singles"), tp("groups")]},
        reducer=SPLIT_REDUCER,
    )
    run_ok(root)
    assert read_dev_table(root, "singles") == [
        {"k": 4, "n": 1},
        {"k": 7, "n": 1},
        {"k": 30, "n": 1},
    ]
    assert read_dev_table(root, "groups") == [{"k": 1, "n": 3}, {"k": 2, "n": 2}]
    recorded = read_dev_table(root, "result")[0]
    assert recorded["output_rows"] == {tp("singles"): 3, tp("groups"): 2}
    assert recorded["row_count"] == 5


def test_reduce_over_several_sorted_tables_merges_them_by_key(make_pipeline, tmp_path):
    left = [{"k": k, "src": "left"} for k in (5, 1, 30, 5, 2)]
    right = [{"k": k, "src": "right"} for k in (30, 3, 5, 100)]
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"left": left, "right": right}),
            "sort_left": op_stage("sort"),
            "sort_right": op_stage("sort"),
            "reduce": op_stage("reduce"),
        },
        stage_configs={
            "sort_left": op_config(
                "sort", input_table=tp("left"), output_table=tp("left_sorted"), sort_by="k"
            ),
            "sort_right": op_config(
                "sort", input_table=tp("right"), output_table=tp("right_sorted"), sort_by="k"
            ),
            "reduce": op_config(
                "reduce",
                input_table=[tp("left_sorted"), tp("right_sorted")],
                output_table=tp("out"),
                reduce_by="k",
                resources={"job_count": 2},
            ),
        },
        files={"stages/reduce/src/reducer.py": GROUP_REDUCER},
    )
    run_ok(root)
    out = read_dev_table(root, "out")
    assert [(row["k"], row["n"], row["src"]) for row in out] == [
        (1, 1, ["left"]),
        (2, 1, ["left"]),
        (3, 1, ["right"]),
        (5, 3, ["left", "right"]),
        (30, 2, ["left", "right"]),
        (100, 1, ["right"]),
    ]


def test_reduce_with_append_adds_to_the_output(make_pipeline, tmp_path):
    old = [{"k": "old", "n": 0}]
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"data": [{"k": 2}, {"k": 1}, {"k": 2}], "out": old}),
            "sort": op_stage("sort"),
            "reduce": op_stage("reduce", record="result"),
        },
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            ),
            "reduce": op_config(
                "reduce",
                input_table=tp("sorted"),
                output_table=tp("out"),
                reduce_by="k",
                append=True,
            ),
        },
        files={"stages/reduce/src/reducer.py": SPLIT_REDUCER.replace("0 if n == 1 else 1", "0")},
    )
    run_ok(root)
    assert read_dev_table(root, "out") == [*old, {"k": 1, "n": 1}, {"k": 2, "n": 2}]
    assert meta(root, "out")["rows"] == 3
    assert read_dev_table(root, "result")[0]["output_rows"] == {tp("out"): 2}


def test_empty_input_gives_empty_output(make_pipeline, tmp_path):
    stale = [{"stale": True}]
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"data": [], "out": stale, "counts": stale}),
            "sort": op_stage("sort"),
            "reduce": op_stage("reduce", record="reduce_result"),
            "map_reduce": op_stage("map_reduce", record="map_reduce_result"),
        },
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by="k"
            ),
            "reduce": op_config(
                "reduce",
                input_table=tp("sorted"),
                output_table=tp("out"),
                reduce_by="k",
                resources={"job_count": 3},
            ),
            "map_reduce": op_config(
                "map_reduce",
                input_table=tp("data"),
                output_table=tp("counts"),
                reduce_by="k",
                resources={"job_count": 3},
                reduce_job_count=2,
            ),
        },
        files={
            "stages/reduce/src/reducer.py": GROUP_REDUCER,
            "stages/map_reduce/src/mapper.py": "from ytjobs.io import read_rows, write_rows\n"
            "write_rows(read_rows())\n",
            "stages/map_reduce/src/reducer.py": GROUP_REDUCER,
        },
    )
    run_ok(root)
    for name in ("sorted", "out", "counts"):
        assert table_file(root, name).read_bytes() == b"", name
        assert meta(root, name)["rows"] == 0, name
    assert meta(root, "sorted")["sorted_by"] == ["k"]
    assert read_dev_table(root, "reduce_result")[0]["row_count"] == 0
    assert read_dev_table(root, "map_reduce_result")[0]["row_count"] == 0


# --- map-reduce ------------------------------------------------------------------------------

WORD_MAPPER = """\
import os

from ytjobs.io import read_rows, write_row

job = int(os.environ["YT_JOB_INDEX"])
for row in read_rows():
    for word in row["text"].split():
        write_row({"word": word, "count": 1, "map_job": job})
"""

WORD_REDUCER = """\
import os

from ytjobs.io import groups, read_rows, write_row

job = int(os.environ["YT_JOB_INDEX"])
for word, rows in groups(read_rows(), "word"):
    total, map_jobs = 0, set()
    for row in rows:
        total += row["count"]
        map_jobs.add(row["map_job"])
    write_row({"word": word, "count": total, "map_jobs": sorted(map_jobs), "reduce_job": job})
"""

VOCABULARY = [
    head + tail
    for head in ("al", "be", "ga", "de")
    for tail in ("pha", "ta", "mma", "lt", "x", "yz", "q", "rho")
]


def word_count_pipeline(make_pipeline: MakePipeline, tmp_path: Path) -> tuple[Path, Counter[str]]:
    rng = random.Random(11)
    # ~250 KiB of text: enough for dev to start three mapper jobs (64 KiB at least each).
    lines = [" ".join(rng.choices(VOCABULARY, k=160)) for _ in range(300)]
    rows = [{"line_no": n, "text": text} for n, text in enumerate(lines)]
    root = make_pipeline(
        {
            "load": loader(tmp_path, {"lines": rows}),
            "count": op_stage("map_reduce", record="result"),
            "count_bad": op_stage("map_reduce"),
        },
        config="stages:\n  enabled_stages: [load, count]\n",
        stage_configs={
            "count": op_config(
                "map_reduce",
                input_table=tp("lines"),
                output_table=tp("counts"),
                reduce_by="word",
                resources={"job_count": 3},
                reduce_job_count=2,
            ),
            "count_bad": op_config(
                "map_reduce",
                input_table=tp("lines"),
                output_table=tp("counts"),
                reducer="src/bad_reducer.py",
                reduce_by="word",
                resources={"job_count": 3},
                reduce_job_count=2,
            ),
        },
        files={
            "stages/count/src/mapper.py": WORD_MAPPER,
            "stages/count/src/reducer.py": WORD_REDUCER,
            "stages/count_bad/src/mapper.py": WORD_MAPPER,
            "stages/count_bad/src/bad_reducer.py": "import sys\n"
            "sys.stdin.readline()\n"
            "sys.stderr.write('reducer exploded\\n')\n"
            "sys.exit(3)\n",
        },
    )
    return root, Counter(word for line in lines for word in line.split())


def test_map_reduce_word_count_runs_three_mappers_and_two_reducers(make_pipeline, tmp_path):
    root, expected = word_count_pipeline(make_pipeline, tmp_path)
    run_ok(root)
    out = read_dev_table(root, "counts")
    assert {row["word"]: row["count"] for row in out} == expected
    assert [row["word"] for row in out] == sorted(expected)
    assert set().union(*(row["map_jobs"] for row in out)) == {0, 1, 2}
    assert {row["reduce_job"] for row in out} == {0, 1}
    recorded = read_dev_table(root, "result")[0]
    assert recorded["row_count"] == len(expected)
    assert recorded["output_rows"] == {tp("counts"): len(expected)}
    assert recorded["jobs"] == 3 + 2
    jobs_dir = root / ".dev" / "sandbox_lines->counts" / ".ytflow_jobs"
    assert sorted(path.name for path in (jobs_dir / "map").glob("*.stderr")) == [
        f"job_{index}.attempt_0.stderr" for index in range(3)
    ]
    assert sorted(path.name for path in (jobs_dir / "reduce").glob("*.stderr")) == [
        f"job_{index}.attempt_0.stderr" for index in range(2)
    ]


def test_map_reduce_failing_reducer_keeps_the_previous_output(make_pipeline, tmp_path):
    root, expected = word_count_pipeline(make_pipeline, tmp_path)
    run_ok(root)
    before_bytes = table_file(root, "counts").read_bytes()
    before_meta = meta(root, "counts")
    assert len(read_dev_table(root, "counts")) == len(expected)
    result = run(root, "count_bad")
    assert result.returncode == 1, result.stderr
    assert "map_reduce //tmp/t/lines -> //tmp/t/counts (reduce) failed: job" in result.stderr
    assert "exited with status 3" in result.stderr
    assert "reducer exploded" in result.stderr
    assert table_file(root, "counts").read_bytes() == before_bytes
    assert meta(root, "counts") == before_meta


def test_map_reduce_sort_by_orders_rows_within_a_key(make_pipeline, tmp_path):
    rng = random.Random(13)
    rows = [
        {"word": rng.choice(["b", "a", "c"]), "n": rng.choice([10, 2, 1, 33, 100, -4])}
        for _ in range(60)
    ]
    root = make_pipeline(
        {"load": loader(tmp_path, {"data": rows}), "mr": op_stage("map_reduce")},
        stage_configs={
            "mr": op_config(
                "map_reduce",
                input_table=tp("data"),
                output_table=tp("out"),
                reduce_by="word",
                sort_by=["word", "n"],
                resources={"job_count": 2},
                reduce_job_count=2,
            )
        },
        files={
            "stages/mr/src/mapper.py": "from ytjobs.io import read_rows, write_rows\n"
            "write_rows(read_rows())\n",
            "stages/mr/src/reducer.py": SEQUENCE_REDUCER,
        },
    )
    run_ok(root)
    out = read_dev_table(root, "out")
    assert [row["word"] for row in out] == ["a", "b", "c"]
    for row in out:
        assert row["ns"] == sorted(r["n"] for r in rows if r["word"] == row["word"]), row
