"""YT errors as the endpoint sends them: a code, a message, attributes and inner errors.

The client turns the ``X-YT-Error`` header into ``YtResponseError`` and decides what it is
(``is_resolve_error()``, ``is_already_exists()``, ``is_concurrent_transaction_lock_conflict()``)
by these codes, so each failure carries the code the cluster would send.
"""

from __future__ import annotations

import hashlib
import os
import socket
from datetime import UTC, datetime
from typing import Any

# Codes from yt/core/ytree, yt/client/{cypress,transaction,table,scheduler}_client/public.h.
GENERIC = 1
TIMEOUT = 3
RESOLVE_ERROR = 500
ALREADY_EXISTS = 501
MAX_CHILD_COUNT_VIOLATION = 502
CONCURRENT_TRANSACTION_LOCK_CONFLICT = 402
NO_SUCH_TRANSACTION = 11000
NO_SUCH_OPERATION = 1915
NO_SUCH_JOB = 203  # what YtResponseError.is_no_such_job() checks
OPERATION_FAILED_ON_JOB_RESTART = 1917
SORT_ORDER_VIOLATION = 301
INVALID_ROW_RANGE = 307
FORMAT_ERROR = 1100  # not a YT code; YT reports format errors as generic errors with this kind
UNSUPPORTED = 104  # NYT::EErrorCode::NotSupported? kept generic: the message names the command
QUERY_NOT_FOUND = 1900
AUTHENTICATION_ERROR = 900
INVALID_CREDENTIALS = 111  # NRpc::EErrorCode::InvalidCredentials: the HTTP proxy answers 401


class YtLocalError(Exception):
    """An error local-yt answers with; ``to_yt()`` is the JSON the client parses."""

    def __init__(
        self,
        message: str,
        *,
        code: int = GENERIC,
        attributes: dict[str, Any] | None = None,
        inner: list[YtLocalError] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.attributes = dict(attributes or {})
        self.inner = list(inner or [])

    def to_yt(self) -> dict[str, Any]:
        """The error in YT's wire shape (what ``X-YT-Error`` carries)."""
        attributes = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "datetime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            **self.attributes,
        }
        return {
            "code": self.code,
            "message": self.message,
            "attributes": attributes,
            "inner_errors": [error.to_yt() for error in self.inner],
        }


def resolve_error(path: str, detail: str | None = None) -> YtLocalError:
    """The error a cluster gives for a path with no node: code 500."""
    message = detail or f"Node {path} has no child with key"
    return YtLocalError(
        f"Error resolving path {path}",
        code=RESOLVE_ERROR,
        attributes={"path": path},
        inner=[YtLocalError(message, code=RESOLVE_ERROR)],
    )


def already_exists(path: str) -> YtLocalError:
    """The error for creating a node that is there: code 501."""
    return YtLocalError(
        f"Node {path} already exists", code=ALREADY_EXISTS, attributes={"path": path}
    )


def no_such_transaction(transaction_id: str) -> YtLocalError:
    """The error for a transaction that ended or never was: code 11000."""
    return YtLocalError(
        f"No such transaction {transaction_id}",
        code=NO_SUCH_TRANSACTION,
        attributes={"transaction_id": transaction_id},
    )


def unsupported(what: str, hint: str) -> YtLocalError:
    """A command or parameter local-yt does not implement: said, never silently ignored."""
    return YtLocalError(f"local-yt does not support {what}; {hint}", code=GENERIC)


def invalid_credentials(message: str) -> YtLocalError:
    """What YT's HTTP proxy answers (with status 401) to a request it cannot authenticate."""
    return YtLocalError(message, code=INVALID_CREDENTIALS)


def unknown_token(token: str) -> YtLocalError:
    """A token the cluster does not know (``yt/yt/library/auth_server``): never echoed back."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    path = f"//sys/cypress_tokens/{token_hash}"
    return YtLocalError(
        "Token is missing in Cypress",
        code=INVALID_CREDENTIALS,
        attributes={"token_hash": token_hash},
        inner=[
            resolve_error(path, f"Node //sys/cypress_tokens has no child with key {token_hash!r}")
        ],
    )
