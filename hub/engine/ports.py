"""What the engine needs from a connector. Connectors implement these; the engine knows nothing else."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class ReadError:
    """A record the connector could not even parse: kept with its raw text."""

    raw: str
    message: str
    position: str | None = None  # e.g. "products.jsonl:17"


@dataclass
class ReadBatch:
    """A batch of raw records and the cursor to store once the batch is committed.

    ``cursor=None`` keeps the cursor saved before (a page of a read whose order does not let the
    cursor advance until the last page).
    """

    records: list[dict[str, Any]]
    cursor: str | None
    errors: list[ReadError] = field(default_factory=list)


@dataclass(frozen=True)
class OutboundRecord:
    key: str
    system_id: str | None
    payload: dict[str, Any]
    action: Literal["create", "update"]
    # the payload's sorted JSON (``codec.dumpb``) when the engine already has it: a connector that
    # writes JSON may use it instead of serialising the payload again
    encoded: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class WriteResult:
    """Outcome of writing one record: a system id, or an error (retriable or not)."""

    key: str
    system_id: str | None = None
    error: str | None = None
    retriable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class Connector(Protocol):
    """A system the hub reads from and/or writes to."""

    system: str

    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        """Yield batches of raw records changed since ``cursor`` (everything when it is None)."""
        ...

    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        """Create or update records by natural key / system id; one result per record, same order."""
        ...
