"""Secrets on their way to jobs: YT's secure vault, and masking wherever text is shown.

Both backends deliver the keys of ``configs/secrets.env`` (but ``YT_PROXY``/``YT_TOKEN``) the
way YT does: prod puts them in the operation's ``secure_vault``, dev sets the environment the
cluster would set from it (``YT_SECURE_VAULT_<KEY>``). Anything ytflow prints or logs that
could hold a value (job stderr, error messages, plans) goes through ``mask`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MASK = "***"
_MIN_MASKED = 4  # shorter values would mask ordinary words; such secrets are weak anyway


class JobSecrets:
    """The secrets jobs receive, plus any other values (the YT token) never to be shown."""

    def __init__(self, vault: Mapping[str, str], *, also_hide: Iterable[str] = ()) -> None:
        self._vault = dict(vault)
        hidden = [*self._vault.values(), *also_hide]
        self._hidden = sorted(
            {value for value in hidden if len(value) >= _MIN_MASKED}, key=len, reverse=True
        )

    def __repr__(self) -> str:
        return f"JobSecrets(keys={sorted(self._vault)})"

    def vault(self) -> dict[str, str]:
        """The operation's ``secure_vault``: key to value."""
        return dict(self._vault)

    def keys(self) -> list[str]:
        """The vault's keys, sorted (what a plan may show)."""
        return sorted(self._vault)

    def environment(self) -> dict[str, str]:
        """What YT sets in a job's environment from the vault."""
        return {f"YT_SECURE_VAULT_{key}": value for key, value in self._vault.items()}

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for value in self._hidden:
            if value in text:
                text = text.replace(value, MASK)
        return text
