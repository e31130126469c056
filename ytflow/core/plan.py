"""``ytflow plan``: what a prod run would upload and submit, found offline.

No network, no credentials, no ``ytsaurus-client``: the bundle is built into a temporary
folder (its hash is the one prod uploads under), and every enabled stage's ``run()`` is
called with a recording client (``plan_client.PlanClient``) that turns operations into the
exact YT specs prod submits and keeps YQL texts. A stage that fails under it is reported as
planned up to the failure, and the next stage is planned. Secret values never appear: the
vault shows ``***`` and every text of the plan goes through the same masking as job stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ytflow.bundle import BundleSource
from ytflow.client.job_secrets import MASK, JobSecrets
from ytflow.core.backends import SECRETS_FILE, check_bundle_config
from ytflow.core.config_node import ConfigNode, validated_model
from ytflow.core.discovery import StageSpec, activate_pipeline_root, load_stage
from ytflow.core.logging_setup import STAGE_LOGGER_PREFIX, stage_logger
from ytflow.core.pipeline import Pipeline
from ytflow.core.plan_client import PlanClient, PlannedOperation, Step
from ytflow.core.secrets import CLUSTER_KEYS, Secrets, load_secrets
from ytflow.core.stage import StageDeps
from ytflow.errors import YtflowError
from ytflow.ops import OPERATION_MODELS, OperationSpec
from ytflow.prod.specs import bundle_path, operation_spec

UNSET_BUILD_FOLDER = "$BUILD_FOLDER"
"""Stands for ``pipeline.build_folder`` in specs when the config does not set it."""

OFFLINE_LIMITS = (
    "Tables are not read: read_table yields no rows, exists is False, row_count is 0, YQL "
    "returns no rows and operations report 0 output rows. A stage whose calls depend on table "
    "contents or on those answers may call other operations on the cluster.",
    "YQL texts are shown, not checked: syntax, table schemas and results are the query "
    "tracker's business.",
    "Whether the bundle is already in build_folder (then its upload is skipped), whether the "
    "token may write there, and whether the pool, pool tree and docker image exist.",
    "What the cluster decides itself: job counts and resources the config leaves unset, "
    "and the keys the YT client adds to a spec when submitting it.",
)
"""What a plan cannot know, said in every plan."""

_CREDENTIAL_KEY = re.compile(r"token|secret|password", re.IGNORECASE)


@dataclass(frozen=True)
class BundlePlan:
    """The code bundle prod would upload."""

    files: tuple[str, ...]
    size: int
    digest: str
    target: str | None
    """``<build_folder>/bundle-<digest>.tar.gz``; None when ``build_folder`` is not set."""


@dataclass(frozen=True)
class Credential:
    """Where a prod run would find ``YT_PROXY`` or ``YT_TOKEN`` (the token's value is hidden)."""

    key: str
    source: str | None
    """``environment``, the secrets file, or None when missing."""
    shown: str | None


@dataclass(frozen=True)
class ConfigOnlyOperation:
    """An operation in ``client.operations.<kind>`` that the stage did not call offline."""

    key: str
    op_type: str | None
    yt_spec: dict[str, Any] | None
    """The spec as the config alone gives it; None when it cannot be built (see ``error``)."""
    error: str | None = None


@dataclass
class StagePlan:
    """One stage: its calls in order, how it ended, and what its config holds but went unused."""

    name: str
    steps: list[Step] = field(default_factory=list[Step])
    error: str | None = None
    """Set when ``run()`` failed under the recording client: the plan stops there."""
    not_called: list[ConfigOnlyOperation] = field(default_factory=list[ConfigOnlyOperation])
    log: list[str] = field(default_factory=list[str])


@dataclass(frozen=True)
class Plan:
    """Everything ``ytflow plan`` prints."""

    pipeline: str
    config_file: str
    mode: str
    build_folder: str | None
    yt_config: dict[str, Any]
    credentials: list[Credential]
    vault_keys: list[str]
    bundle: BundlePlan
    stages: list[StagePlan]
    mask: JobSecrets
    offline_limits: tuple[str, ...] = OFFLINE_LIMITS


def build_plan(root: Path | str, *, config_file: Path | str | None = None) -> Plan:
    """Plan a prod run of the pipeline in ``root``; config and stage errors raise as in a run."""
    pipeline = Pipeline(root, config_file=config_file)
    config, display = pipeline.config, pipeline.config_display
    names = config.stages.enabled_stages
    activate_pipeline_root(pipeline.root)
    specs = [
        load_stage(pipeline.root, name, file=display, key=f"stages.enabled_stages[{index}]")
        for index, name in enumerate(names)
    ]
    check_bundle_config(config, pipeline.root, config_display=display)
    secrets = load_secrets(pipeline.root / SECRETS_FILE, display=SECRETS_FILE)
    vault = secrets.for_jobs()
    mask = JobSecrets(vault, also_hide=_tokens(secrets))
    section = config.pipeline
    with tempfile.TemporaryDirectory(prefix="ytflow-plan-") as scratch:
        bundle = BundleSource(
            pipeline.root,
            output_dir=Path(scratch),
            upload_modules=section.upload_modules,
            upload_paths=[(item.source, item.target) for item in section.upload_paths],
        ).get()
    target = bundle_path(section.build_folder, bundle.digest) if section.build_folder else None
    client = PlanClient(
        pipeline=pipeline.root.name,
        bundle_path=target or bundle_path(UNSET_BUILD_FOLDER, bundle.digest),
        bundle_files=bundle.files,
        secure_vault=dict.fromkeys(vault, MASK),
    )
    deps = StageDeps(yt_client=client, pipeline_config=config)
    return Plan(
        pipeline=pipeline.root.name,
        config_file=display,
        mode=section.mode,
        build_folder=section.build_folder,
        yt_config=_hide_credentials(section.yt_config),
        credentials=[_credential(key, secrets) for key in CLUSTER_KEYS],
        vault_keys=sorted(vault),
        bundle=BundlePlan(bundle.files, bundle.size, bundle.digest, target),
        stages=_plan_stages(specs, client, deps),
        mask=mask,
    )


def _plan_stages(specs: list[StageSpec], client: PlanClient, deps: StageDeps) -> list[StagePlan]:
    planned: list[StagePlan] = []
    debug: dict[str, Any] = {}
    for spec in specs:
        record = client.begin_stage(spec.name)
        stage_plan = StagePlan(spec.name, steps=record.steps)
        with _captured_log(spec.name, stage_plan.log):
            debug = _run_stage(spec, deps, debug, stage_plan)
        stage_plan.not_called = _not_called(spec, stage_plan.steps, client)
        planned.append(stage_plan)
    return planned


def _run_stage(
    spec: StageSpec, deps: StageDeps, debug: dict[str, Any], stage_plan: StagePlan
) -> dict[str, Any]:
    """Call the stage's ``run()``; on failure note it and hand the previous debug dict on."""
    try:
        stage = spec.stage_class(
            name=spec.name,
            config=spec.config,
            deps=deps,
            logger=stage_logger(spec.name),
            stage_dir=spec.directory,
        )
        result = stage.run(dict(debug))
    except Exception as error:
        stage_plan.error = f"{type(error).__name__}: {error}"
        return debug
    except SystemExit as error:
        stage_plan.error = f"it called sys.exit({error.code!r})"
        return debug
    if not isinstance(result, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
        stage_plan.error = f"run() returned {type(result).__name__}, not a dict"
        return debug
    return result  # pyright: ignore[reportUnknownVariableType]


def _not_called(
    spec: StageSpec, steps: list[Step], client: PlanClient
) -> list[ConfigOnlyOperation]:
    """Operation configs of the stage whose kind it did not call offline, specced from config.

    They were validated when the stage's config was loaded; the models kept then are reused.
    """
    called = {step.spec.kind for step in steps if isinstance(step, PlannedOperation)}
    found: list[ConfigOnlyOperation] = []
    for kind in OPERATION_MODELS:
        key = f"client.operations.{kind}"
        model = _loaded_model(spec.config, kind)
        if model is None or kind in called:
            continue
        try:
            op_type, yt_spec = operation_spec(model, client.context(spec.name))
        except YtflowError as error:  # e.g. a vanilla script the bundle lacks
            found.append(ConfigOnlyOperation(key, None, None, str(error)))
            continue
        found.append(ConfigOnlyOperation(key, op_type, yt_spec))
    return found


def _loaded_model(config: ConfigNode, kind: str) -> OperationSpec | None:
    client_block = config.get("client")
    operations = client_block.get("operations") if isinstance(client_block, ConfigNode) else None
    node = operations.get(kind) if isinstance(operations, ConfigNode) else None
    model = validated_model(node) if isinstance(node, ConfigNode) else None
    return model if isinstance(model, OperationSpec) else None


def _credential(key: str, secrets: Secrets) -> Credential:
    from_env = os.environ.get(key)
    value, source = (from_env, "environment") if from_env else (secrets.get(key), SECRETS_FILE)
    if not value:
        return Credential(key, None, None)
    return Credential(key, source, MASK if key == "YT_TOKEN" else value)


def _hide_credentials(value: Any) -> Any:
    """``yt_config`` with the values of token-, secret- and password-like keys as ``***``."""
    if isinstance(value, dict):
        return {
            key: MASK if _CREDENTIAL_KEY.search(str(key)) else _hide_credentials(item)
            for key, item in cast(dict[str, Any], value).items()
        }
    if isinstance(value, list):
        return [_hide_credentials(item) for item in cast(list[Any], value)]
    return value


def _tokens(secrets: Secrets) -> list[str]:
    """Token values to hide wherever they might show up, from the file and the environment."""
    return [value for value in (secrets.get("YT_TOKEN"), os.environ.get("YT_TOKEN")) if value]


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


@contextlib.contextmanager
def _captured_log(stage: str, lines: list[str]) -> Generator[None]:
    """Keep what the stage logs during planning, for the plan, instead of printing it."""
    logger = logging.getLogger(STAGE_LOGGER_PREFIX + stage)
    handler = _ListHandler(lines)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
