"""Connection handling, migrations and the set-based upsert every bulk path uses."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from hub.errors import ConfigError, RetriableError
from hub.store.schema import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def default_database_url(base_dir: Path | None = None) -> str:
    """``HUB_DATABASE_URL`` if set, else the embedded SQLite file ``var/hub.db``."""
    url = os.environ.get("HUB_DATABASE_URL")
    if url:
        return url
    path = (base_dir or Path.cwd()) / "var" / "hub.db"
    return f"sqlite:///{path}"


class Store:
    """A hub store on SQLite or PostgreSQL. Create once per process; connections come from its pool."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        try:
            sa_url = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise ConfigError(f"invalid database URL: {exc}") from None
        if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(sa_url, future=True, pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; database lock/connection faults surface as RetriableError."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise RetriableError(f"hub store unavailable: {exc.orig}") from exc

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (SQLite 3.24+ and PostgreSQL)."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def upsert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        conflict: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> None:
        """INSERT .. ON CONFLICT DO UPDATE for a whole batch in one executemany."""
        if not rows:
            return
        stmt = self.insert(table)
        columns = update if update is not None else [c for c in rows[0] if c not in conflict]
        if columns:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(conflict), set_={c: stmt.excluded[c] for c in columns}
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
        conn.execute(stmt, list(rows))

    def drop_all(self) -> None:
        """Remove every hub table (tests and `hub reset`)."""
        with self.engine.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
