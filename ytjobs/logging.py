"""A logger for job code that writes to stderr, which YT keeps as the job's log.

stdout is the data channel of a YT job (one JSON row per line), so a log line there would be
read as a corrupt row; these loggers never write to stdout, and they do not propagate to the
root logger in case some library configured it to print there.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["LEVEL_ENV_VAR", "get_logger"]

LEVEL_ENV_VAR = "YTJOBS_LOG_LEVEL"

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.Handler):
    """Write records to whatever ``sys.stderr`` is at emit time.

    Resolving stderr per record (as logging's own last-resort handler does) keeps working when
    a test harness or the job swaps ``sys.stderr`` after the logger was created.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def _level_from_env() -> int:
    raw = os.environ.get(LEVEL_ENV_VAR, "").strip()
    if not raw:
        return logging.INFO
    if raw.isdigit():
        return int(raw)
    level = logging.getLevelNamesMapping().get(raw.upper())
    if level is None:
        allowed = ", ".join(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
        raise ValueError(f"{LEVEL_ENV_VAR}={raw!r} is not a log level; use one of {allowed}")
    return level


def get_logger(name: str = "job") -> logging.Logger:
    """Return the logger ``name`` writing ``time level name: message`` lines to stderr.

    Idempotent: calling it again returns the same logger without adding a second handler. The
    level comes from ``YTJOBS_LOG_LEVEL`` (default INFO) when the logger is first set up.
    """
    logger = logging.getLogger(name)
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        level = _level_from_env()  # first, so a bad value leaves the logger untouched
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    return logger
