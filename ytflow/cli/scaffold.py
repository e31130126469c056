"""``ytflow new``: a runnable two-stage pipeline a user can start editing at once."""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ytflow.errors import UsageError

_FILES: dict[str, str] = {
    "pipeline.py": '''\
"""Run with `python pipeline.py` or `ytflow run` from anywhere."""

from ytflow import Pipeline

if __name__ == "__main__":
    Pipeline.main()
''',
    "configs/config.yaml": """\
pipeline:
  mode: dev                       # dev: tables are JSONL files under .dev/; prod: the YT cluster
  build_folder: //tmp/{name}/build   # prod only: where the code bundle is uploaded

stages:
  enabled_stages: [create_input, count_by_country]   # run in this order
""",
    "stages/create_input/config.yaml": """\
output_table: //tmp/{name}/users
""",
    "stages/create_input/stage.py": '''\
"""Create the input table."""

from ytflow import Stage

USERS = [
    {{"id": 1, "name": "Alice", "country": "NL"}},
    {{"id": 2, "name": "Bob", "country": "DE"}},
    {{"id": 3, "name": "Carol", "country": "NL"}},
    {{"id": 4, "name": "Dave", "country": "FR"}},
    {{"id": 5, "name": "Erin", "country": "DE"}},
]


class CreateInput(Stage):
    def run(self, debug: dict) -> dict:
        written = self.deps.yt_client.write_table(
            table_path=self.config.output_table, rows=USERS
        )
        self.logger.info("wrote %d users to %s", written, self.config.output_table)
        debug["users"] = written
        return debug
''',
    "stages/count_by_country/config.yaml": """\
input_table: //tmp/{name}/users
output_table: //tmp/{name}/users_by_country
""",
    "stages/count_by_country/stage.py": '''\
"""Count users per country, reading the table the previous stage wrote."""

from collections import Counter

from ytflow import Stage


class CountByCountry(Stage):
    def run(self, debug: dict) -> dict:
        yt = self.deps.yt_client
        counts = Counter(row["country"] for row in yt.read_table(self.config.input_table))
        rows = ({{"country": country, "users": n}} for country, n in sorted(counts.items()))
        yt.write_table(table_path=self.config.output_table, rows=rows)
        # debug holds what earlier stages returned; it is empty when this stage runs alone.
        self.logger.info("%d countries, %s users", len(counts), debug.get("users", "unknown"))
        return debug
''',
    ".gitignore": """\
.dev/
configs/secrets.env
__pycache__/
""",
    ".ytignore": """\
# Files left out of the code bundle uploaded for jobs (gitignore syntax).
*.ipynb
data/
""",
    "README.md": """\
# {title}

A ytflow pipeline. Run it (dev mode: no cluster, no credentials):

```bash
ytflow run {folder}          # or: python {script}
ytflow tables {folder}       # the tables it wrote, with row counts
ytflow show //tmp/{name}/users_by_country --dir {folder}
```

## Layout
- `configs/config.yaml` — `pipeline.mode` (dev | prod) and `stages.enabled_stages` (run order).
- `stages/<name>/stage.py` — one `Stage` subclass; `run(debug)` returns the dict the next
  stage receives.
- `stages/<name>/config.yaml` — that stage's settings, as `self.config` (attribute access).
- `.dev/` — dev tables (`//tmp/{name}/users` is `.dev/users.jsonl`) and `operation.log`.

## Going to prod
Set `pipeline.mode: prod`, keep `build_folder`, and put `YT_PROXY` and `YT_TOKEN` in
`configs/secrets.env` (never committed, never uploaded).
""",
}


@dataclass(frozen=True)
class Scaffolded:
    """What ``ytflow new`` made: the files, and the name its YT paths use."""

    files: list[Path]
    name: str
    """The Cypress-safe name in ``//tmp/<name>/...``."""
    folder_name: str
    """The folder's own name, which ``name`` was derived from."""

    @property
    def renamed(self) -> bool:
        """True when the folder name had to change to be a YT path name."""
        return self.name != self.folder_name


def pipeline_name(directory: Path) -> str:
    """A Cypress-safe name derived from the folder name.

    Accents become plain letters ('über' -> 'uber'); anything else outside letters, digits,
    '_' and '-' becomes '_', so the name is always a valid YT path component.
    """
    folded = unicodedata.normalize("NFKD", directory.resolve().name)
    ascii_name = "".join(char for char in folded if not unicodedata.combining(char))
    name = re.sub(r"[^A-Za-z0-9_\-]", "_", ascii_name).strip("_")
    return name or "my_pipeline"


def run_command_line(directory: Path) -> str:
    """``ytflow run DIR`` with ``DIR`` quoted for a POSIX shell, safe to copy and paste."""
    return f"ytflow run {shlex.quote(str(directory))}"


def scaffold(directory: Path) -> Scaffolded:
    """Write the template pipeline into ``directory`` (absent or empty)."""
    try:
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise UsageError(
                f"{directory} already exists and is not empty",
                hint="choose a new folder name; ytflow new never overwrites files",
            )
        name = pipeline_name(directory)
        folder = shlex.quote(directory.resolve().name)
        values = {
            "name": name,
            "title": directory.resolve().name,
            "folder": folder,
            "script": shlex.quote(f"{directory.resolve().name}/pipeline.py"),
        }
        written: list[Path] = []
        for relative, template in _FILES.items():
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(template.format(**values), encoding="utf-8")
            written.append(target)
    except OSError as error:
        raise UsageError(
            f"cannot create the pipeline in {directory}: {error.strerror or error}"
            + (f" ({error.filename})" if error.filename else ""),
            hint="choose a folder you can write to, with a shorter name",
        ) from None
    return Scaffolded(files=written, name=name, folder_name=directory.resolve().name)
