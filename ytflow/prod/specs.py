"""YT operation specs from ytflow's operation configs: pure data, no network, no ``yt`` import.

Prod submits exactly what ``operation_spec`` returns, and ``ytflow plan`` prints it, so the
plan is the spec that would run. Values YT reads as YSON with attributes (a format such as
``<encode_utf8=%false>json``, an output path such as ``<append=%true>//t``) are ``Attributed``
here; prod turns them into YSON values, a plan prints their YSON text.

Every job runs from the uploaded code bundle: the archive is a file dependency, unpacked into
the job's sandbox, and the bundle's launcher runs the stage's script from its root, as in dev.
Job I/O is JSON with ``encode_utf8=%false``: YT's JSON default (``encode_utf8=%true``) would
read the UTF-8 that ``ytjobs`` writes as Latin-1 and garble every non-ASCII string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ytflow.bundle import launcher_command, shell_text, vanilla_command
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationSpec,
    ReduceOperation,
    Resources,
    SortOperation,
    VanillaOperation,
)

BUNDLE_FILE = "ytflow_bundle.tar.gz"
"""The bundle archive's name in a job's sandbox."""
BUNDLE_DIR = "bundle"
"""Where a job unpacks it (its working folder while the script runs)."""
JOB_PYTHON = "python3"
"""The interpreter jobs run with: the job image's (``docker_image``) ``python3``."""
_UNPACK = f"mkdir -p {BUNDLE_DIR} && tar -xzf {BUNDLE_FILE} -C {BUNDLE_DIR} && cd {BUNDLE_DIR}"


def bundle_path(build_folder: str, digest: str) -> str:
    """Where prod uploads a bundle: named by its content hash, so an unchanged one is skipped
    (``ytflow plan`` shows the same target)."""
    return f"{build_folder.rstrip('/')}/bundle-{digest}.tar.gz"


@dataclass(frozen=True)
class Attributed:
    """A YSON value with attributes, such as ``<encode_utf8=%false>json``."""

    value: str
    attributes: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def __str__(self) -> str:
        """The YSON text form, as YT documents it."""
        items = ";".join(f"{key}={_yson_scalar(value)}" for key, value in self.attributes.items())
        return f"<{items}>{self.value}" if items else self.value


JOB_FORMAT = Attributed("json", {"encode_utf8": False})
"""The format of every job's stdin and stdout: UTF-8 kept intact, one JSON row per line."""


@dataclass(frozen=True)
class JobContext:
    """What every job spec of one stage needs besides the operation config."""

    pipeline: str
    """The pipeline folder's name, for titles."""
    stage: str
    bundle_path: str
    """Cypress path of the uploaded bundle archive (``<build_folder>/bundle-<hash>.tar.gz``)."""
    bundle_files: tuple[str, ...]
    """The bundle's member names, to tell a stage script from a shell command."""
    secure_vault: Mapping[str, str] = field(default_factory=dict[str, str])
    """Secrets for jobs; YT hands them over as ``YT_SECURE_VAULT_<KEY>``."""


