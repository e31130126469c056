"""The workloads: each a real pipeline run as a user would, and its raw baseline."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ytflow.dev import DevTableStore

# The ytflow stage and the baseline import the same generator from this module.
ROWS_MODULE = "bench_rows"
ROWS_SOURCE = """\
import random

def generate_rows(count):
    rng = random.Random(42)
    tags = ["alpha", "beta", "gamma", "delta", "epsilon"]
    for i in range(count):
        yield {
            "id": i,
            "name": f"user_{i}",
            "score": rng.random(),
            "bucket": rng.randrange(1000),
            "tag": tags[i % 5],
        }
"""

DATA_PATH = "//bench/data"
WORK_ROOT = Path(__file__).resolve().parent / ".data"


@dataclass(frozen=True)
class Workload:
    """A workload: how to prepare it, the ytflow command and the baseline command."""

    key: str
    title: str
    target: str
    prepare: Callable[[Path, int], tuple[list[str], list[str]]]
    opt_in: bool = False  # runs only when named with --only (it takes a while)


def _pipeline(folder: Path, stage_source: str, *, stage: str = "main") -> list[str]:
    """Write a one-stage pipeline; return the command that runs it."""
    (folder / "configs").mkdir(parents=True, exist_ok=True)
    (folder / "stages" / stage).mkdir(parents=True, exist_ok=True)
    (folder / "pipeline.py").write_text(
        "from ytflow import Pipeline\n\nif __name__ == '__main__':\n    Pipeline.main()\n"
    )
    (folder / "configs" / "config.yaml").write_text(
        f"pipeline:\n  mode: dev\nstages:\n  enabled_stages: [{stage}]\n"
    )
    (folder / "stages" / stage / "stage.py").write_text(textwrap.dedent(stage_source))
    return [sys.executable, str(folder / "pipeline.py")]


def _script(path: Path, source: str) -> list[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return [sys.executable, str(path)]


def _master(rows: int) -> Path:
    """The generated data, written once per row count and shared by every workload."""
    store = DevTableStore(WORK_ROOT / "data")
    path = f"//bench/data_{rows}"
    if not store.exists(path) or store.row_count(path) != rows:
        namespace: dict[str, object] = {}
        exec(ROWS_SOURCE, namespace)
        generate = namespace["generate_rows"]
        assert callable(generate)
        store.write(path, generate(rows))
    return store.file_for(path)


def prepare_input(folder: Path, rows: int) -> Path:
    """Give a workload's pipeline the shared data as its table ``//bench/data``.

    The master file is hard-linked in (no copy) and committed through the store, so the
    table is registered and its row count known, exactly as if ytflow had written it.
    """
    store = DevTableStore(folder / ".dev")
    if not store.exists(DATA_PATH) or store.row_count(DATA_PATH) != rows:
        master = _master(rows)
        link = folder / ".dev" / ".data.link"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        os.link(master, link)
        store.commit([(DATA_PATH, [link], rows)])
    return store.file_for(DATA_PATH)


def _write(work: Path, rows: int) -> tuple[list[str], list[str]]:
    (work / f"{ROWS_MODULE}.py").write_text(ROWS_SOURCE)
    ytflow = _pipeline(
        work / "w1",
        f"""
        import sys
        sys.path.insert(0, {str(work)!r})
        from {ROWS_MODULE} import generate_rows
        from ytflow import Stage

        class Write(Stage):
            def run(self, debug):
                rows = generate_rows({rows})
                self.deps.yt_client.write_table(table_path="//bench/out", rows=rows)
                return debug
        """,
    )
    baseline = _script(
        work / "w1_baseline.py",
        f"""
        import orjson
        from {ROWS_MODULE} import generate_rows

        with open({str(work / "w1_baseline.jsonl")!r}, "wb") as out:
            for row in generate_rows({rows}):
                out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        """,
    )
    return ytflow, baseline


def _read(work: Path, rows: int) -> tuple[list[str], list[str]]:
    folder = work / "w2"
    source = prepare_input(folder, rows)
    ytflow = _pipeline(
        folder,
        f"""
        from ytflow import Stage

        class Read(Stage):
            def run(self, debug):
                count = sum(1 for _ in self.deps.yt_client.read_table("{DATA_PATH}"))
                assert count == {rows}, count
                return debug
        """,
    )
    baseline = _script(
        work / "w2_baseline.py",
        f"""
        import orjson

        count = 0
        with open({str(source)!r}, "rb") as handle:
            for line in handle:
                orjson.loads(line)
                count += 1
        assert count == {rows}, count
        """,
    )
    return ytflow, baseline


IDENTITY_MAPPER = """\
from ytjobs.io import read_rows, write_row

