"""Pipelines, stages, config loading and validation, stage discovery."""

from ytflow.core.config import PipelineConfig, load_pipeline_config
from ytflow.core.config_node import ConfigNode
from ytflow.core.pipeline import Pipeline
from ytflow.core.stage import Stage, StageDeps

__all__ = ["ConfigNode", "Pipeline", "PipelineConfig", "Stage", "StageDeps", "load_pipeline_config"]
