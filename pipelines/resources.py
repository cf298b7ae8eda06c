"""The hub store as a Dagster resource: every asset of a run shares one connection pool per database."""

from __future__ import annotations

import threading

import dagster as dg
from pydantic import Field

from hub.config import load_config
from hub.store import Store

_STORES: dict[str, Store] = {}
_LOCK = threading.Lock()


def cached_store(url: str) -> Store:
    """One Store per URL and process: opening one migrates the schema, which is too slow per asset."""
    with _LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = Store(url)
        return store


class HubStoreResource(dg.ConfigurableResource):
    """The hub store (golden records, xref, failures, run stats) on SQLite or PostgreSQL."""

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the hub store. Leave empty to use HUB_DATABASE_URL or store.url from "
            "hub.yaml, resolved when the run starts so that a password never shows in run config."
        ),
    )
    config_path: str | None = Field(
        default=None,
        description="hub.yaml to resolve the default URL against; empty = HUB_CONFIG, else ./hub.yaml.",
    )

    def url(self) -> str:
        """The URL in use: the explicit one, else the configuration's (environment first)."""
        return self.database_url or load_config(self.config_path).database_url

    def store(self) -> Store:
        """The process-wide Store for this URL, migrated on first use."""
        return cached_store(self.url())
