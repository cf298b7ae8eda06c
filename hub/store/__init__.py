"""The hub store: golden records, xref, cursors, deliveries, failures, audit events (DESIGN section 5)."""

from __future__ import annotations

from hub.store.store import Store, default_database_url

__all__ = ["Store", "default_database_url"]