for row in read_rows():
    write_row(row)
"""


def _map_pipeline(folder: Path, rows: int, job_count: int) -> list[str]:
    """A pipeline whose one stage maps the shared input table with the identity mapper."""
    prepare_input(folder, rows)
    command = _pipeline(
        folder,
        """
        from ytflow import Stage

        class RunMap(Stage):
            def run(self, debug):
                self.run_map(self.config.client.operations.map)
                return debug
        """,
    )
    stage = folder / "stages" / "main"
    (stage / "src").mkdir(parents=True, exist_ok=True)
    (stage / "src" / "mapper.py").write_text(IDENTITY_MAPPER)
    (stage / "config.yaml").write_text(
        "client:\n  operations:\n    map:\n"
        f"      input_table: {DATA_PATH}\n      output_table: //bench/mapped\n"
        f"      resources: {{job_count: {job_count}}}\n"
    )
    return command


def _map(work: Path, rows: int) -> tuple[list[str], list[str]]:
    folder = work / "w3"
    ytflow = _map_pipeline(folder, rows, job_count=2)
    mapper = work / "w3_mapper.py"
    mapper.write_text(IDENTITY_MAPPER)
    source = DevTableStore(folder / ".dev").file_for(DATA_PATH)
    baseline = [
        "/bin/sh",
        "-c",
        f"{sys.executable} {mapper} < {source} > {work / 'w3_baseline.jsonl'}",
    ]
    return ytflow, baseline


def _map_scale(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """The same map over 5x the rows: the driver's peak RSS must stay flat."""
    folder = work / "w8"
    ytflow = _map_pipeline(folder, rows * 5, job_count=2)
    return ytflow, [sys.executable, "-c", "pass"]


DIMENSION_PATH = "//bench/buckets"

# (key, title, the helper call in the stage, the same query for DuckDB by hand)
YQL_WORKLOADS = {
    "W4": (
        "filter (score > 0.5) via filter_table",
        'yt.filter_table(input_table="{data}", output_table="//bench/out", '
        'condition="score > 0.5")',
        "SELECT * FROM read_json_auto('{data_file}') WHERE score > 0.5",
    ),
    "W5": (
        "group by bucket (count, avg score)",
        'yt.group_by_aggregate(input_table="{data}", output_table="//bench/out", '
        'group_by="bucket", aggregations={{"n": ("count", "*"), '
        '"avg_score": ("avg", "score")}})',
        "SELECT bucket, COUNT(*) AS n, AVG(score) AS avg_score FROM read_json_auto('{data_file}') "
        "GROUP BY bucket",
    ),
    "W6": (
        "join with the 1k-row bucket table",
        'yt.join_tables(left_table="{data}", right_table="{dimension}", '
        'output_table="//bench/out", on="bucket", '
        'select_columns=["a.id", "a.score", "b.label"])',
        "SELECT a.id, a.score, b.label FROM read_json_auto('{data_file}') AS a "
        "JOIN read_json_auto('{dimension_file}') AS b ON a.bucket = b.bucket",
    ),
}


