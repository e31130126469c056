"""The sort workloads (issue 17): sort, reduce over the sorted table, map-reduce, 10x rows.

Each is a real pipeline run as a whole process, against the raw tools doing the same work:
DuckDB's ``ORDER BY`` for the sort, a single ``python reducer.py < in > out`` pipe for the
reduce, and the sum of the raw parts (map pipe, DuckDB sort, reduce pipe) for map-reduce.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.workloads import DATA_PATH, WORK_ROOT, Workload, _master, _pipeline, _script
from ytflow.dev import DevTableStore

SORT_BY = ["bucket", "score"]
SORTED_PATH = "//bench/sorted"

SORT_STAGE = """
from ytflow import Stage

class RunSort(Stage):
    def run(self, debug):
        self.run_sort(self.config.client.operations.sort)
        return debug
"""

# Ranks each bucket's rows by score, which needs the input sorted by [bucket, score]: one
# output row per input row, as a reducer that enriches rows does.
RANK_REDUCER = """\
from ytjobs.io import groups, read_rows, write_row

for bucket, rows in groups(read_rows(), "bucket"):
    for rank, row in enumerate(rows):
        write_row({"id": row["id"], "bucket": bucket, "rank": rank, "score": row["score"]})
"""

WORD_MAPPER = """\
from ytjobs.io import read_rows, write_row

for row in read_rows():
    for word in (row["tag"], row["name"].split("_")[0]):
        write_row({"word": word, "count": 1})
"""

WORD_REDUCER = """\
from ytjobs.io import groups, read_rows, write_row

for word, rows in groups(read_rows(), "word"):
    write_row({"word": word, "count": sum(row["count"] for row in rows)})
