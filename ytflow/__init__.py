"""ytflow: batch data pipelines on YTsaurus that run unchanged on a laptop and on the cluster."""

from ytflow.core import ConfigNode, Pipeline, Stage, StageDeps
from ytflow.errors import (
    ConfigError,
    OperationError,
    PathConflict,
    RowError,
    StageError,
    StageLoadError,
    TableFormatError,
    TableNotFound,
    UsageError,
    YtflowError,
    YtPathError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConfigNode",
    "OperationError",
    "PathConflict",
    "Pipeline",
    "RowError",
    "Stage",
    "StageDeps",
    "StageError",
    "StageLoadError",
    "TableFormatError",
    "TableNotFound",
    "UsageError",
    "YtPathError",
    "YtflowError",
    "__version__",
]
