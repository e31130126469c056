"""Where log lines go: the terminal (colour only on a TTY) and, in dev, ``.dev/operation.log``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from ytflow.terminal import is_terminal, stderr_console

LOGGER_NAME = "ytflow"
STAGE_LOGGER_PREFIX = f"{LOGGER_NAME}.stage."
OPERATION_LOG = "operation.log"

_FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(where)s] %(message)s"
_PLAIN_FORMAT = "%(asctime)s %(levelname)-7s [%(where)s] %(message)s"


class _WhereFilter(logging.Filter):
    """Adds ``where``: the stage name for stage loggers, else 'ytflow'."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        record.where = (
            name.removeprefix(STAGE_LOGGER_PREFIX)
            if name.startswith(STAGE_LOGGER_PREFIX)
            else "ytflow"
        )
        return True


def stage_logger(stage: str) -> logging.Logger:
    """The logger a stage gets as ``self.logger``."""
    return logging.getLogger(STAGE_LOGGER_PREFIX + stage)


def configure_logging(log_file: Path | None, *, level: int = logging.INFO) -> logging.Logger:
    """(Re)attach ytflow's handlers; idempotent, so pipelines can run twice in one process."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if getattr(handler, "_ytflow", False):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    logger.propagate = False
    handlers: list[logging.Handler] = [_terminal_handler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(_FILE_FORMAT, "%Y-%m-%d %H:%M:%S"))
        handlers.append(file_handler)
    for handler in handlers:
        handler.addFilter(_WhereFilter())
        handler._ytflow = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def _terminal_handler() -> logging.Handler:
    if is_terminal():
        from rich.logging import RichHandler  # noqa: PLC0415 - rich only on a terminal

        handler: logging.Handler = RichHandler(
            console=stderr_console(), show_path=False, markup=False, rich_tracebacks=False
        )
        handler.setFormatter(logging.Formatter("[%(where)s] %(message)s", "%H:%M:%S"))
        return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_PLAIN_FORMAT, "%H:%M:%S"))
    return handler
