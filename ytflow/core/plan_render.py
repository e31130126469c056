"""A ``Plan`` as text for people, or as YAML/JSON data for tools; secrets masked in every form.

Specs are printed as YAML with YSON-attributed values as their YSON text
(``<encode_utf8=%false>json``), which is how YT's own docs write them. The whole output goes
through the plan's mask last, so a secret a stage put into a YQL text or a log line is
hidden too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import yaml

from ytflow.core.plan import Plan, StagePlan
from ytflow.core.plan_client import PlannedOperation, PlannedYql, TableCall
from ytflow.prod.specs import Attributed


def plan_data(plan: Plan) -> dict[str, Any]:
    """The plan as plain data (str keys, JSON values): what ``--format yaml|json`` prints."""
    bundle = plan.bundle
    return {
        "pipeline": plan.pipeline,
        "config_file": plan.config_file,
        "mode": plan.mode,
        "build_folder": plan.build_folder,
        "yt_config": plan.yt_config,
        "credentials": {
            item.key: {"source": item.source, "value": item.shown} for item in plan.credentials
        },
        "secure_vault": dict.fromkeys(plan.vault_keys, "***"),
        "bundle": {
            "sha256": bundle.digest,
            "size": bundle.size,
            "upload_target": bundle.target,
            "files": list(bundle.files),
        },
        "stages": [_stage_data(stage) for stage in plan.stages],
        "offline_limits": list(plan.offline_limits),
    }


def render_data(plan: Plan, output_format: str) -> str:
    """``plan_data`` as ``yaml`` or ``json`` text, masked."""
    data = plan_data(plan)
    if output_format == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _yaml(data)
    return plan.mask.mask(text)


def render_text(plan: Plan) -> str:
    """The plan for a terminal: sections, specs as indented YAML, masked."""
    out: list[str] = [
        f"ytflow plan: {plan.pipeline} ({plan.config_file}, mode: {plan.mode}), "
        "planned as a prod run, offline",
        "",
        "Cluster",
    ]
    for item in plan.credentials:
        if item.source is None:
            out.append(
                f"  {item.key}: not set (a prod run needs it in configs/secrets.env or the "
                "environment; the plan does not)"
            )
        else:
            out.append(f"  {item.key}: {item.shown} (from {item.source})")
    yt_config = json.dumps(plan.yt_config, ensure_ascii=False) if plan.yt_config else "{}"
    out.append(f"  pipeline.yt_config: {yt_config}")
    vault = ", ".join(f"{key}=***" for key in plan.vault_keys) or "(empty)"
    out += [f"  secure vault (jobs read it with ytjobs.secrets.get): {vault}", ""]
    out += _bundle_text(plan)
    for index, stage in enumerate(plan.stages, 1):
        out += ["", f"Stage {index}/{len(plan.stages)}: {stage.name}"]
        out += _stage_text(stage)
    out += ["", "What a plan cannot know offline"]
    out += [f"  - {limit}" for limit in plan.offline_limits]
    return plan.mask.mask("\n".join(out) + "\n")


def _bundle_text(plan: Plan) -> list[str]:
    bundle = plan.bundle
    lines = [
        f"Code bundle: {len(bundle.files)} files, {bundle.size:,} bytes, sha256 {bundle.digest}",
    ]
    if bundle.target:
        lines.append(f"  upload target: {bundle.target} (skipped when already there)")
    else:
        lines.append(
            "  upload target: unknown: pipeline.build_folder is not set in "
            f"{plan.config_file}; set it to a Cypress folder the token may write, e.g. "
            f"//tmp/{plan.pipeline}/build (specs below show $BUILD_FOLDER)"
        )
    lines += ["  files:", *(f"    {name}" for name in bundle.files)]
    return lines


def _stage_text(stage: StagePlan) -> list[str]:
    lines: list[str] = []
    operations = 0
    for step in stage.steps:
        match step:
            case PlannedOperation():
                operations += 1
                lines.append(f"  operation {operations}: {step.spec.describe()}")
                document = {"type": step.op_type, "spec": _plain(step.yt_spec)}
                lines += _indent(_yaml(document), 4)
            case PlannedYql():
                lines.append("  YQL:")
                lines += _indent(step.text.rstrip("\n"), 4)
            case TableCall():
                lines.append(f"  {step.call} -> {step.answer} (offline)")
    if not stage.steps and stage.error is None:
        lines.append("  (no table calls, operations or YQL)")
    if stage.error is not None:
        lines.append(f"  planned up to here: {stage.error}")
    for item in stage.not_called:
        lines.append(f"  in the config, not called offline: {item.key}")
        if item.yt_spec is not None:
            document = {"type": item.op_type, "spec": _plain(item.yt_spec)}
            lines += _indent(_yaml(document), 4)
        else:
            lines += _indent(f"cannot be specced: {item.error}", 4)
    if stage.log:
        lines.append("  stage log:")
        lines += [f"    {line}" for text in stage.log for line in text.splitlines()]
    return lines


def _stage_data(stage: StagePlan) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for step in stage.steps:
        match step:
            case PlannedOperation():
                steps.append(
                    {
                        "operation": step.spec.describe(),
                        "type": step.op_type,
                        "spec": _plain(step.yt_spec),
                    }
                )
            case PlannedYql():
                steps.append({"yql": step.text})
            case TableCall():
                steps.append({"call": step.call, "offline_answer": step.answer})
    return {
        "name": stage.name,
        "steps": steps,
        "error": stage.error,
        "not_called_offline": [
            {
                "config_key": item.key,
                "type": item.op_type,
                "spec": None if item.yt_spec is None else _plain(item.yt_spec),
                "error": item.error,
            }
            for item in stage.not_called
        ],
        "log": list(stage.log),
    }


def _plain(value: Any) -> Any:
    """``Attributed`` values as YSON text, containers copied: data YAML and JSON can hold."""
    if isinstance(value, Attributed):
        return str(value)
    if isinstance(value, Mapping):
        mapping = cast(Mapping[Any, Any], value)
        return {str(key): _plain(item) for key, item in mapping.items()}
    if isinstance(value, list | tuple):
        items = cast(list[Any] | tuple[Any, ...], value)
        return [_plain(item) for item in items]
    return value


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (YQL, commands) as ``|`` blocks, readable as written."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def _indent(text: str, spaces: int) -> list[str]:
    pad = " " * spaces
    return [pad + line if line else line for line in text.rstrip("\n").splitlines()]
