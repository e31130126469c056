"""Running a pipeline as a command: exit codes and error messages shared by CLI and pipeline.py.

0 success; 1 a stage failed (its exception is logged once, with the stage name); 2 a config
or usage error (one paragraph, no traceback); 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ytflow.core.pipeline import Pipeline
from ytflow.errors import YtflowError


def run_command(
    root: Path | str, *, config_file: str | None = None, stages: Sequence[str] | None = None
) -> int:
    """Run the pipeline in ``root`` and return the process exit code."""
    try:
        Pipeline(root, config_file=config_file).run(stages)
    except YtflowError as error:
        if not getattr(error, "reported", False):
            print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    return 0


def print_error(error: YtflowError | str) -> None:
    """Print ``error: ...`` to stderr, red on a terminal."""
    prefix = "\x1b[1;31merror:\x1b[0m" if sys.stderr.isatty() else "error:"
    print(f"{prefix} {error}", file=sys.stderr)
