"""The hub store as a Dagster resource: every asset of a run shares one connection pool per database."""

from __future__ import annotations

import hashlib
import threading

import dagster as dg
import sqlalchemy as sa
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
            store = _STORES[url] = _open_store(url)
        return store


def _open_store(url: str) -> Store:
    """Opens (and migrates) a store; on PostgreSQL under an advisory lock held for the migration.

    Celery workers that take their first steps at the same time would otherwise race in Alembic's
    first migration of a fresh database (both creating ``alembic_version``); one migrates, the
    others wait and find the schema current.
    """
    if sa.engine.make_url(url).get_backend_name() != "postgresql":
        return Store(url)
    key = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big", signed=True)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select pg_advisory_lock(:key)"), {"key": key})
            try:
                return Store(url)
            finally:
                conn.execute(sa.text("select pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()


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
