"""What a job runs: a stage's script through the bundle's launcher, or a shell command.

Dev and prod resolve a config's ``mapper``/``reducer``/``command`` here, against the same
bundle file list, so a script the bundle lacks fails in dev exactly as it would on the
cluster. Commands are relative to the extracted bundle's root, the job's working folder.
"""

from __future__ import annotations

import shlex
import sys

from ytflow.bundle.collect import LAUNCHER_NAME
from ytflow.errors import OperationError


def script_member(stage: str, script: str) -> str:
    """The bundle member of a stage-relative job script, e.g. ``stages/s/src/mapper.py``."""
    return f"stages/{stage}/{script}"


def require_script(files: tuple[str, ...] | frozenset[str], stage: str, script: str) -> None:
    """Refuse a job script the bundle lacks, naming it (the cluster would not find it)."""
    member = script_member(stage, script)
    if member not in files:
        raise OperationError(
            f"job script {member} is not in the code bundle",
            hint="job scripts are relative to stages/<stage>/; check the path and .ytignore "
            "(the cluster would not find it either)",
        )


def launcher_command(stage: str, script: str, *, python: str = sys.executable) -> list[str]:
    """The argv that runs job ``script`` of ``stage`` with cwd at an extracted bundle's root.

    ``script`` is relative to ``stages/<stage>/`` (e.g. ``src/mapper.py``), as in the config.
    """
    return [python, LAUNCHER_NAME, stage, script]


def vanilla_command(
    command: str, stage: str, files: tuple[str, ...], *, python: str = sys.executable
) -> list[str]:
    """A stage-relative script runs through the launcher; anything else through the shell."""
    if script_member(stage, command) in files:
        return launcher_command(stage, command, python=python)
    if command.endswith(".py") and " " not in command:
        raise OperationError(
            f"vanilla script stages/{stage}/{command} is not in the code bundle",
            hint="scripts are relative to stages/<stage>/; check the path and .ytignore",
        )
    return ["/bin/sh", "-c", command]


def shell_text(argv: list[str]) -> str:
    """``argv`` as one shell command line (YT's ``command`` is a shell string)."""
    return shlex.join(argv)
