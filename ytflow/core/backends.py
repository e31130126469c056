"""Choosing the backend from ``pipeline.mode``: the only place that knows both exist."""

from __future__ import annotations

from pathlib import Path

from ytflow.client import YtClient
from ytflow.core.config import PipelineConfig
from ytflow.core.secrets import CLUSTER_KEYS, load_secrets
from ytflow.errors import ConfigError

DEV_DIR = ".dev"
SECRETS_FILE = "configs/secrets.env"


def make_client(config: PipelineConfig, root: Path, *, config_display: str) -> YtClient:
    """The client for the configured mode; dev never imports ``yt.wrapper``."""
    if config.pipeline.mode == "dev":
        from ytflow.dev import DevClient  # noqa: PLC0415 - each backend is imported on demand

        secrets = load_secrets(root / SECRETS_FILE, display=SECRETS_FILE)
        return DevClient(
            root / DEV_DIR,
            root=root,
            upload_modules=config.pipeline.upload_modules,
            upload_paths=[(item.source, item.target) for item in config.pipeline.upload_paths],
            job_secrets=secrets.for_jobs(),
        )
    load_secrets(root / SECRETS_FILE, display=SECRETS_FILE, required=CLUSTER_KEYS)
    raise ConfigError(
        "mode 'prod' is not available in this version of ytflow: the YT cluster backend "
        "has not been released yet",
        file=config_display,
        key="pipeline.mode",
        hint="use mode: dev (the default) until the prod backend ships",
    )


def check_bundle_config(config: PipelineConfig, root: Path, *, config_display: str) -> None:
    """Refuse bad ``upload_modules`` / ``upload_paths`` entries before the first stage runs.

    The bundle itself is built only when an operation needs it; this dry run of its file
    choice (no archive written) makes a bad entry a config error at start, naming the file
    and key, instead of a stage failure after earlier stages ran.
    """
    section = config.pipeline
    if not section.upload_modules and not section.upload_paths:
        return
    from ytflow.bundle import collect_members  # noqa: PLC0415 - only pipelines that upload

    try:
        collect_members(
            root,
            upload_modules=section.upload_modules,
            upload_paths=[(item.source, item.target) for item in section.upload_paths],
            skip=[root / DEV_DIR],
            config_file=config_display,
        )
    except OSError as error:  # an unreadable folder among the files to upload
        raise ConfigError(
            f"cannot read {error.filename or 'a file'} for the code bundle: "
            f"{error.strerror or error}",
            file=config_display,
            key="pipeline.upload_paths",
            hint="make it readable, or leave it out with .ytignore",
        ) from None
