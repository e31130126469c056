"""The ``ytflow`` command: run, scaffold and inspect pipelines."""

from __future__ import annotations

import itertools
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import orjson
import typer
from rich.console import Console

from ytflow import __version__
from ytflow.cli.local_yt import local_yt
from ytflow.cli.plan import plan
from ytflow.cli.render import rows_caption, rows_table, tables_table
from ytflow.cli.scaffold import run_command_line, scaffold
from ytflow.core import Pipeline
from ytflow.core.backends import DEV_DIR
from ytflow.core.runner import (
    RUN_EXIT_CODES,
    ConfigOption,
    StageOption,
    print_error,
    run_guarded,
)
from ytflow.dev import DevTableStore
from ytflow.errors import TableNotFound, UsageError, YtflowError, YtPathError
from ytflow.paths import table_name

T = TypeVar("T")

app = typer.Typer(
    name="ytflow",
    help="Batch data pipelines on YTsaurus: run them locally in dev mode, on the cluster in prod.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

PipelineDir = Annotated[
    Path,
    typer.Argument(
        help="Pipeline folder (the one holding pipeline.py).", metavar="DIR", show_default=True
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ytflow {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Batch data pipelines on YTsaurus."""


@app.command(help=f"Run a pipeline (same as `python pipeline.py`).\n\n{RUN_EXIT_CODES}")
def run(
    directory: PipelineDir = Path(),
    config: ConfigOption = None,
    stage: StageOption = None,
) -> None:
    raise typer.Exit(run_guarded(lambda: Pipeline(directory, config_file=config).run(stage)))


@app.command()
def new(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to create (must not exist or be empty).")
    ],
) -> None:
    """Create a runnable two-stage pipeline with a README.

    Its tables live under //tmp/NAME/, NAME being the folder's name made a valid YT name
    (accents dropped, other characters replaced by '_'; the change is printed).
    Exit 0 created; 2 the folder exists and is not empty, or cannot be written.
    """
    made = _exit_on_error(lambda: scaffold(directory))
    if made.renamed:
        typer.echo(
            f"note: {made.folder_name!r} is not a valid YT path name; the pipeline's tables "
            f"use //tmp/{made.name}/ instead"
        )
    typer.echo(
        f"Created a pipeline in {shlex.quote(str(directory))}. Run it with:\n"
        f"  {run_command_line(directory)}"
    )


@app.command()
def tables(directory: PipelineDir = Path()) -> None:
    """List dev tables: logical path, file, rows and size.

    Works while a run of the pipeline is writing (it takes no run lock).
    Exit 0 listed (also when there are none); 1 a dev table cannot be read; 2 no such folder.
    """
    store = _store(directory)
    found = _exit_on_error(store.tables)
    if not found:
        typer.echo(f"no dev tables in {directory / DEV_DIR} (run the pipeline first)")
        return
    console = Console()
    console.print(tables_table(found, directory))
    console.print(f"dev tables in {directory / DEV_DIR}", style="dim", soft_wrap=True)


@app.command()
def show(
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="Logical path (//tmp/p/data) or base name (data).")
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, metavar="N", help="Rows to print.")
    ] = 20,
    directory: Annotated[
        Path, typer.Option("--dir", "-d", metavar="DIR", help="Pipeline folder.")
    ] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
) -> None:
    """Print the first rows of a dev table.

    Exit 0 printed; 1 the table holds a line that is not a JSON object; 2 no such folder or
    table, or PATH is not a valid table path.
    """
    store = _store(directory)
    logical = _exit_on_error(lambda: _resolve_table(store, path))
    rows = _exit_on_error(
        lambda: list(itertools.islice(store.read(logical), limit)), usage=_NOT_A_TABLE
    )
    if as_json:
        for row in rows:
            sys.stdout.buffer.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        return
    total = _exit_on_error(lambda: store.row_count(logical))
    console = Console()
    if rows:
        console.print(rows_table(rows))
    console.print(rows_caption(logical, len(rows), total), soft_wrap=True)


app.command()(plan)
app.command("local-yt")(local_yt)


def _store(directory: Path) -> DevTableStore:
    if not directory.is_dir():
        print_error(UsageError(f"pipeline folder {directory} does not exist"))
        raise typer.Exit(2)
    return DevTableStore(directory / DEV_DIR)


def _resolve_table(store: DevTableStore, path: str) -> str:
    """A logical path as given, or the registered path whose base name is ``path``."""
    if path.startswith("//"):
        return path
    registered = [info.path for info in store.tables() if info.path is not None]
    matches = [logical for logical in registered if table_name(logical) == path]
    if matches:
        return matches[0]
    raise UsageError(
        f"no dev table named {path!r} in {store.dev_dir}",
        hint="tables: " + (", ".join(registered) if registered else "(none; run the pipeline)"),
    )


_NOT_A_TABLE = (TableNotFound, YtPathError)
"""Errors that mean the command named something that is not there: usage errors (exit 2)."""


def _exit_on_error(action: Callable[[], T], *, usage: tuple[type[YtflowError], ...] = ()) -> T:
    """Run ``action``; a ytflow error becomes a one-paragraph message and its exit code.

    Errors of the ``usage`` types exit 2 whatever their own code, as command-line mistakes.
    """
    try:
        return action()
    except YtflowError as error:
        print_error(error)
        raise typer.Exit(2 if isinstance(error, usage) else error.exit_code) from None


def main() -> None:
    """Console-script entry point."""
    app()
