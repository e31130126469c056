"""``Pipeline``: load the config, find the stages, run them in order, report how it went."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer

from ytflow.core.backends import DEV_DIR, check_bundle_config, make_client
from ytflow.core.config import PipelineConfig, load_pipeline_config
from ytflow.core.discovery import (
    StageSpec,
    activate_pipeline_root,
    available_stages,
    load_stage,
)
from ytflow.core.logging_setup import OPERATION_LOG, configure_logging, stage_logger
from ytflow.core.run_lock import run_lock
from ytflow.core.runner import RUN_EXIT_CODES, ConfigOption, StageOption, run_guarded
from ytflow.core.stage import StageDeps
from ytflow.core.tracebacks import user_traceback
from ytflow.errors import ConfigError, StageError, UsageError

CONFIG_FILE = "configs/config.yaml"


class Pipeline:
    """A pipeline folder: ``pipeline.py``, ``configs/config.yaml`` and ``stages/<name>/``."""

    def __init__(self, root: Path | str, *, config_file: Path | str | None = None) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise UsageError(
                f"pipeline folder {root} does not exist",
                hint="pass the folder that holds pipeline.py, or create one with `ytflow new DIR`",
            )
        self.config_file, self.config_display = self._find_config(config_file)
        self.config: PipelineConfig = load_pipeline_config(
            self.config_file, display=self.config_display
        )

    @property
    def dev_dir(self) -> Path:
        """Where dev mode keeps tables, sandboxes and logs."""
        return self.root / DEV_DIR

    def run(
        self, stages: Sequence[str] | None = None, *, debug: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run ``stages`` (default: ``enabled_stages``) in order; return the final debug dict.

        Every stage is imported and its config validated before the first one runs, so a typo
        in the last stage fails fast instead of after an hour of work.
        """
        names = self._select(stages)
        activate_pipeline_root(self.root)
        specs = [load_stage(self.root, name, **self._asked_where(name)) for name in names]
        check_bundle_config(self.config, self.root, config_display=self.config_display)
        with self._run_lock(names):
            client = make_client(self.config, self.root, config_display=self.config_display)
            log_file = self.dev_dir / OPERATION_LOG if client.mode == "dev" else None
            logger = configure_logging(log_file)
            deps = StageDeps(yt_client=client, pipeline_config=self.config)
            logger.info(
                "pipeline %s: %d stage(s) in %s mode", self.root.name, len(specs), client.mode
            )
            started = time.perf_counter()
            state: dict[str, Any] = {} if debug is None else debug
            for spec in specs:
                state = self._run_stage(spec, deps, state, logger)
            logger.info("pipeline finished in %.2fs", time.perf_counter() - started)
            return state

    @classmethod
    def main(cls, argv: Sequence[str] | None = None) -> NoReturn:
        """Entry point for ``pipeline.py``: behaves like ``ytflow run`` on the caller's folder."""
        frame = inspect.currentframe()
        caller = frame.f_back if frame else None
        caller_file = caller.f_globals.get("__file__") if caller else None
        root = Path(caller_file).resolve().parent if caller_file else Path.cwd()

        def run(config: ConfigOption = None, stage: StageOption = None) -> None:
            raise typer.Exit(run_guarded(lambda: cls(root, config_file=config).run(stage)))

        run.__doc__ = f"Run the ytflow pipeline in {root} (like `ytflow run`).\n\n{RUN_EXIT_CODES}"
        command = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        command.command()(run)
        command(args=None if argv is None else list(argv), prog_name="pipeline.py")
        sys.exit(0)  # typer exits itself; this only satisfies NoReturn

    def _run_stage(
        self, spec: StageSpec, deps: StageDeps, debug: dict[str, Any], logger: logging.Logger
    ) -> dict[str, Any]:
        logger.info("stage %s started", spec.name)
        started = time.perf_counter()
        try:
            stage = spec.stage_class(
                name=spec.name,
                config=spec.config,
                deps=deps,
                logger=stage_logger(spec.name),
                stage_dir=spec.directory,
            )
            result = stage.run(debug)
        except Exception as error:
            raise _stage_failure(spec.name, started, error, logger) from error
        except SystemExit as error:
            # sys.exit() in stage code is a failure of that stage, reported like any other;
            # KeyboardInterrupt is not caught here: it stops the run as an interrupt.
            raise _stage_failure(
                spec.name, started, error, logger, what=f"called sys.exit({error.code!r})"
            ) from error
        elapsed = time.perf_counter() - started
        if not isinstance(result, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            failure = StageError(
                spec.name,
                f"returned {'None' if result is None else type(result).__name__}, "
                "but run() must return a dict",
                hint="end run() with `return debug` (the dict passed to the next stage)",
            )
            logger.error("%s", failure)
            failure.reported = True
            raise failure
        logger.info("stage %s finished in %.2fs", spec.name, elapsed)
        return result  # pyright: ignore[reportUnknownVariableType]

    def _run_lock(self, names: Sequence[str]) -> contextlib.AbstractContextManager[None]:
        """Dev runs share ``.dev/``: hold the pipeline's run lock; prod needs none."""
        if self.config.pipeline.mode == "dev":
            return run_lock(self.dev_dir, stages=names)
        return contextlib.nullcontext()

    def _select(self, stages: Sequence[str] | None) -> list[str]:
        enabled = self.config.stages.enabled_stages
        if not stages:
            return list(enabled)
        known = sorted(set(enabled) | set(available_stages(self.root)))
        for name in stages:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise UsageError(
                    f"--stage {name!r} is not a stage of {self.root.name}",
                    hint=f"{hint}stages: {', '.join(known) or '(none)'}",
                )
        return list(dict.fromkeys(stages))

    def _asked_where(self, name: str) -> dict[str, str | None]:
        enabled = self.config.stages.enabled_stages
        if name in enabled:
            key = f"stages.enabled_stages[{enabled.index(name)}]"
            return {"file": self.config_display, "key": key}
        return {"file": None, "key": None}

    def _find_config(self, config_file: Path | str | None) -> tuple[Path, str]:
        if config_file is None:
            path = self.root / CONFIG_FILE
            if not path.is_file():
                raise ConfigError(
                    f"{self.root} is not a ytflow pipeline: {CONFIG_FILE} not found",
                    hint="run it on the folder that holds pipeline.py, or create one with "
                    "`ytflow new DIR`",
                )
            return path, CONFIG_FILE
        given = Path(config_file)
        for candidate in (given, self.root / given):
            if candidate.is_file():
                resolved = candidate.resolve()
                if resolved.is_relative_to(self.root):
                    return resolved, str(resolved.relative_to(self.root))
                return resolved, str(given)
        raise ConfigError(
            f"config file {config_file} not found (looked in the current folder and in {self.root})"
        )


def _stage_failure(
    name: str,
    started: float,
    error: BaseException,
    logger: logging.Logger,
    *,
    what: str | None = None,
) -> StageError:
    """Log the failure once, with the user's traceback, and return the error to raise."""
    elapsed = time.perf_counter() - started
    said = f": it {what}" if what else ""
    logger.error("stage %s failed after %.2fs%s\n%s", name, elapsed, said, user_traceback(error))
    failure = StageError(
        name, f"failed after {elapsed:.2f}s: {what or f'{type(error).__name__}: {error}'}"
    )
    failure.reported = True
    return failure
