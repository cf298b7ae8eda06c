"""Record lineage: where every field of a record came from, its ids everywhere, its whole history."""

from __future__ import annotations

from hub.lineage.record import record_lineage

__all__ = ["record_lineage"]
