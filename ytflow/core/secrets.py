"""``configs/secrets.env``: credentials for prod and secrets for jobs, never printed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ytflow.errors import ConfigError

CLUSTER_KEYS = ("YT_PROXY", "YT_TOKEN")
"""Keys that configure the client; they never reach a job's secure vault."""


@dataclass(frozen=True)
class Secrets:
    """Values from secrets.env; ``repr`` shows only the key names."""

    values: Mapping[str, str] = field(default_factory=dict[str, str], repr=False)
    source: str | None = None

    def __repr__(self) -> str:
        return f"Secrets(keys={sorted(self.values)}, source={self.source!r})"

    def get(self, key: str) -> str | None:
        """The value of ``key``, or None."""
        return self.values.get(key)

    def for_jobs(self) -> dict[str, str]:
        """What jobs receive through the secure vault: everything but the cluster credentials."""
        return {key: value for key, value in self.values.items() if key not in CLUSTER_KEYS}


def load_secrets(path: Path, *, display: str, required: Iterable[str] = ()) -> Secrets:
    """Read a dotenv file; a missing file is empty unless keys are ``required``."""
    required = list(required)
    if not path.is_file():
        if required:
            raise ConfigError(
                f"file not found; it must define {', '.join(required)}",
                file=display,
                hint="create it with lines such as YT_PROXY=your-proxy and YT_TOKEN=your-token",
            )
        return Secrets(source=display)
    from dotenv import dotenv_values  # noqa: PLC0415 - only pipelines with secrets pay for it

    values = {key: value for key, value in dotenv_values(path).items() if value is not None}
    missing = [key for key in required if not values.get(key)]
    if missing:
        raise ConfigError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing or empty",
            file=display,
            hint="add lines such as YT_PROXY=your-proxy and YT_TOKEN=your-token",
        )
    return Secrets(values=values, source=display)
