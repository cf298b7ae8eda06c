"""Counts of one sync step, as shown by `hub sync --format json` and in Dagster metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncStats:
    entity: str
    system: str
    stage: str  # "ingest" or "publish"
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    conflicts: int = 0
    delivered: int = 0
    cursor: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None

    COUNTS = ("read", "created", "updated", "unchanged", "rejected", "conflicts", "delivered")
    FIELDS = ("entity", "system", "stage", *COUNTS)  # the stable JSON shape of a summary row

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape: {entity, system, stage, read, created, ..., delivered}."""
        data = asdict(self)
        return {k: data[k] for k in self.FIELDS}

    @property
    def duration_s(self) -> float:
        end = self.finished_at or utcnow()
        return round((end - self.started_at).total_seconds(), 3)
