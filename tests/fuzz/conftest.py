"""A store per fuzz module on SQLite and on PostgreSQL: examples accumulate in it, as runs do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.store import Store
from tests.conftest import _PG_REASON, POSTGRES_URL


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Module-scoped (hypothesis runs many examples per test); PostgreSQL in a schema dropped after."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hub.db'}")
        yield store
        store.dispose()
        return
    if _PG_REASON is not None:
        pytest.skip(_PG_REASON)
    schema = f"hubfuzz_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    store = Store(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
