"""Running a pipeline as a command: exit codes and error messages shared by CLI and pipeline.py.

0 success; 1 a stage failed (its exception is logged once, with the stage name); 2 a config
or usage error (one paragraph, no traceback); 3 another run of the pipeline holds its run
lock; 130 interrupted (Ctrl-C, SIGINT); 143
terminated (SIGTERM). An interrupt or SIGTERM stops the running operation at once: its jobs'
process trees are killed and its output tables stay as they were.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Annotated

import typer

from ytflow.errors import YtflowError

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the run unwinds (and kills its jobs) like Ctrl-C.

    A ``BaseException``: ``except Exception`` in stage code must not swallow it.
    """


ConfigOption = Annotated[
    str | None,
    typer.Option("--config", metavar="FILE", help="Config file (default configs/config.yaml)."),
]
StageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--stage",
        "-s",
        metavar="NAME",
        help="Run only this stage; repeat for several, run in order.",
    ),
]
RUN_EXIT_CODES = (
    "Exit 0 done; 1 a stage failed; 2 a config or usage error; 3 another run of this pipeline "
    "is in progress (it is named; nothing ran); 130 interrupted; 143 terminated."
)
"""The options and exit codes of ``ytflow run`` and ``python pipeline.py``, defined once."""


def run_guarded(run: Callable[[], object]) -> int:
    """Call ``run`` (a pipeline run) and return the process exit code for how it ended."""
    try:
        with _sigterm_raises():
            run()
    except YtflowError as error:
        if not getattr(error, "reported", False):
            print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        print_error("terminated (SIGTERM)")
        return EXIT_TERMINATED
    return 0


@contextlib.contextmanager
def _sigterm_raises() -> Generator[None]:
    """Turn the first SIGTERM into ``Terminated``; a second one kills at once (the default)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_error(error: YtflowError | str) -> None:
    """Print ``error: ...`` to stderr, red on a terminal."""
    prefix = "\x1b[1;31merror:\x1b[0m" if sys.stderr.isatty() else "error:"
    print(f"{prefix} {error}", file=sys.stderr)
