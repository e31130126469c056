"""A tiny pipeline folder and a prod client on local-yt, for the prod operation tests."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yt.wrapper as yt
from localyt_helpers import make_client

from ytflow.client.job_secrets import JobSecrets
from ytflow.localyt import LocalYt
from ytflow.prod.client import ProdClient

BUILD = "//tmp/ytflow_test/build"
TOKEN = "token-abcdef-123456"
VAULT = {"API_KEY": "vault-secret-987654"}

SCRIPTS = {
    "src/mapper.py": """
        import os
        from ytjobs.io import read_rows, write_row
        for row in read_rows():
            write_row({**row, "doubled": row["value"] * 2, "name": row.get("name", "") + "ß"})
    """,
    "src/split.py": """
        from ytjobs.io import read_rows, write_row
        for row in read_rows():
            write_row(row, table_index=row["value"] % 2)
    """,
    "src/secret.py": """
        import os
        from ytjobs import secrets
        from ytjobs.io import read_rows, write_row
        leaked = [k for k, v in os.environ.items() if "token-abcdef" in v]
        for row in read_rows():
            write_row({"key": secrets.get("API_KEY"), "leaked": leaked})
    """,
    "src/fail.py": """
        import sys
        from ytjobs.io import read_rows
        for row in read_rows():
            pass
        print("boom: the job failed on purpose, key vault-secret-987654", file=sys.stderr)
        sys.exit(3)
    """,
    "src/words.py": """
        from ytjobs.io import read_rows, write_row
        for row in read_rows():
            for word in row["text"].split():
                write_row({"word": word, "count": 1})
    """,
    "src/reducer.py": """
        from ytjobs.io import groups, read_rows, write_row
        for key, rows in groups(read_rows(), "word"):
            write_row({"word": key, "count": sum(row["count"] for row in rows)})
    """,
    "src/vanilla.py": """
        import os
        from ytjobs.io import write_row
        write_row({"job": int(os.environ["YT_JOB_INDEX"])})
    """,
}


def make_pipeline(root: Path, stage: str = "work") -> Path:
    """A pipeline folder with one stage holding every test script."""
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "config.yaml").write_text(
        f"pipeline:\n  mode: prod\n  build_folder: {BUILD}\nstages:\n  enabled_stages: [{stage}]\n"
    )
    (root / "pipeline.py").write_text("from ytflow import Pipeline\nPipeline.main()\n")
    stage_dir = root / "stages" / stage
    (stage_dir / "src").mkdir(parents=True)
    (stage_dir / "config.yaml").write_text("client: {}\n")
    (stage_dir / "stage.py").write_text(
        "from ytflow import Stage\n\nclass Work(Stage):\n"
        "    def run(self, debug: dict) -> dict:\n        return debug\n"
    )
    for name, text in SCRIPTS.items():
        (stage_dir / name).write_text(textwrap.dedent(text).lstrip())
    return root


def prod_client(local: LocalYt, root: Path, flavor: str = "yson") -> ProdClient:
    """A prod client on ``local`` for the pipeline at ``root``."""
    return ProdClient(
        make_client(local, flavor),
        root=root,
        build_folder=BUILD,
        secrets=JobSecrets(VAULT, also_hide=[TOKEN]),
    )


def write(client: yt.YtClient, path: str, rows: list[dict[str, Any]], **attrs: Any) -> None:
    """Write ``rows`` with the raw client (the prod table layer is not under test here)."""
    client.create("table", path, recursive=True, ignore_existing=True, attributes=attrs or None)
    client.write_table(path, rows)


def last_spec(local: LocalYt) -> dict[str, Any]:
    """The spec of the operation that started last, as the endpoint received it."""
    operations = list(local.endpoint.operations.operations.values())
    latest = max(operations, key=lambda op: op.start_time)
    return latest.context.spec
