"""``yt.wrapper`` errors turned into ytflow's at the prod seam, secrets masked.

Stage code catches ytflow's errors in both modes, never ``yt.*`` types (STYLE.md item 6), so
every call into the client runs inside ``translated(...)``: a resolve error (code 500) on a
table becomes ``TableNotFound``, a refused token a ``ConfigError`` naming ``YT_TOKEN`` and the
proxy, anything else the caller's error type. The cluster's own message (the chain of inner
errors, without the HTTP envelope) and its most specific code are kept; every text passes
through ``mask`` so neither the YT token nor a job secret is ever shown.

``yt`` is imported lazily: this module loads without ``ytsaurus-client``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar, cast

from ytflow.errors import (
    YT_RESOLVE_ERROR,
    ConfigError,
    TableNotFound,
    YtflowError,
)

Mask = Callable[[str], str]
E = TypeVar("E", bound=YtflowError)

_GENERIC_CODES = {0, 1}
# The client's envelope around every HTTP error; it says nothing the inner errors do not.
_ENVELOPES = {"Received HTTP response with error"}
_MAX_DEPTH = 8  # inner errors nest; the first few levels carry the meaning

AUTH_HINT = (
    "check YT_TOKEN (in configs/secrets.env, or the environment variable, which wins when "
    "set) and YT_PROXY; a token is issued per cluster"
)


@contextlib.contextmanager
def translated(
    *,
    mask: Mask,
    path: str | None = None,
    fallback: Callable[[str, int | None], YtflowError] | None = None,
) -> Generator[None]:
    """Run the block; a ``yt`` or connection error leaves it as a ytflow error.

    ``path``: the table the block works on (a resolve error then is ``TableNotFound``).
    ``fallback(message, code)`` builds the error for anything else (default: ``YtflowError``).
    """
    try:
        yield
    except YtflowError:
        raise
    except Exception as error:
        translation = translate(error, mask=mask, path=path, fallback=fallback)
        if translation is None:
            raise
        raise translation from None


def translate(
    error: BaseException,
    *,
    mask: Mask,
    path: str | None = None,
    fallback: Callable[[str, int | None], YtflowError] | None = None,
) -> YtflowError | None:
    """The ytflow error for ``error``, or None if it is not the client's (a bug to show)."""
    from yt.common import YtError  # noqa: PLC0415 - prod only
    from yt.packages.requests import RequestException  # noqa: PLC0415 - the client's own copy
    from yt.wrapper.errors import YtTokenError  # noqa: PLC0415 - prod only

    if isinstance(error, YtTokenError):
        return auth_error(message=token_refusal(error, mask), proxy=_proxy_of(error))
    if isinstance(error, YtError):
        code = cluster_code(error)
        message = cluster_message(error, mask)
        if path is not None and _has_code(error, YT_RESOLVE_ERROR):
            said = message if message.startswith("Error resolving") else f"{path}: {message}"
            return with_message(TableNotFound(path), said)
        return (fallback or _plain)(message, code)
    if isinstance(error, RequestException | ConnectionError):
        return YtflowError(
            mask(f"the connection to the YT proxy failed: {error}"),
            hint="check YT_PROXY and the network; pipeline.yt_config can set proxy retries",
        )
    return None


def auth_error(*, message: str, proxy: str | None, source: str | None = None) -> ConfigError:
    """The cluster refused the credentials: a config problem (exit 2), said in one paragraph."""
    where = f" at {proxy}" if proxy else ""
    return ConfigError(
        f"the YT proxy{where} refused the token in YT_TOKEN: {message}",
        file=source,
        key="YT_TOKEN",
        hint=AUTH_HINT,
    )


def token_refusal(error: Any, mask: Mask) -> str:
    """What the proxy said to a ``YtTokenError`` (its own text is the client's generic advice)."""
    inner = _inner(error)
    return cluster_message(inner[0] if inner else error, mask)


def with_message(error: E, message: str) -> E:
    """``error`` with its message replaced (keeping its type, hint and code)."""
    error.message = message
    error.args = (message,)
    return error


def cluster_message(error: Any, mask: Mask) -> str:
    """The messages along the error's first chain of inner errors, joined by ``: ``."""
    parts: list[str] = []
    current: Any = error
    for _ in range(_MAX_DEPTH):
        if current is None:
            break
        message = str(_field(current, "message") or "").strip()
        if message and message not in _ENVELOPES and (not parts or parts[-1] != message):
            parts.append(" ".join(message.split()))
        inner = _inner(current)
        current = inner[0] if inner else None
    return mask(": ".join(parts) or type(error).__name__)


def cluster_code(error: Any) -> int | None:
    """The first specific (not generic) code along the chain, else the top one."""
    current: Any = error
    top = _field(error, "code")
    for _ in range(_MAX_DEPTH):
        if current is None:
            break
        code = _field(current, "code")
        if isinstance(code, int) and code not in _GENERIC_CODES:
            return code
        inner = _inner(current)
        current = inner[0] if inner else None
    return top if isinstance(top, int) else None


def _has_code(error: Any, code: int) -> bool:
    """Whether ``code`` appears anywhere among the errors (as ``contains_code`` checks)."""
    stack: list[Any] = [error]
    while stack:
        current = stack.pop()
        if _field(current, "code") == code:
            return True
        stack.extend(_inner(current))
    return False


def _proxy_of(error: Any) -> str | None:
    """The proxy an HTTP error came from (its request URL's host), if it says."""
    from urllib.parse import urlsplit  # noqa: PLC0415 - only on this rare path

    inner = _inner(error)
    attributes: Any = _field(inner[0] if inner else error, "attributes")
    if not isinstance(attributes, Mapping):
        return None
    url: Any = cast("Mapping[str, Any]", attributes).get("url")
    return urlsplit(url).netloc or None if isinstance(url, str) else None


def _inner(error: Any) -> list[Any]:
    inner: Any = _field(error, "inner_errors")
    return list(cast("list[Any]", inner)) if isinstance(inner, list) else []


def _field(error: Any, name: str) -> Any:
    """A field of a ``YtError`` or of an inner error left as a plain dict."""
    if isinstance(error, Mapping):
        return cast("Mapping[str, Any]", error).get(name)
    return getattr(error, name, None)


def _plain(message: str, code: int | None) -> YtflowError:
    return YtflowError(message, code=code)