def _yql(key: str) -> Callable[[Path, int], tuple[list[str], list[str]]]:
    title, helper, query = YQL_WORKLOADS[key]
    del title

    def prepare(work: Path, rows: int) -> tuple[list[str], list[str]]:
        folder = work / key.lower()
        data_file = prepare_input(folder, rows)
        store = DevTableStore(folder / ".dev")
        if not store.exists(DIMENSION_PATH):
            store.write(
                DIMENSION_PATH, ({"bucket": b, "label": f"bucket_{b}"} for b in range(1000))
            )
        dimension_file = store.file_for(DIMENSION_PATH)
        call = helper.format(data=DATA_PATH, dimension=DIMENSION_PATH)
        ytflow = _pipeline(
            folder,
            f"""
            from ytflow import Stage

            class Query(Stage):
                def run(self, debug):
                    yt = self.deps.yt_client
                    {call}
                    return debug
            """,
        )
        sql = query.format(data_file=data_file, dimension_file=dimension_file)
        output = work / f"{key.lower()}_baseline.jsonl"
        copy = f"COPY ({sql}) TO '{output}' (FORMAT JSON)"
        baseline = _script(
            work / f"{key.lower()}_baseline.py",
            f"""
            import duckdb

            duckdb.sql({copy!r})
            """,
        )
        return ytflow, baseline

    return prepare


