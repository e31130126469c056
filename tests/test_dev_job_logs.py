"""Job log lines land in ``.dev/<stage>.log``; no file in ``.dev/`` holds a secret."""

from __future__ import annotations

from pathlib import Path

from conftest import MakePipeline, stage_code
from dev_map_helpers import MAPPER, map_config, map_pipeline, ok, run

SECRET = "sk-live-0123456789abcdef"

LOGGING_MAPPER = """
from ytjobs import secrets
from ytjobs.io import read_rows, write_row
from ytjobs.logging import get_logger

log = get_logger("mapper")
key = secrets.get("API_KEY")
log.info("calling the API with key %s", key)
for row in read_rows():
    log.info("row %s", row["i"])
    write_row(row)
"""

FAILING_MAPPER = LOGGING_MAPPER + '\nraise SystemExit(f"giving up with key {key}")\n'


def _pipeline(make_pipeline: MakePipeline, mapper: str, **fields: object) -> Path:
    root = map_pipeline(make_pipeline, mapper, config=map_config(**fields))
    (root / "configs" / "secrets.env").write_text(f"API_KEY={SECRET}\n", encoding="utf-8")
    return root


def _files_holding(root: Path, text: str) -> list[Path]:
    needle = text.encode()
    return [
        path
        for path in (root / ".dev").rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


def test_map_job_logs_go_to_the_stage_log_prefixed_and_masked(
    make_pipeline: MakePipeline,
) -> None:
    root = _pipeline(make_pipeline, LOGGING_MAPPER, resources={"job_count": 2})
    # Rows large enough for two jobs.
    (root / "stages/create/stage.py").write_text(
        stage_code(
            'self.deps.yt_client.write_table(table_path="//tmp/p/input", '
            'rows=({"i": i, "pad": "x" * 90} for i in range(3000)))'
        ),
        encoding="utf-8",
    )

    ok(run(root))

    log = (root / ".dev" / "mapit.log").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("[map job 0] ") and "row 0" in line for line in log), log[:5]
    assert any(line.startswith("[map job 1] ") and "row 2999" in line for line in log)
    assert "calling the API with key ***" in "\n".join(log)
    assert _files_holding(root, SECRET) == []


def test_a_failed_job_keeps_no_secret_in_its_stderr_file(make_pipeline: MakePipeline) -> None:
    root = _pipeline(make_pipeline, FAILING_MAPPER)

    result = run(root)

    assert result.returncode == 1, result.stderr
    assert "giving up with key ***" in result.stderr
    assert SECRET not in result.stderr
    stderr_files = list((root / ".dev").rglob("*.stderr"))
    assert stderr_files, "the attempt's stderr is kept"
    assert any("giving up with key ***" in path.read_text() for path in stderr_files)
    assert _files_holding(root, SECRET) == []


def test_a_second_run_starts_the_stage_log_afresh(make_pipeline: MakePipeline) -> None:
    root = _pipeline(make_pipeline, LOGGING_MAPPER)
    ok(run(root))
    (root / MAPPER).write_text(LOGGING_MAPPER.replace('"row %s"', '"second %s"'))

    ok(run(root))

    text = (root / ".dev" / "mapit.log").read_text(encoding="utf-8")
    assert "second 0" in text
    assert "row 0" not in text
