"""ytjobs: the small runtime job code imports inside a YT job (or a dev sandbox job)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ytjobs import config, io, logging, secrets

__all__ = ["config", "io", "logging", "secrets"]


def __getattr__(name: str) -> ModuleType:
    # Submodules load on first attribute access, so `import ytjobs` costs nothing: a job pays
    # for orjson or logging only when it uses them.
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
