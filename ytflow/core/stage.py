"""The ``Stage`` base class pipeline authors subclass, and what a stage is given."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytflow.client import YtClient
from ytflow.core.config import PipelineConfig
from ytflow.core.config_node import ConfigNode


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
