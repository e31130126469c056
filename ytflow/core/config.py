"""``configs/config.yaml``: the pipeline's settings as a validated model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from ytflow.core.yaml_files import load_yaml_mapping
from ytflow.ops import StrictModel, validate_config
from ytflow.ops.models import YtFolder

STAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class UploadPath(StrictModel):
    """An extra file or folder to put in the code bundle."""

    source: str = Field(min_length=1, description="Path on this machine, pipeline-relative.")
    target: str = Field(min_length=1, description="Path inside the bundle.")


class PipelineSection(StrictModel):
    """The ``pipeline:`` block."""

    mode: Literal["dev", "prod"] = Field(
        default="dev", description="dev runs locally under .dev/; prod runs on the YT cluster."
    )
    build_folder: YtFolder | None = Field(
        default=None,
        validate_default=True,
        description="prod: Cypress folder the code bundle is uploaded to.",
    )
    yt_config: dict[str, Any] = Field(
        default_factory=dict[str, Any],
        description="prod: extra ytsaurus-client config merged into the client's.",
    )
    upload_modules: list[str] = Field(
        default_factory=list[str], description="Importable packages added to the code bundle."
    )
    upload_paths: list[UploadPath] = Field(
        default_factory=list[UploadPath], description="Extra files added to the code bundle."
    )

    @field_validator("build_folder")
    @classmethod
    def _prod_needs_build_folder(cls, folder: str | None, info: ValidationInfo) -> str | None:
        if folder is None and info.data.get("mode") == "prod":
            raise ValueError(
                "mode 'prod' needs a build_folder (a Cypress folder such as "
                "//tmp/my_pipeline/build) to upload the code bundle to"
            )
        return folder


class StagesSection(StrictModel):
    """The ``stages:`` block."""

    enabled_stages: list[str] = Field(
        min_length=1, description="Stage folder names under stages/, run in this order."
    )

    @field_validator("enabled_stages")
    @classmethod
    def _names_are_folders(cls, names: list[str]) -> list[str]:
        for name in names:
            if not STAGE_NAME.match(name):
                raise ValueError(
                    f"{name!r} is not a stage folder name (letters, digits, '_' and '-', "
                    "not starting with a digit)"
                )
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"stage {duplicates[0]!r} is listed more than once")
        return names


class PipelineConfig(StrictModel):
    """The whole of ``configs/config.yaml``."""

    pipeline: PipelineSection = PipelineSection()
    stages: StagesSection


def load_pipeline_config(path: Path, *, display: str | None = None) -> PipelineConfig:
    """Read and validate a pipeline config file; errors name ``display`` (default: path)."""
    shown = display or str(path)
    data = load_yaml_mapping(path, display=shown, allow_empty=False)
    return validate_config(PipelineConfig, data, file=shown)
