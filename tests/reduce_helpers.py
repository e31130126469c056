"""Shared helpers of the dev sort / reduce / map-reduce tests (test_dev_sort_op.py and
test_dev_reduce_op.py): pipeline stages that load rows, run an operation from its config, and
read back the ``.dev/`` tables and metadata.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from conftest import MakePipeline, run_cli, stage_code


def tp(name: str) -> str:
    """The logical path of test table ``name``."""
    return f"//tmp/t/{name}"


def loader(
    tmp_path: Path, tables: Mapping[str, Sequence[Mapping[str, Any]]], *, append: bool = False
) -> str:
    """A stage that writes each ``{table name: rows}`` with ``write_table``.

    The rows travel through JSONL files outside the pipeline folder so the bundle stays small.
    """
    folder = tmp_path / "rows"
    folder.mkdir(exist_ok=True)
    files: dict[str, str] = {}
    for name, rows in tables.items():
        file = folder / f"{name}.{len(list(folder.iterdir()))}.jsonl"
        file.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        files[tp(name)] = str(file)
    return stage_code(
        f"""
        for path, file in {files!r}.items():
            with open(file, encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle]
            self.deps.yt_client.write_table(table_path=path, rows=rows, append={append!r})
        """,
        imports="import json",
    )


def op_stage(kind: str, *, record: str | None = None) -> str:
    """A stage running ``self.run_<kind>(self.config.client.operations.<kind>)``.

    With ``record``, the returned ``OperationResult`` is written to table ``record``.
    """
    body = f"result = self.run_{kind}(self.config.client.operations.{kind})\n"
    if record:
        body += (
            f"self.deps.yt_client.write_table(table_path={tp(record)!r}, rows=[dict("
            "row_count=result.row_count, output_rows=result.output_rows, jobs=result.jobs)])\n"
        )
    return stage_code(body)


def op_config(kind: str, **fields: Any) -> str:
    """A stage config.yaml holding ``client.operations.<kind>``."""
    return yaml.safe_dump({"client": {"operations": {kind: fields}}}, sort_keys=False)


def run(root: Path, *stages: str) -> subprocess.CompletedProcess[str]:
    """``ytflow run ROOT [--stage S]...``."""
    args: list[str | Path] = ["run", root]
    for stage in stages:
        args += ["--stage", stage]
    return run_cli(*args)


def run_ok(root: Path, *stages: str) -> subprocess.CompletedProcess[str]:
    result = run(root, *stages)
    assert result.returncode == 0, result.stderr
    return result


def meta(root: Path, name: str) -> dict[str, Any]:
    return json.loads((root / ".dev" / ".meta" / f"{name}.json").read_text(encoding="utf-8"))


def table_file(root: Path, name: str) -> Path:
    return root / ".dev" / f"{name}.jsonl"


def typed(value: Any) -> tuple[str, Any]:
    """A value with its type, so ``True`` != ``1`` and ``1.0`` != ``1`` in comparisons."""
    return (type(value).__name__, value)


GROUP_REDUCER = """\
import os

from ytjobs.io import groups, read_rows, write_row

job = int(os.environ["YT_JOB_INDEX"])
for key, rows in groups(read_rows(), "k"):
    rows = list(rows)
    write_row({"k": key, "n": len(rows), "job": job, "src": sorted({r.get("src") for r in rows})})
"""

PAIR_REDUCER = """\
from ytjobs.io import groups, read_rows, write_row

for (a, b), rows in groups(read_rows(), ["a", "b"]):
    write_row({"a": a, "b": b, "n": sum(1 for _ in rows)})
"""

SPLIT_REDUCER = """\
from ytjobs.io import groups, read_rows, write_row

for key, rows in groups(read_rows(), "k"):
    n = sum(1 for _ in rows)
    write_row({"k": key, "n": n}, table_index=0 if n == 1 else 1)
"""

SEQUENCE_REDUCER = """\
from ytjobs.io import groups, read_rows, write_row

for word, rows in groups(read_rows(), "word"):
    write_row({"word": word, "ns": [row["n"] for row in rows]})
"""


def sort_reduce_pipeline(
    make_pipeline: MakePipeline,
    tmp_path: Path,
    rows: Sequence[Mapping[str, Any]],
    *,
    sort_by: Sequence[str],
    reduce: Mapping[str, Any],
    reducer: str = GROUP_REDUCER,
) -> Path:
    """load ``data`` -> sort into ``sorted`` -> reduce into ``out`` (result in ``result``)."""
    return make_pipeline(
        {
            "load": loader(tmp_path, {"data": rows}),
            "sort": op_stage("sort"),
            "reduce": op_stage("reduce", record="result"),
        },
        stage_configs={
            "sort": op_config(
                "sort", input_table=tp("data"), output_table=tp("sorted"), sort_by=list(sort_by)
            ),
            "reduce": op_config(
                "reduce", **{"input_table": tp("sorted"), "output_table": tp("out"), **reduce}
            ),
        },
        files={"stages/reduce/src/reducer.py": reducer},
    )
