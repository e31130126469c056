"""The command table: each HTTP API command local-yt answers, with YT's descriptor for it.

``/api/v4`` lists these descriptors and the client plans every request from them (method,
where parameters go, whether a body is sent, whether the answer streams), so they must match
YT's driver. Handlers register themselves with ``@command``; a YT command that has no
handler here is still listed and answers with an error naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytflow.localyt.yt_errors import unsupported

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint


@dataclass
class Request:
    """One command call: its parameters, its body (already decompressed) and who sent it."""

    command: str
    params: dict[str, Any]
    body: bytes = b""
    user: str = "root"

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def get_list(self, name: str) -> list[Any]:
        """A list parameter (absent: empty)."""
        value: Any = self.params.get(name)
        return list(value) if value else []

    def get_dict(self, name: str) -> dict[str, Any]:
        """A map parameter (absent: empty)."""
        value: Any = self.params.get(name)
        return dict(value) if value else {}

    @property
    def transaction_id(self) -> str | None:
        value = self.params.get("transaction_id")
        return str(value) if value else None


@dataclass
class Streamed:
    """A tabular or binary answer produced block by block."""

    blocks: Iterator[bytes]
    response_parameters: dict[str, Any] = field(default_factory=dict[str, Any])


Handler = Callable[["Endpoint", Request], Any]


@dataclass(frozen=True)
class Command:
    """YT's descriptor of a command plus local-yt's handler (None: not implemented)."""

    name: str
    input_type: str
    output_type: str
    is_volatile: bool
    is_heavy: bool
    handler: Handler | None = None

    def descriptor(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_type": self.input_type,
            "output_type": self.output_type,
            "is_volatile": self.is_volatile,
            "is_heavy": self.is_heavy,
        }


COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    *,
    input_type: str = "null",
    output_type: str = "structured",
    volatile: bool = True,
    heavy: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under YT's command name and descriptor."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, input_type, output_type, volatile, heavy, handler)
        return handler

    return register


# Commands of YT's API v4 local-yt does not implement: listed so the client can call them and
# get an error that names the command instead of "not supported by api/v4".
_NOT_IMPLEMENTED: tuple[tuple[str, str, str, bool, bool], ...] = (
    ("link", "null", "structured", True, False),
    ("concatenate", "null", "structured", True, False),
    ("externalize", "null", "structured", True, False),
    ("internalize", "null", "structured", True, False),
    ("unlock", "null", "structured", True, False),
    ("read_blob_table", "null", "binary", False, True),
    ("get_table_columnar_statistics", "null", "structured", False, False),
    ("insert_rows", "tabular", "structured", True, True),
    ("delete_rows", "tabular", "structured", True, True),
    ("lookup_rows", "tabular", "tabular", False, True),
    ("select_rows", "null", "tabular", False, True),
    ("mount_table", "null", "structured", True, False),
    ("unmount_table", "null", "structured", True, False),
    ("reshard_table", "null", "structured", True, False),
    ("alter_table", "null", "structured", True, False),
    ("erase", "null", "structured", True, False),
    ("join_reduce", "null", "structured", True, False),
    ("remote_copy", "null", "structured", True, False),
    ("suspend_operation", "null", "structured", True, False),
    ("resume_operation", "null", "structured", True, False),
    ("complete_operation", "null", "structured", True, False),
    ("update_operation_parameters", "null", "structured", True, False),
    ("add_member", "null", "structured", True, False),
    ("remove_member", "null", "structured", True, False),
    ("check_permission", "null", "structured", False, False),
    ("write_journal", "tabular", "structured", True, True),
    ("read_journal", "null", "tabular", False, True),
    ("get_job_input", "null", "binary", False, True),
    ("get_job_fail_context", "null", "binary", False, True),
    ("get_job_spec", "null", "structured", False, True),
    ("abort_job", "null", "structured", True, False),
    ("dump_job_context", "null", "structured", True, False),
    ("generate_timestamp", "null", "structured", False, False),
    ("get_query_tracker_info", "null", "structured", False, False),
    ("alter_query", "null", "structured", True, False),
)


def _not_implemented(name: str) -> Handler:
    def handler(endpoint: Endpoint, request: Request) -> Any:
        raise unsupported(
            f"the {name!r} command", "see docs/local-yt.md for the commands it serves"
        )

    return handler


def all_commands() -> dict[str, Command]:
    """Implemented commands plus YT's others, which answer with a named error."""
    listed = dict(COMMANDS)
    for name, input_type, output_type, volatile, heavy in _NOT_IMPLEMENTED:
        if name not in listed:
            listed[name] = Command(
                name, input_type, output_type, volatile, heavy, _not_implemented(name)
            )
    return listed
