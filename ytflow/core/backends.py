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
