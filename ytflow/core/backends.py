"""Choosing the backend from ``pipeline.mode``: the only place that knows both exist."""

from __future__ import annotations

import os
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
    return _prod_client(config, root, config_display=config_display)


def _prod_client(config: PipelineConfig, root: Path, *, config_display: str) -> YtClient:
    """The prod client, after one request that proves the credentials work.

    ``YT_PROXY`` / ``YT_TOKEN`` set (non-empty) in the environment override
    ``configs/secrets.env``; the file is then needed only for the keys the environment lacks
    (see ``ytflow.prod.connection``). The token is masked in everything shown.
    """
    from ytflow.client.job_secrets import JobSecrets  # noqa: PLC0415 - prod only
    from ytflow.prod.client import ProdClient  # noqa: PLC0415 - imports yt.wrapper lazily
    from ytflow.prod.connection import Credentials, check_credentials, connect  # noqa: PLC0415

    from_env = {key: os.environ[key] for key in CLUSTER_KEYS if os.environ.get(key)}
    secrets = load_secrets(
        root / SECRETS_FILE,
        display=SECRETS_FILE,
        required=[key for key in CLUSTER_KEYS if key not in from_env],
    )
    values = {key: from_env.get(key) or secrets.get(key) or "" for key in CLUSTER_KEYS}
    sources = [f"the environment ({', '.join(from_env)})"] if from_env else []
    if len(from_env) < len(CLUSTER_KEYS):
        sources.append(SECRETS_FILE)
    credentials = Credentials(
        proxy=values["YT_PROXY"], token=values["YT_TOKEN"], source=" and ".join(sources)
    )
    job_secrets = JobSecrets(secrets.for_jobs(), also_hide=[credentials.token])
    yt = connect(
        credentials, config.pipeline.yt_config, mask=job_secrets.mask, config_file=config_display
    )
    check_credentials(yt, credentials, mask=job_secrets.mask)
    assert config.pipeline.build_folder is not None  # the config refuses prod without one
    return ProdClient(
        yt,
        root=root,
        build_folder=config.pipeline.build_folder,
        secrets=job_secrets,
        upload_modules=config.pipeline.upload_modules,
        upload_paths=[(item.source, item.target) for item in config.pipeline.upload_paths],
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
