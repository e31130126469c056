"""Pipelines, constants and helpers shared by the dev map tests (``test_dev_map_*.py``).

Every test writes a pipeline into ``tmp_path`` with a ``create`` stage that writes the input
table and a ``mapit`` stage that runs ``client.operations.map`` and records the
``OperationResult`` in ``//tmp/p/result``; the mapper is ``stages/mapit/src/mapper.py``.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import MakePipeline, read_dev_table, run_cli, stage_code

INPUT = "//tmp/p/input"
OUTPUT = "//tmp/p/output"
MAPPER = "stages/mapit/src/mapper.py"

MAP_STAGE = stage_code(
    """
    result = self.run_map(self.config.client.operations.map)
    self.deps.yt_client.write_table(
        table_path="//tmp/p/result",
        rows=[
            {
                "row_count": result.row_count,
                "output_rows": result.output_rows,
                "jobs": result.jobs,
                "failed_jobs": result.failed_jobs,
            }
        ],
    )
    """
)

COPY_MAPPER = """
from ytjobs.io import read_rows, write_row

for row in read_rows():
    write_row(row)
"""

EXIT_3_MAPPER = """
import sys

for number in range(30):
    print(f"stderr-line-{number:02d}", file=sys.stderr)
sys.exit(3)
"""

# ~110 bytes a row: 3000 rows are well above the 64 KiB a dev job needs before it is split.
PADDED_ROWS = '({"i": i, "pad": "x" * 90} for i in range(3000))'


def create_stage(rows: str = '[{"i": i} for i in range(5)]', table: str = INPUT) -> str:
    """A stage that writes ``rows`` (a Python expression) to ``table``."""
    return stage_code(f'self.deps.yt_client.write_table(table_path="{table}", rows={rows})')


def map_config(**fields: Any) -> str:
    """A stage config.yaml whose ``client.operations.map`` has the default tables + ``fields``."""
    node: dict[str, Any] = {"input_table": INPUT, "output_table": OUTPUT, **fields}
    return yaml.safe_dump({"client": {"operations": {"map": node}}}, sort_keys=False)


def map_pipeline(
    make_pipeline: MakePipeline,
    mapper: str = COPY_MAPPER,
    *,
    rows: str = '[{"i": i} for i in range(5)]',
    config: str | None = None,
    stage: str = MAP_STAGE,
    files: dict[str, str] | None = None,
) -> Path:
    return make_pipeline(
        {"create": create_stage(rows), "mapit": stage},
        stage_configs={"mapit": config if config is not None else map_config()},
        files={MAPPER: mapper, **(files or {})},
    )


def run(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("run", root, *args, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """A run that failed in a stage: exit 1; returns its stderr."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    return result.stderr


def sandbox(root: Path, name: str = "input->output") -> Path:
    return root / ".dev" / f"sandbox_{name}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def result_row(root: Path) -> dict[str, Any]:
    (row,) = read_dev_table(root, "result")
    return row


def set_mapper(root: Path, code: str) -> None:
    (root / MAPPER).write_text(code, encoding="utf-8")


def set_map_config(root: Path, **fields: Any) -> None:
    (root / "stages/mapit/config.yaml").write_text(map_config(**fields), encoding="utf-8")
