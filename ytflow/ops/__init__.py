"""Operation configs shared by both backends, and the validation that reports config mistakes."""

from ytflow.ops.models import (
    OPERATION_MODELS,
    MapOperation,
    MapReduceOperation,
    OperationSpec,
    ReduceOperation,
    Resources,
    SortOperation,
    StrictModel,
    VanillaOperation,
)
from ytflow.ops.results import OperationResult
from ytflow.ops.validation import config_error_from, join_key, validate_config

__all__ = [
    "OPERATION_MODELS",
    "MapOperation",
    "MapReduceOperation",
    "OperationResult",
    "OperationSpec",
    "ReduceOperation",
    "Resources",
    "SortOperation",
    "StrictModel",
    "VanillaOperation",
    "config_error_from",
    "join_key",
    "validate_config",
]
