"""Transaction commands: start, ping, commit and abort (API v4 names and v3 aliases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ytflow.localyt.registry import Request, command
from ytflow.localyt.yt_errors import YtLocalError

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


def _required_id(request: Request) -> str:
    transaction_id = request.transaction_id
    if not transaction_id:
        raise YtLocalError(f"{request.command} needs the 'transaction_id' parameter")
    return transaction_id


@command("start_transaction")
@command("start_tx")
def start_transaction(endpoint: Endpoint, request: Request) -> Any:
    kind = str(request.get("type", "master"))
    if kind != "master":
        raise YtLocalError(f"local-yt supports only master transactions, not {kind!r}")
    attributes = dict(request.get("attributes") or {})
    timeout = request.get("timeout")
    transaction_id = endpoint.state.start(
        request.transaction_id, timeout, attributes, deadline=_deadline(request.get("deadline"))
    )
    return {"transaction_id": transaction_id}


def _deadline(value: Any) -> float | None:
    """YT's ``deadline`` parameter: an ISO 8601 UTC time."""
    if value is None:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise YtLocalError(
            f"Cannot parse transaction deadline {value!r}; expected ISO 8601",
            attributes={"deadline": str(value)},
        ) from None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


@command("ping_transaction")
@command("ping_tx")
def ping_transaction(endpoint: Endpoint, request: Request) -> Any:
    endpoint.state.ping(_required_id(request))
    return {}


@command("commit_transaction")
@command("commit_tx")
def commit_transaction(endpoint: Endpoint, request: Request) -> Any:
    endpoint.state.commit(_required_id(request))
    return {}


@command("abort_transaction")
@command("abort_tx")
def abort_transaction(endpoint: Endpoint, request: Request) -> Any:
    endpoint.state.abort(_required_id(request))
    return {}
