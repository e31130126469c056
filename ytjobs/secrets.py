"""Secrets for job code, delivered the way YT's secure vault delivers them.

Every key of ``configs/secrets.env`` except ``YT_PROXY`` and ``YT_TOKEN`` reaches a job as the
environment variable ``YT_SECURE_VAULT_<KEY>``, in dev and prod alike. Nothing here ever puts
a secret's value into a message, a repr or a log line.
"""

from __future__ import annotations

import os

__all__ = ["ENV_PREFIX", "MissingSecretError", "env_var", "get", "require"]

ENV_PREFIX = "YT_SECURE_VAULT_"


class MissingSecretError(KeyError):
    """A secret the job requires is not in its secure vault.

    A ``KeyError`` so that code treating secrets like a mapping can catch it as one.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.env_var = env_var(key)
        self.message = (
            f"secret {key!r} is not set: jobs read it from the environment variable "
            f"{self.env_var}, which YT's secure vault fills in; add {key}=... to "
            "configs/secrets.env so ytflow passes it to the operation's secure vault"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError's own __str__ shows repr(message), quotes and escapes included.
        return self.message


def env_var(key: str) -> str:
    """Return the environment variable YT uses for the secure vault entry ``key``."""
    if not key or "=" in key or "\0" in key:
        raise ValueError(f"a secret key must be a non-empty name without '=' or NUL, got {key!r}")
    return ENV_PREFIX + key


def get(key: str, default: str | None = None) -> str | None:
    """Return the secret ``key`` from the job's secure vault, or ``default`` when it is absent."""
    return os.environ.get(env_var(key), default)


def require(key: str) -> str:
    """Return the secret ``key``; raise ``MissingSecretError`` when it is absent or empty.

    An empty value counts as missing: ``KEY=`` in secrets.env is a forgotten value, not a
    secret.
    """
    value = os.environ.get(env_var(key))
    if not value:
        raise MissingSecretError(key)
    return value
