"""The ``Stage`` base class pipeline authors subclass, and what a stage is given."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ytflow.client import YtClient
from ytflow.core.config import PipelineConfig
from ytflow.core.config_node import ConfigNode, node_origin, validated_model
from ytflow.ops import (
    MapOperation,
    MapReduceOperation,
    OperationResult,
    OperationSpec,
    ReduceOperation,
    SortOperation,
    VanillaOperation,
    validate_config,
)

SpecT = TypeVar("SpecT", bound=OperationSpec)
OperationConfig = ConfigNode | Mapping[str, Any] | OperationSpec
"""A node of the stage's config.yaml, a plain mapping, or an already-built operation model."""


def operation_spec(model: type[SpecT], config: OperationConfig) -> SpecT:
    """Validate ``config`` as ``model``; errors name the stage config file and key."""
    if isinstance(config, model):
        return config
    if isinstance(config, ConfigNode):
        loaded = validated_model(config)
        if isinstance(loaded, model):
            return loaded
        source, key = node_origin(config)
        return validate_config(model, config.to_dict(), file=source, key_prefix=key)
    return validate_config(model, dict(config), file=None)


@dataclass(frozen=True)
class StageDeps:
    """What a stage depends on, injected by the pipeline: the client and the pipeline config."""

    yt_client: YtClient
    pipeline_config: PipelineConfig


class Stage(ABC):
    """One step of a pipeline; ``stages/<name>/stage.py`` defines exactly one subclass.

    ``run`` receives the ``debug`` dict returned by the previous stage (``{}`` for the first)
    and must return a dict, which the next stage receives. Use it to pass small facts between
    stages (row counts, chosen dates); tables carry the data.
    """

    def __init__(
        self,
        *,
        name: str,
        config: ConfigNode,
        deps: StageDeps,
        logger: logging.Logger,
        stage_dir: Path,
    ) -> None:
        self.name = name
        self.config = config
        self.deps = deps
        self.logger = logger
        self.stage_dir = stage_dir

    @abstractmethod
    def run(self, debug: dict[str, Any]) -> dict[str, Any]:
        """Do the stage's work; return ``debug`` (possibly updated) for the next stage."""

    def run_map(self, config: OperationConfig) -> OperationResult:
        """Run a map operation (``client.operations.map``); see ``MapOperation``."""
        return self._run(MapOperation, config)

    def run_reduce(self, config: OperationConfig) -> OperationResult:
        """Run a reduce operation; the input must be sorted by ``reduce_by`` (as on YT)."""
        return self._run(ReduceOperation, config)

    def run_map_reduce(self, config: OperationConfig) -> OperationResult:
        """Run mapper, sort by ``reduce_by``, then reducer."""
        return self._run(MapReduceOperation, config)

    def run_sort(self, config: OperationConfig) -> OperationResult:
        """Sort ``input_table`` into ``output_table`` by ``sort_by``, in YT's order."""
        return self._run(SortOperation, config)

    def run_vanilla(self, config: OperationConfig) -> OperationResult:
        """Run ``command`` as ``resources.job_count`` jobs with no input or output tables."""
        return self._run(VanillaOperation, config)

    def _run(self, model: type[OperationSpec], config: OperationConfig) -> OperationResult:
        spec = operation_spec(model, config)
        return self.deps.yt_client.run_operation(spec, stage=self.name)
