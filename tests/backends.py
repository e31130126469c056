"""Both backends behind one fixture: dev on ``.dev/``, and prod through the real
``ytsaurus-client`` against ``ytflow local-yt``, each over the same small pipeline folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ytflow.client import YtClient
from ytflow.client.job_secrets import JobSecrets
from ytflow.dev import DevClient
from ytflow.localyt import LocalYt

BACKENDS = ("dev", "prod")
BUILD_FOLDER = "//tmp/behaviour/build"
SECRET_VALUE = "vault-value-1234"
JOB_SECRETS = {"API_KEY": SECRET_VALUE}

# Job scripts of stage "s", relative to stages/s/.
SCRIPTS: dict[str, str] = {
    "src/mapper.py": """
        from ytjobs.io import read_rows, write_row

        for row in read_rows():
            write_row({**row, "doubled": row["n"] * 2})
    """,
    "src/upper.py": """
        from ytjobs.io import read_rows, write_row

        for row in read_rows():
            write_row({"text": row["text"].upper(), "length": len(row["text"])})
    """,
    "src/split.py": """
        from ytjobs.io import read_rows, write_row

        for row in read_rows():
            write_row(row, table_index=row["n"] % 2)
    """,
    "src/words.py": """
        from ytjobs.io import read_rows, write_row

        for row in read_rows():
            for word in row["text"].split():
                write_row({"word": word, "one": 1})
    """,
    "src/count.py": """
        from ytjobs.io import groups, read_rows, write_row

        for word, rows in groups(read_rows(), "word"):
            write_row({"word": word, "count": sum(row["one"] for row in rows)})
    """,
    "src/sum.py": """
        from ytjobs.io import groups, read_rows, write_row

        for key, rows in groups(read_rows(), "k"):
            write_row({"k": key, "total": sum(row["n"] for row in rows)})
    """,
    "src/fail.py": """
        import sys
        from ytjobs.io import read_rows

        for row in read_rows():
            if row["n"] == 3:
                print(f"cannot handle row {row['n']}", file=sys.stderr)
                sys.exit(7)
    """,
    "src/secret.py": """
        import hashlib
        import os
        from ytjobs import secrets
        from ytjobs.io import read_rows, write_row

        value = secrets.get("API_KEY")
        for row in read_rows():
            write_row({
                "n": row["n"],
                "secret_sha": hashlib.sha256(value.encode()).hexdigest(),
                "plain_env": sorted(key for key in os.environ if "API_KEY" in key),
            })
    """,
    "src/vanilla.py": """
        print("vanilla ran")
    """,
    "src/vanilla_fail.py": """
        import sys
        print("vanilla is broken", file=sys.stderr)
        sys.exit(3)
    """,
}


def write_pipeline(root: Path) -> Path:
    """A pipeline folder with one stage ``s`` holding every job script above."""
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "config.yaml").write_text(
        "pipeline:\n  mode: dev\nstages:\n  enabled_stages: [s]\n"
    )
    (root / "pipeline.py").write_text("from ytflow import Pipeline\n\nPipeline.main()\n")
    stage = root / "stages" / "s"
    (stage / "src").mkdir(parents=True)
    (stage / "stage.py").write_text(
        "from ytflow import Stage\n\n\nclass S(Stage):\n    def run(self, debug):\n"
        "        return debug\n"
    )
    for name, body in SCRIPTS.items():
        (stage / name).write_text(textwrap.dedent(body).lstrip())
    return root


def make_backend(kind: str, root: Path, local: LocalYt | None) -> YtClient:
    """The client of backend ``kind`` over pipeline folder ``root``."""
    if kind == "dev":
        return DevClient(root / ".dev", root=root, job_secrets=JOB_SECRETS)
    assert local is not None
    from localyt_helpers import make_client  # noqa: PLC0415 - imports yt.wrapper

    from ytflow.prod.client import ProdClient  # noqa: PLC0415 - prod only

    return ProdClient(
        make_client(local),
        root=root,
        build_folder=BUILD_FOLDER,
        secrets=JobSecrets(JOB_SECRETS),
    )
