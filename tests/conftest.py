"""Shared fixtures: a hub store on SQLite and on PostgreSQL, and a throw-away copy of the project config."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.store import Store

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers; else why not. On CI (HUB_REQUIRE_POSTGRES=1) absence is an error."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # driver missing, server down, auth refused
        return (
            f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        )


_PG_REASON = _postgres_reason()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if _PG_REASON is not None:
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"HUB_REQUIRE_POSTGRES=1 but {_PG_REASON}")
        pytest.skip(_PG_REASON)
    schema = f"hubtest_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store/engine test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of hub.yaml, mappings/ and sandbox/data/ in tmp_path, selected through HUB_CONFIG."""
    return copy_project(tmp_path / "project", db_url, monkeypatch)


def copy_project(dest: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "hub.yaml", dest / "hub.yaml")
    shutil.copytree(ROOT / "mappings", dest / "mappings")
    shutil.copytree(ROOT / "sandbox" / "data", dest / "sandbox" / "data")
    monkeypatch.setenv("HUB_CONFIG", str(dest / "hub.yaml"))
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    return dest


@pytest.fixture(autouse=True)
def _fresh_observers() -> Iterator[None]:
    """Observers installed from one test's hub.yaml must not listen to the next test's syncs."""
    from hub.engine import observers

    observers.clear_observers()
    yield
    observers.clear_observers()
