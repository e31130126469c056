"""``ytflow plan``: print what a prod run would upload and submit, without a cluster."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ytflow.core.runner import ConfigOption, print_error
from ytflow.errors import YtflowError


class OutputFormat(StrEnum):
    """How the plan is printed."""

    TEXT = "text"
    YAML = "yaml"
    JSON = "json"


def plan(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Pipeline folder (the one holding pipeline.py).")
    ] = Path(),
    config: ConfigOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text for people; yaml or json for tools."),
    ] = OutputFormat.TEXT,
) -> None:
    """Prod dry run: the code bundle and every operation spec and YQL text, offline.

    Whatever pipeline.mode says, builds the code bundle (file list, size, sha256 and its
    upload target in build_folder) and calls each enabled stage's run() with a recording
    client: operations are printed as the YT specs prod would submit, YQL as the texts it
    would send. Needs no cluster, no credentials and no secrets.env; secret values show as ***.
    Tables read as empty offline, so a stage that fails on that is shown as planned up to
    its error, and the plan goes on with the next stage.

    Exit 0 planned (also when a stage stopped early); 2 a config, stage or usage error.
    """
    try:
        from ytflow.core.plan import build_plan  # noqa: PLC0415 - other commands skip it

        made = build_plan(directory, config_file=config)
    except YtflowError as error:
        print_error(error)
        raise typer.Exit(error.exit_code) from None
    from ytflow.core.plan_render import render_data, render_text  # noqa: PLC0415

    if output_format is OutputFormat.TEXT:
        sys.stdout.write(render_text(made))
    else:
        sys.stdout.write(render_data(made, output_format.value))
