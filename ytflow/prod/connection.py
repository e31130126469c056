"""The connection to the cluster: one ``yt.wrapper.YtClient`` from the pipeline's credentials.

Where the credentials come from (``ytflow.core.backends`` reads them, this module uses them):
``YT_PROXY`` and ``YT_TOKEN`` in ``configs/secrets.env``, each overridden by the environment
variable of the same name when that is set and non-empty. The override lets CI and a shell
session point a pipeline at another cluster without editing files, as the ``yt`` command line
does; when both variables are set the file may be absent (it then holds only job secrets).

``pipeline.yt_config`` is deep-merged into the client's default config (the client's own
``update``), so ``{proxy: {retries: {count: 3}}}`` changes one value and keeps the rest. The
token is passed to the client and nowhere else: ``Credentials`` never shows it, and every
error goes through the caller's ``mask``.

Without ``ytsaurus-yson`` the client talks JSON for headers and structured data by itself;
ytflow always reads and writes rows as raw ``<encode_utf8=%false>json``, so it never needs
the bindings' YSON row format either.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.errors import ConfigError, YtflowError
from ytflow.prod.errors import Mask, auth_error, token_refusal, translated

if TYPE_CHECKING:
    import yt.wrapper

YT_CONFIG_KEY = "pipeline.yt_config"


@dataclass(frozen=True)
class Credentials:
    """Proxy and token for one cluster; ``repr`` never shows the token."""

    proxy: str
    token: str = field(repr=False)
    source: str = "configs/secrets.env"
    """Where they were read from, for messages (a file, the environment, or both)."""

    def __repr__(self) -> str:
        return f"Credentials(proxy={self.proxy!r}, token=***, source={self.source!r})"


WRITE_CHUNK_BYTES = 16 * 1024 * 1024
"""How much of a ``write_table`` stream the client holds at once (one request each; its
default, 128 MB, would keep a table of up to 128 MB whole in memory)."""
_DEFAULTS: dict[str, Any] = {"write_retries": {"chunk_size": WRITE_CHUNK_BYTES}}
"""Settings ytflow changes from the client's defaults; ``pipeline.yt_config`` overrides them."""


def connect(
    credentials: Credentials,
    yt_config: Mapping[str, Any],
    *,
    mask: Mask,
    config_file: str | None = None,
) -> yt.wrapper.YtClient:
    """A client for ``credentials.proxy`` with ``yt_config`` merged into its defaults.

    Makes no request: ``check_credentials`` is the first contact. A ``yt_config`` the client
    refuses (an unknown key, a value of the wrong type) is a ``ConfigError`` naming the key.
    """
    try:
        import yt.wrapper  # noqa: PLC0415 - prod only: dev never imports yt.wrapper
    except ImportError:
        raise ConfigError(
            "mode 'prod' needs ytsaurus-client, which is not installed",
            file=config_file,
            key="pipeline.mode",
            hint="pip install 'ytflow[prod]'",
        ) from None
    from yt.common import update  # pyright: ignore[reportUnknownVariableType]  # noqa: PLC0415

    config = update(_DEFAULTS, dict(yt_config))
    try:
        return yt.wrapper.YtClient(proxy=credentials.proxy, token=credentials.token, config=config)
    except Exception as error:  # the client's config checks raise several types
        raise ConfigError(
            f"ytsaurus-client refused this config: {mask(str(error))}",
            file=config_file,
            key=YT_CONFIG_KEY,
            hint="keys are those of yt.wrapper's default config (yt/wrapper/default_config.py)",
        ) from None


def check_credentials(client: yt.wrapper.YtClient, credentials: Credentials, *, mask: Mask) -> str:
    """Ask the proxy who the token belongs to (``/auth/whoami``); return the login.

    One request before the first stage, so a wrong token or proxy is a config error (exit 2)
    naming ``YT_TOKEN`` or ``YT_PROXY``, the proxy and where the credentials came from (never
    the token itself) instead of a failure halfway through a stage. The probe makes a single
    attempt: the client's own retries would spend minutes on a mistyped proxy; the client
    that runs the pipeline keeps them.
    """
    import yt.wrapper  # noqa: PLC0415 - prod only
    from yt.wrapper.errors import YtTokenError  # noqa: PLC0415 - prod only

    probe: Any = yt.wrapper.YtClient(config=copy.deepcopy(client.config))
    probe.config["proxy"]["retries"]["enable"] = False
    try:
        with translated(mask=mask):
            login = probe.get_user_name()
    except ConfigError as error:
        cause = error.__context__
        if isinstance(cause, YtTokenError):
            raise auth_error(
                message=token_refusal(cause, mask),
                proxy=credentials.proxy,
                source=credentials.source,
            ) from None
        raise
    except YtflowError as error:
        detail = mask(str(error.__context__ or error.message))
        raise ConfigError(
            f"cannot reach the YT proxy {credentials.proxy}: {detail}",
            file=credentials.source,
            key="YT_PROXY",
            hint="check YT_PROXY (the environment variable wins over configs/secrets.env) "
            "and the network",
        ) from None
    return str(login or "")
