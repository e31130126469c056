"""Finding and loading ``stages/<name>/stage.py``: exactly one Stage subclass per file."""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ytflow.core.config_node import ConfigNode
from ytflow.core.stage import Stage
from ytflow.core.tracebacks import user_traceback
from ytflow.core.yaml_files import load_yaml_mapping
from ytflow.errors import ConfigError, StageLoadError
from ytflow.ops import OPERATION_MODELS, validate_config

STAGES_DIR = "stages"


@dataclass(frozen=True)
class StageSpec:
    """A stage found on disk: its class, its folder and its loaded config."""

    name: str
    stage_class: type[Stage]
    directory: Path
    config: ConfigNode


def available_stages(root: Path) -> list[str]:
    """Names of the folders under ``stages/`` that hold a ``stage.py``."""
    folder = root / STAGES_DIR
    if not folder.is_dir():
        return []
    return sorted(path.parent.name for path in folder.glob("*/stage.py"))


def load_stage(root: Path, name: str, *, file: str | None, key: str | None) -> StageSpec:
    """Import ``stages/<name>/stage.py`` and load its config.

    ``file`` and ``key`` say where the stage was asked for (the config entry), for errors.
    """
    directory = root / STAGES_DIR / name
    stage_file = directory / "stage.py"
    display = f"{STAGES_DIR}/{name}/stage.py"
    if not stage_file.is_file():
        available = available_stages(root)
        hint = "create it with a class that subclasses ytflow.Stage"
        close = difflib.get_close_matches(name, available, n=1)
        if close:
            hint = f"did you mean '{close[0]}'? " + hint
        if available:
            hint += f"; stages found: {', '.join(available)}"
        raise ConfigError(f"stage '{name}' has no {display}", file=file, key=key, hint=hint)
    stage_class = _stage_class(_import_stage_module(stage_file, root, display), display)
    return StageSpec(name, stage_class, directory, load_stage_config(root, name))


def load_stage_config(root: Path, name: str) -> ConfigNode:
    """``stages/<name>/config.yaml`` (optional) as a node; known operation blocks validated."""
    path = root / STAGES_DIR / name / "config.yaml"
    display = f"{STAGES_DIR}/{name}/config.yaml"
    data = load_yaml_mapping(path, display=display) if path.is_file() else {}
    operations = (
        data.get("client", {}).get("operations") if isinstance(data.get("client"), dict) else None
    )
    models: dict[str, Any] = {}
    if isinstance(operations, dict):
        for kind, model in OPERATION_MODELS.items():
            if kind in operations:
                key = f"client.operations.{kind}"
                models[key] = validate_config(model, operations[kind], file=display, key_prefix=key)
    return ConfigNode(data, source=display, models=models)


def activate_pipeline_root(root: Path) -> None:
    """Make ``root`` the first import root, as running its ``pipeline.py`` would.

    Stage code imports its helpers as ``stages.<name>.src...``; modules of that package left
    from another pipeline run in this process are dropped so they cannot shadow this one's.
    """
    if str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))
    for module_name, module in list(sys.modules.items()):
        if module_name == STAGES_DIR or module_name.startswith(f"{STAGES_DIR}."):
            origin = getattr(module, "__file__", None) or next(
                iter(getattr(module, "__path__", [])), None
            )
            if origin is None or not Path(origin).resolve().is_relative_to(root):
                del sys.modules[module_name]


def _import_stage_module(stage_file: Path, root: Path, display: str) -> ModuleType:
    digest = hashlib.sha1(str(stage_file).encode()).hexdigest()[:10]
    module_name = f"_ytflow_stage_{stage_file.parent.name}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, stage_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise StageLoadError(
            f"{display} failed to import:\n{user_traceback(error, import_error=True)}",
            hint="fix the error above; stage code is imported with the pipeline folder on sys.path",
        ) from error
    except SystemExit as error:
        sys.modules.pop(module_name, None)
        raise StageLoadError(
            f"{display} called sys.exit({error.code!r}) while being imported:\n"
            f"{user_traceback(error, import_error=True)}",
            hint="put the code under `if __name__ == '__main__':` or inside run()",
        ) from error
    return module


def _stage_class(module: ModuleType, display: str) -> type[Stage]:
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Stage)
        and value is not Stage
        and value.__module__ == module.__name__
    ]
    if len(found) == 1:
        _check_runnable(found[0], display)
        return found[0]
    if not found:
        raise StageLoadError(
            f"{display} defines no Stage subclass",
            hint="add `class MyStage(Stage):` with a `run(self, debug)` method "
            "(from ytflow import Stage)",
        )
    names = ", ".join(sorted(cls.__name__ for cls in found))
    raise StageLoadError(
        f"{display} defines {len(found)} Stage subclasses ({names}); exactly one is allowed",
        hint="move the others to their own stage folders, or make shared bases non-Stage mixins",
    )


def _check_runnable(stage_class: type[Stage], display: str) -> None:
    """Refuse a class that cannot be instantiated or whose ``run`` cannot take ``debug``.

    Done while stages are checked, so the mistake stops the pipeline before its first stage.
    """
    name = stage_class.__name__
    missing = sorted(getattr(stage_class, "__abstractmethods__", ()))
    if missing == ["run"]:
        raise StageLoadError(
            f"{display}: class {name} does not define run(self, debug)",
            hint=f"add `def run(self, debug: dict) -> dict:` to {name}; it must return a dict",
        )
    if missing:
        raise StageLoadError(
            f"{display}: class {name} is abstract: it does not define {', '.join(missing)}",
            hint=f"define {', '.join(missing)} in {name}",
        )
    try:
        signature = inspect.signature(stage_class.run)
    except (TypeError, ValueError):  # not introspectable (a C callable): trust it
        return
    # Looked up on the class, a plain method still takes self; static and class methods do not.
    bound = isinstance(inspect.getattr_static(stage_class, "run"), staticmethod | classmethod)
    try:
        signature.bind(*(() if bound else (None,)), {})
    except TypeError:
        raise StageLoadError(
            f"{display}: {name}.run{signature} cannot be called as run(debug)",
            hint="declare it as `def run(self, debug: dict) -> dict:`",
        ) from None