def _local_yt(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """Write then read the rows through the real ytsaurus-client against ``ytflow local-yt``.

    The server is the CLI in its own process (started on a fresh root, stopped by SIGTERM),
    as a user runs it; the baseline does the same write and read through the dev backend.
    """
    (work / f"{ROWS_MODULE}.py").write_text(ROWS_SOURCE)
    ytflow_script = Path(sys.executable).parent / "ytflow"
    server = (
        [str(ytflow_script)]
        if ytflow_script.is_file()
        else [sys.executable, "-c", "from ytflow.cli.app import main; main()"]
    )
    ytflow = _script(
        work / "l1_local_yt.py",
        f"""
        import signal, subprocess, sys, tempfile, time
        from pathlib import Path

        import yt.wrapper as yt
        from {ROWS_MODULE} import generate_rows

        with tempfile.TemporaryDirectory(dir={str(work)!r}) as tmp:
            port_file = Path(tmp) / "port"
            command = {server!r} + ["local-yt", "--port", "0", "--root", tmp + "/root",
                                     "--port-file", str(port_file)]
            server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            try:
                while not port_file.exists():
                    assert server.poll() is None, "local-yt exited"
                    time.sleep(0.01)
                client = yt.YtClient(proxy=f"http://127.0.0.1:{{port_file.read_text().strip()}}")
                client.write_table("//tmp/bench", generate_rows({rows}))
                count = sum(1 for _ in client.read_table("//tmp/bench"))
                assert count == {rows}, count
            finally:
                server.send_signal(signal.SIGTERM)
                assert server.wait(timeout=30) == 0
        """,
    )
    baseline = _script(
        work / "l1_baseline.py",
        f"""
        import tempfile
        from pathlib import Path

        from ytflow.dev.client import DevClient
        from {ROWS_MODULE} import generate_rows

        with tempfile.TemporaryDirectory(dir={str(work)!r}) as tmp:
            client = DevClient(Path(tmp) / ".dev")
            client.write_table("//tmp/bench", generate_rows({rows}))
            count = sum(1 for _ in client.read_table("//tmp/bench"))
            assert count == {rows}, count
        """,
    )
    return ytflow, baseline


def _prod_client(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """Write then read through ytflow's prod client against ``ytflow local-yt``; the baseline
    is the raw ytsaurus-client doing the same (``write_table`` of dicts, ``read_table``)."""
    (work / f"{ROWS_MODULE}.py").write_text(ROWS_SOURCE)
    ytflow_script = Path(sys.executable).parent / "ytflow"
    server = (
        [str(ytflow_script)]
        if ytflow_script.is_file()
        else [sys.executable, "-c", "from ytflow.cli.app import main; main()"]
    )

    def script(name: str, body: str) -> list[str]:
        return _script(
            work / name,
            f"""
            import signal, subprocess, sys, tempfile, time
            from pathlib import Path

            import yt.wrapper as yt
            from {ROWS_MODULE} import generate_rows

            with tempfile.TemporaryDirectory(dir={str(work)!r}) as tmp:
                port_file = Path(tmp) / "port"
                command = {server!r} + ["local-yt", "--port", "0", "--root", tmp + "/root",
                                         "--port-file", str(port_file)]
                server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
                try:
                    while not port_file.exists():
                        assert server.poll() is None, "local-yt exited"
                        time.sleep(0.01)
                    proxy = f"http://127.0.0.1:{{port_file.read_text().strip()}}"
                    client = yt.YtClient(proxy=proxy, config={{"token": "bench"}})
            {textwrap.indent(textwrap.dedent(body), " " * 20)}
                finally:
                    server.send_signal(signal.SIGTERM)
                    assert server.wait(timeout=30) == 0
            """,
        )

    ytflow = script(
        "p1_prod_client.py",
        f"""
        from ytflow.client.job_secrets import JobSecrets
        from ytflow.prod.client import ProdClient

        prod = ProdClient(client, root=Path(tmp), build_folder="//tmp/build",
                          secrets=JobSecrets({{}}))
        prod.write_table("//tmp/bench", generate_rows({rows}))
        count = sum(1 for _ in prod.read_table("//tmp/bench"))
        assert count == {rows}, count
        """,
    )
    baseline = script(
        "p1_raw_client.py",
        f"""
        client.write_table("//tmp/bench", generate_rows({rows}))
        count = sum(1 for _ in client.read_table("//tmp/bench"))
        assert count == {rows}, count
        """,
    )
    return ytflow, baseline


def _hello(work: Path, rows: int) -> tuple[list[str], list[str]]:
    del rows
    ytflow = _pipeline(
        work / "w7",
        """
        from ytflow import Stage

        class Hello(Stage):
            def run(self, debug):
                rows = [{"hello": "world"}]
                self.deps.yt_client.write_table(table_path="//bench/hello", rows=rows)
                return debug
        """,
    )
    return ytflow, [sys.executable, "-c", "pass"]


def _import(work: Path, rows: int) -> tuple[list[str], list[str]]:
    del work, rows
    return [sys.executable, "-c", "import ytflow"], [sys.executable, "-c", "pass"]


def _yql_translate(work: Path, rows: int) -> tuple[list[str], list[str]]:
    """Translate a 200-line YQL script 50 times; the baseline is sqlglot parsing and
    generating the same SELECTs written in DuckDB's SQL (``bench/yql_translate.py``)."""
    del work, rows
    script = [sys.executable, str(Path(__file__).with_name("yql_translate.py"))]
    return [*script, "--ours"], [*script, "--raw"]


WORKLOADS: list[Workload] = [
    Workload("W1", "write rows (write_table)", "<= 1.15x", _write),
    Workload("W2", "read rows and count (read_table)", "<= 1.5x, RSS <= 100 MB", _read),
    Workload("W3", "identity map, job_count 2 (vs 1 raw pipe)", "<= 0.65x", _map),
    *(Workload(key, spec[0], "<= 1.5x", _yql(key)) for key, spec in YQL_WORKLOADS.items()),
    Workload(
        "T1", "translate a 200-line YQL script, 50 times (vs sqlglot)", "report", _yql_translate
    ),
    Workload("W7", "hello world pipeline, end to end", "<= 0.2 s wall", _hello),
    Workload("W8", "identity map over 5x rows (driver RSS)", "driver RSS <= 150 MB", _map_scale),
    Workload("I", "import ytflow", "well under 0.5 s", _import),
    Workload("L1", "local-yt: write + read via yt.wrapper (vs dev backend)", "report", _local_yt),
    Workload(
        "P1", "prod client: write + read on local-yt (vs raw yt.wrapper)", "<= 1x", _prod_client
    ),
]
