"""Shared helpers of the ytjobs tests (test_ytjobs_io.py and test_ytjobs_runtime.py): run job
code in a real child Python process, the way ytflow's dev runner and YT's job proxy start jobs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HIDE_ORJSON = "import sys\nsys.modules['orjson'] = None  # the job image has no orjson\n"


def job_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus anything ytjobs reads, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("YT_SECURE_VAULT_", "JOB_CONFIG_PATH", "YTJOBS_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def write_script(tmp_path: Path, code: str, *, codec: str = "orjson") -> Path:
    script = tmp_path / "job.py"
    prelude = HIDE_ORJSON if codec == "json" else ""
    script.write_text(prelude + textwrap.dedent(code), encoding="utf-8")
    return script


def run_job(
    tmp_path: Path,
    code: str,
    *,
    stdin: bytes = b"",
    codec: str = "orjson",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    script = write_script(tmp_path, code, codec=codec)
    return subprocess.run(
        [sys.executable, str(script)],
        input=stdin,
        capture_output=True,
        env=env or job_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


MAPPER = """
    from ytjobs.io import codec_name, read_rows, write_row
    import sys

    for row in read_rows():
        row["double"] = row["id"] * 2
        write_row(row)
    print(codec_name(), file=sys.stderr)
"""
