"""Every example pipeline runs in prod mode, through the real ``ytsaurus-client`` against
``ytflow local-yt``, and leaves the same rows in the same tables as its dev run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from localyt_helpers import make_client

from ytflow.dev import DevTableStore
from ytflow.localyt import LocalYt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
YTFLOW = str(Path(sys.executable).with_name("ytflow"))
NAMES = sorted(path.name for path in EXAMPLES.iterdir() if (path / "pipeline.py").is_file())
# Run in the default suite; the others run in the slow step (each costs a few seconds).
QUICK = {"06_word_count"}
# Examples whose YQL writes tables without ORDER BY: compared as multisets.
UNORDERED = {"03_yql"}


def switch_to_prod(example: Path, local: LocalYt, *, token: str = "local-token") -> None:
    """Point a copy of an example at ``local``: mode prod, a build folder, secrets.env."""
    config_file = example / "configs" / "config.yaml"
    config: dict[str, Any] = yaml.safe_load(config_file.read_text())
    pipeline = config.setdefault("pipeline", {})
    pipeline["mode"] = "prod"
    pipeline.setdefault("build_folder", f"//tmp/ytflow_examples/{example.name}/build")
    config_file.write_text(yaml.safe_dump(config))
    secrets = example / "configs" / "secrets.env"
    kept = secrets.read_text() if secrets.is_file() else ""
    secrets.write_text(f"{kept}YT_PROXY={local.proxy_url}\nYT_TOKEN={token}\n")


def run(example: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("YT_")}
    return subprocess.run(
        [YTFLOW, "run", str(example)], capture_output=True, text=True, env=env, check=False
    )


def canonical(rows: list[dict[str, Any]]) -> list[bytes]:
    """Rows as sorted JSON texts: YQL outputs without ORDER BY have no fixed order."""
    return sorted(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in rows)


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=() if name in QUICK else pytest.mark.slow) for name in NAMES]
)
def test_example_gives_the_same_rows_in_prod_as_in_dev(name: str, tmp_path: Path) -> None:
    dev = tmp_path / "dev" / name
    shutil.copytree(EXAMPLES / name, dev, ignore=shutil.ignore_patterns(".dev"))
    ran = run(dev)
    assert ran.returncode == 0, ran.stderr
    dev_tables = {
        info.path: list(DevTableStore(dev / ".dev").read(info.path))
        for info in DevTableStore(dev / ".dev").tables()
        if info.path
    }

    prod = tmp_path / "prod" / name
    shutil.copytree(EXAMPLES / name, prod, ignore=shutil.ignore_patterns(".dev"))
    with LocalYt(tmp_path / "localyt") as local:
        switch_to_prod(prod, local)
        ran = run(prod)
        assert ran.returncode == 0, ran.stderr
        assert "local-token" not in ran.stdout + ran.stderr
        assert not (prod / ".dev").exists(), "prod mode must not write dev tables"
        client = make_client(local)
        for path, rows in dev_tables.items():
            assert client.exists(path), f"{path} is missing in prod"
            prod_rows = list(client.read_table(path))
            if name in UNORDERED:
                assert canonical(prod_rows) == canonical(rows), path
            else:
                assert prod_rows == rows, path
