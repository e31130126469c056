"""ytflow job launcher: ``python _ytflow_launch.py <stage> <script> [args...]``.

Copied to the root of every code bundle and run as the job's command, in dev sandboxes and on
the cluster alike, so a job sees the same paths and imports in both modes. It uses the
standard library only and never imports ytflow: the job's interpreter may lack it.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time
from pathlib import Path

_FD_MAP_VAR = "YTFLOW_FD_MAP"
_DRIVER_VAR = "YTFLOW_DRIVER_PID"  # set by dev only: the job dies with its driver
_CONFIG_VAR = "JOB_CONFIG_PATH"
_USAGE = "usage: python _ytflow_launch.py <stage> <script> [args...]"


def _fail(message: str) -> int:
    sys.stderr.write(f"ytflow launcher: {message}\n")
    sys.stderr.flush()
    return 2


def _apply_fd_map(spec: str) -> None:
    """Wire ``target:source`` fd pairs, so dev jobs write output table k to fd 3k+1 as on YT."""
    pairs: list[tuple[int, int]] = []
    for item in spec.split(","):
        if not item.strip():
            continue
        target, sep, source = item.partition(":")
        if not sep:
            raise ValueError(f"{item!r} is not 'target_fd:source_fd'")
        pairs.append((int(target), int(source)))
    for target, source in pairs:
        if target != source:
            os.dup2(source, target)
    for target, source in pairs:
        if target != source and source not in {other for other, _ in pairs}:
            os.close(source)


def _die_with_driver(driver: int) -> None:
    """Kill the job's process group once its parent (the dev driver) is gone, even by SIGKILL.

    Jobs run in their own sessions, so nothing else would stop them; polling the parent pid
    works on every POSIX system (Linux's PR_SET_PDEATHSIG would kill this process only).
    """

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(0.2)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="ytflow-driver-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    """Set up the job's environment from the bundle layout, then run the script as __main__."""
    if len(argv) < 2:
        return _fail(_USAGE)
    stage, script, *rest = argv
    driver = os.environ.pop(_DRIVER_VAR, "")
    if driver.isdigit():
        _die_with_driver(int(driver))
    root = Path(__file__).resolve().parent
    stage_dir = root / "stages" / stage
    config = stage_dir / "config.yaml"
    if config.is_file():
        os.environ[_CONFIG_VAR] = str(config)
    # Subprocesses the job starts import bundle modules too.
    inherited = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(root) + (os.pathsep + inherited if inherited else "")

    script_path = Path(os.path.normpath(stage_dir / script))
    if not script_path.is_file():
        return _fail(
            f"job script {script!r} of stage {stage!r} not found: no file "
            f"{os.path.relpath(script_path, root)} in the code bundle ({script_path}); "
            "is it excluded by .ytignore, or misspelled?"
        )

    fd_map = os.environ.pop(_FD_MAP_VAR, None)
    if fd_map:
        try:
            _apply_fd_map(fd_map)
        except (ValueError, OSError) as exc:
            return _fail(f"bad {_FD_MAP_VAR}={fd_map!r}: {exc}")

    # The script's own folder first, then the bundle root, as on the cluster.
    first = [str(script_path.parent), str(root)]
    sys.path[:] = [*first, *(entry for entry in sys.path if entry not in first)]
    sys.argv = [str(script_path), *rest]
    runpy.run_path(str(script_path), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