"""


def _link_table(folder: Path, path: str, master: Path, rows: int, sorted_by: list[str] | None):
    """Hard-link ``master`` in as the table ``path``, registered as ytflow would leave it."""
    store = DevTableStore(folder / ".dev")
    if store.exists(path) and store.row_count(path) == rows and store.sorted_by(path) == sorted_by:
        return store.file_for(path)
    link = folder / ".dev" / f".{path.rsplit('/', 1)[-1]}.link"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    os.link(master, link)
    store.commit([(path, [link], rows)], sorted_by=sorted_by)
    return store.file_for(path)


def _sorted_master(rows: int) -> Path:
    """The shared data sorted by ``SORT_BY``, made once per row count (in a child process:
    DuckDB's memory would otherwise count in the peak RSS of every later measured child)."""
    target = WORK_ROOT / "data" / f"sorted_{rows}.jsonl"
    if not target.exists():
        source = _master(rows)
        script = (
            "import sys\nfrom pathlib import Path\n"
            "from ytflow.dev.table_sort import sort_files\n"
            "sort_files([Path(sys.argv[1])], Path(sys.argv[2]), sys.argv[3:],"
            " temp_dir=Path(sys.argv[2]).parent / '.tmp')\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, str(source), str(target), *SORT_BY], check=True
        )
    return target


def _sort_pipeline(folder: Path, rows: int) -> list[str]:
    _link_table(folder, DATA_PATH, _master(rows), rows, None)
    command = _pipeline(folder, SORT_STAGE)
    (folder / "stages" / "main" / "config.yaml").write_text(
        "client:\n  operations:\n    sort:\n"
        f"      input_table: {DATA_PATH}\n      output_table: {SORTED_PATH}\n"
        f"      sort_by: [{', '.join(SORT_BY)}]\n"
    )
    return command


def _duckdb_sort_script(work: Path, name: str, source: Path, order_by: str, output: Path):
    copy = (
        f"COPY (SELECT * FROM read_json('{source}') ORDER BY {order_by}) "
        f"TO '{output}' (FORMAT json)"
    )
    return _script(work / name, f"import duckdb\n\nduckdb.sql({copy!r})\n")


def sort_1m(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """W9: ``run_sort`` by [bucket, score] vs DuckDB ``ORDER BY`` to JSON on the same file."""
    folder = work / "w9"
    ytflow = _sort_pipeline(folder, rows)
    baseline = _duckdb_sort_script(
        work, "w9_baseline.py", _master(rows), ", ".join(SORT_BY), work / "w9_baseline.jsonl"
    )
    return ytflow, baseline


def sort_10x(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """S10: the same sort over 10x the rows; the baseline is the 1x sort (ratio <= 12x)."""
    return _sort_pipeline(work / "s10", rows * 10), _sort_pipeline(work / "w9", rows)


def reduce_sorted(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """W10: rank rows by score per bucket over the sorted table, 2 jobs, vs one raw pipe."""
    folder = work / "w10"
    source = _link_table(folder, SORTED_PATH, _sorted_master(rows), rows, SORT_BY)
    ytflow = _pipeline(
        folder,
        """
        from ytflow import Stage

        class RunReduce(Stage):
            def run(self, debug):
                self.run_reduce(self.config.client.operations.reduce)
                return debug
        """,
    )
    stage = folder / "stages" / "main"
    (stage / "src").mkdir(parents=True, exist_ok=True)
    (stage / "src" / "reducer.py").write_text(RANK_REDUCER)
    (stage / "config.yaml").write_text(
        "client:\n  operations:\n    reduce:\n"
        f"      input_table: {SORTED_PATH}\n      output_table: //bench/reduced\n"
        "      reduce_by: [bucket]\n      resources: {job_count: 2}\n"
    )
    reducer = work / "w10_reducer.py"
    reducer.write_text(RANK_REDUCER)
    out = work / "w10_baseline.jsonl"
    return ytflow, ["/bin/sh", "-c", f"{sys.executable} {reducer} < {source} > {out}"]


def map_reduce(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """W11: word count by map-reduce (2 jobs per phase) vs the sum of its raw parts: the
    mapper pipe, DuckDB's sort of its output, the reducer pipe, one after the other."""
    folder = work / "w11"
    source = _link_table(folder, DATA_PATH, _master(rows), rows, None)
    ytflow = _pipeline(
        folder,
        """
        from ytflow import Stage

        class RunMapReduce(Stage):
            def run(self, debug):
                self.run_map_reduce(self.config.client.operations.map_reduce)
                return debug
        """,
    )
    stage = folder / "stages" / "main"
    (stage / "src").mkdir(parents=True, exist_ok=True)
    (stage / "src" / "mapper.py").write_text(WORD_MAPPER)
    (stage / "src" / "reducer.py").write_text(WORD_REDUCER)
    (stage / "config.yaml").write_text(
        "client:\n  operations:\n    map_reduce:\n"
        f"      input_table: {DATA_PATH}\n      output_table: //bench/word_counts\n"
        "      reduce_by: [word]\n      resources: {job_count: 2}\n"
    )
    mapper, reducer = work / "w11_mapper.py", work / "w11_reducer.py"
    mapper.write_text(WORD_MAPPER)
    reducer.write_text(WORD_REDUCER)
    mapped, ordered = work / "w11_mapped.jsonl", work / "w11_sorted.jsonl"
    sort = _duckdb_sort_script(work, "w11_sort.py", mapped, "word", ordered)
    python = sys.executable
    baseline = (
        f"{python} {mapper} < {source} > {mapped} && {' '.join(sort)} && "
        f"{python} {reducer} < {ordered} > {work / 'w11_baseline.jsonl'}"
    )
    return ytflow, ["/bin/sh", "-c", baseline]


SORT_WORKLOADS = [
    Workload("W9", "sort by [bucket, score] (vs DuckDB ORDER BY to JSON)", "<= 1.5x", sort_1m),
    Workload("W10", "reduce sorted table, 2 jobs (vs 1 raw pipe)", "<= 0.7x", reduce_sorted),
    Workload("W11", "map-reduce word count (vs sum of raw parts)", "<= 1.5x", map_reduce),
    Workload(
        "S10",
        "sort 10x rows (vs the 1x sort): time and RSS",
        "<= 12x, RSS < 1 GB",
        sort_10x,
        opt_in=True,
    ),
]
