"""What an operation returns, in both modes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OperationResult:
    """The outcome of a successful operation.

    ``output_rows`` maps each output table to the rows it received from this operation (for
    an append: the rows appended).
    """

    operation: str
    output_rows: dict[str, int] = field(default_factory=dict[str, int])
    jobs: int = 0
    failed_jobs: int = 0
    seconds: float = 0.0

    @property
    def row_count(self) -> int:
        """Rows written to all output tables together."""
        return sum(self.output_rows.values())
