"""Where the running job finds its stage's ``config.yaml`` inside the code bundle.

The job launcher (ytflow's dev runner, or the command of a prod operation) sets
``JOB_CONFIG_PATH``; job code never guesses paths, so it reads the same file in dev and prod.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

__all__ = ["ENV_VAR", "get_config_path", "load_config"]

ENV_VAR = "JOB_CONFIG_PATH"

_HOW_SET = (
    "ytflow sets it for every job it launches (dev and prod) to the stage's config.yaml inside "
    "the code bundle; to run job code by hand, set "
    f"{ENV_VAR}=path/to/stages/<stage>/config.yaml"
)


def get_config_path() -> Path:
    """Return the path of this job's stage ``config.yaml``, which must exist.

    Raises ``RuntimeError`` naming the variable or the path when the job was started without it.
    """
    value = os.environ.get(ENV_VAR)
    if not value:
        raise RuntimeError(f"environment variable {ENV_VAR} is not set: {_HOW_SET}")
    path = Path(value)
    if not path.is_file():
        raise RuntimeError(
            f"{ENV_VAR}={value!r} does not point to a file (no such config.yaml): {_HOW_SET}"
        )
    return path


def load_config() -> dict[str, Any]:
    """Parse the stage ``config.yaml`` (see ``get_config_path``) into a dict.

    PyYAML is a third-party package, so it is imported only here: in prod it must be installed
    in the job's Docker image.
    """
    path = get_config_path()
    try:
        import yaml  # noqa: PLC0415 - lazy: jobs that never read the config need no PyYAML
    except ImportError as exc:
        raise RuntimeError(
            "ytjobs.config.load_config needs PyYAML, which this job's Python lacks: install "
            "pyyaml in the job's Docker image (prod) or in the interpreter running ytflow (dev)"
        ) from exc
    try:
        with path.open(encoding="utf-8") as stream:
            data: object = yaml.safe_load(stream)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: the top level must be a mapping of keys to values, got {type(data).__name__}"
        )
    return cast("dict[str, Any]", data)