def operation_spec(spec: OperationSpec, context: JobContext) -> tuple[str, dict[str, Any]]:
    """The YT operation type and spec that run ``spec`` for ``context.stage``."""
    common = _common(spec, context)
    match spec:
        case MapOperation():
            user = _user_job(spec.resources, _script_command(context, spec.mapper), context)
            return "map", {
                **common,
                **_tables(spec.input_table, spec.output_table, append=spec.append),
                "mapper": user,
                "ordered": True,  # dev promises map output in input order, whatever job_count
                **_job_count("job_count", spec.resources.job_count),
                "max_failed_job_count": spec.max_failed_job_count,
                **_time_limit(spec.time_limit_seconds),
            }
        case ReduceOperation():
            user = _user_job(spec.resources, _script_command(context, spec.reducer), context)
            return "reduce", {
                **common,
                **_tables(spec.input_table, spec.output_table, append=spec.append),
                "reducer": user,
                "reduce_by": list(spec.reduce_by),
                "sort_by": list(spec.key_columns),
                **_job_count("job_count", spec.resources.job_count),
                "max_failed_job_count": spec.max_failed_job_count,
                **_time_limit(spec.time_limit_seconds),
            }
        case MapReduceOperation():
            mapper = _user_job(spec.resources, _script_command(context, spec.mapper), context)
            reducer = _user_job(spec.resources, _script_command(context, spec.reducer), context)
            return "map_reduce", {
                **common,
                **_tables(spec.input_table, spec.output_table, append=spec.append),
                "mapper": mapper,
                "reducer": reducer,
                "reduce_by": list(spec.reduce_by),
                "sort_by": list(spec.key_columns),
                **_job_count("map_job_count", spec.resources.job_count),
                **_job_count("partition_count", spec.reduce_job_count),
                "max_failed_job_count": spec.max_failed_job_count,
                **_time_limit(spec.time_limit_seconds),
            }
        case SortOperation():
            return "sort", {
                **common,
                "input_table_paths": list(spec.input_table),
                "output_table_path": spec.output_table,
                "sort_by": list(spec.sort_by),
            }
        case VanillaOperation():
            task = _user_job(spec.resources, _vanilla_command(context, spec.command), context)
            task["job_count"] = spec.resources.job_count or 1
            task["environment"] = {**task["environment"], "PYTHONUNBUFFERED": "1"}
            return "vanilla", {
                **common,
                "tasks": {context.stage: task},
                "max_failed_job_count": spec.max_failed_job_count,
                **_time_limit(spec.time_limit_seconds),
            }


def job_command(context: JobContext, script: str) -> str:
    """The shell command of a job running stage ``script`` from the unpacked bundle."""
    return _script_command(context, script)


def _common(spec: OperationSpec, context: JobContext) -> dict[str, Any]:
    """Title, pool, pool trees and secure vault: what every operation kind carries."""
    common: dict[str, Any] = {
        "title": f"ytflow {context.pipeline}/{context.stage}: {spec.describe()}"
    }
    resources = spec.resources
    if resources.pool:
        common["pool"] = resources.pool
    if resources.pool_tree:
        common["pool_trees"] = [resources.pool_tree]
    if context.secure_vault and not isinstance(spec, SortOperation):
        common["secure_vault"] = dict(context.secure_vault)
    return common


def _tables(inputs: list[str], outputs: list[str], *, append: bool) -> dict[str, Any]:
    written: list[str | Attributed] = [
        Attributed(path, {"append": True}) if append else path for path in outputs
    ]
    return {"input_table_paths": list(inputs), "output_table_paths": written}


def _user_job(resources: Resources, command: str, context: JobContext) -> dict[str, Any]:
    """A mapper, reducer or vanilla task: command, bundle, formats and per-job resources."""
    job: dict[str, Any] = {
        "command": command,
        "file_paths": [Attributed(context.bundle_path, {"file_name": BUNDLE_FILE})],
        "input_format": JOB_FORMAT,
        "output_format": JOB_FORMAT,
        "environment": {"LANG": "C.UTF-8"},
    }
    if resources.memory_limit_gb:
        job["memory_limit"] = int(resources.memory_limit_gb * 2**30)
    if resources.cpu_limit:
        job["cpu_limit"] = resources.cpu_limit
    if resources.gpu_limit:
        job["gpu_limit"] = resources.gpu_limit
    if resources.docker_image:
        job["docker_image"] = resources.docker_image
    return job


def _script_command(context: JobContext, script: str) -> str:
    argv = launcher_command(context.stage, script, python=JOB_PYTHON)
    return f"{_UNPACK} && exec {shell_text(argv)}"


def _vanilla_command(context: JobContext, command: str) -> str:
    argv = vanilla_command(command, context.stage, context.bundle_files, python=JOB_PYTHON)
    if argv[0] == JOB_PYTHON:
        return f"{_UNPACK} && exec {shell_text(argv)}"
    # A shell command gets what the launcher gives a script: the stage config and the bundle.
    setup = f'export JOB_CONFIG_PATH="$PWD/stages/{context.stage}/config.yaml" PYTHONPATH="$PWD"'
    return f"{_UNPACK} && {setup} && exec {shell_text(argv)}"


def _job_count(key: str, count: int | None) -> dict[str, int]:
    return {key: count} if count else {}


def _time_limit(seconds: float | None) -> dict[str, int]:
    return {"time_limit": int(seconds * 1000)} if seconds else {}


def _yson_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "%true" if value else "%false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
