"""Connection handling, migrations and the set-based upsert every bulk path uses."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
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
        self._bulk = BulkWriter(self.engine.dialect)
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
        columns = update if update is not None else [c for c in rows[0] if c not in conflict]
        self._bulk.write(conn, table, rows, tuple(conflict), tuple(columns))

    def insert_many(self, conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
        """Plain INSERT of a whole batch (audit events), through the same driver-level fast path."""
        if rows:
            self._bulk.write(conn, table, rows, None, ())

    def select_in(
        self, conn: Connection, sql: str, fixed: Sequence[Any], values: Iterable[Any], chunk: int = 500
    ) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` for every value, at the driver level (one lookup per engine batch, where
        SQLAlchemy's per-statement compilation of an expanding IN list costs more than the query).

        ``sql`` holds ``{p}`` for each fixed parameter and ends with ``<column> {in}``: SQLite gets
        ``IN (?, ...)`` per chunk of values, PostgreSQL ``= ANY(%s)`` with all of them at once.
        """
        items = sorted(set(values))
        if not items:
            return []
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        out: list[tuple[Any, ...]] = []
        try:
            if self.dialect == "postgresql":
                cursor.execute(sql.format(p="%s", **{"in": "= ANY(%s)"}), (*fixed, items))
                out = cursor.fetchall()
            else:
                for start in range(0, len(items), chunk):
                    part = items[start : start + chunk]
                    text = sql.format(p="?", **{"in": f"IN ({','.join('?' * len(part))})"})
                    cursor.execute(text, (*fixed, *part))
                    out += cursor.fetchall()
        except self.engine.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it (see BulkWriter)
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, self.engine.dialect.loaded_dbapi.Error, dialect=self.engine.dialect
            ) from exc
        finally:
            cursor.close()
        return out

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


class BulkWriter:
    """Batch INSERT / upsert at the driver level: the statement is compiled once per table and column
    set, values are converted by the columns' own SQLAlchemy bind processors, and the batch goes to the
    driver in one call (sqlite3 ``executemany``; psycopg2 ``execute_values``, one multi-row VALUES per
    page). Same SQL and stored values as ``conn.execute(insert(...), rows)``, without its per-row cost.
    """

    def __init__(self, dialect: sa.engine.Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[tuple[Any, ...], tuple[str, str, tuple[str, ...], list[Any]]] = {}
        self._builders: dict[tuple[Any, ...], Callable[..., list[tuple[Any, ...]]]] = {}

    def write(
        self,
        conn: Connection,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        conflict: tuple[str, ...] | None,
        update: tuple[str, ...],
    ) -> None:
        names = tuple(rows[0])
        if any(c.default is not None and c.name not in names for c in table.columns) or any(
            len(r) != len(names) for r in rows
        ):
            self._fallback(conn, table, rows, conflict, update)  # Python-side defaults: let SQLAlchemy fill
            return
        sql, template, order, processors = self._statement(table, names, conflict, update)
        try:
            constant: dict[int, Any] = {}
            for index, process in processors:
                first = rows[0][order[index]]
                name = order[index]
                if all(r[name] is first for r in rows):  # one timestamp per batch: converted once
                    constant[index] = None if first is None else process(first)
            build = self._builder(order, processors, frozenset(constant))
            params = build(rows, constant, dict(processors))
        except KeyError:
            self._fallback(conn, table, rows, conflict, update)
            return
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if self.dialect.name == "postgresql":
                from psycopg2.extras import execute_values

                execute_values(cursor, sql, params, template=template, page_size=1000)
            else:
                cursor.executemany(sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            # the same exception classes SQLAlchemy raises (a locked or lost database: OperationalError)
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from exc
        finally:
            cursor.close()

    def _builder(
        self, order: tuple[str, ...], processors: list[tuple[int, Any]], constant: frozenset[int]
    ) -> Callable[..., list[tuple[Any, ...]]]:
        """A list comprehension generated for this column order: one tuple per row, no per-row loop."""
        key = (order, constant)
        found = self._builders.get(key)
        if found is not None:
            return found
        convert = {index for index, _ in processors} - constant
        parts = []
        for index, name in enumerate(order):
            if index in constant:
                parts.append(f"c[{index}]")
            elif index in convert:
                parts.append(f"(None if r[{name!r}] is None else p[{index}](r[{name!r}]))")
            else:
                parts.append(f"r[{name!r}]")
        code = f"lambda rows, c, p: [({', '.join(parts)},) for r in rows]"
        found = eval(code, {})  # column names come from the table definition, not from data
        self._builders[key] = found
        return found

    def _statement(
        self,
        table: sa.Table,
        names: tuple[str, ...],
        conflict: tuple[str, ...] | None,
        update: tuple[str, ...],
    ) -> tuple[str, str, tuple[str, ...], list[Any]]:
        key = (table.name, names, conflict, update)
        found = self._compiled.get(key)
        if found is not None:
            return found
        stmt = _upsert_statement(self.dialect.name, table, conflict, update)
        stmt = stmt.values({c: sa.bindparam(c) for c in names})
        compiled = stmt.compile(dialect=self.dialect)
        sql = str(compiled).split(" RETURNING ", 1)[0]  # executemany: nothing to return
        if self.dialect.name == "postgresql":
            # "... VALUES (%(a)s, %(b)s) ON CONFLICT ...": the group becomes execute_values' template
            start = sql.index(" VALUES (") + len(" VALUES ")
            end = sql.index(")s)", start) + 3
            order = tuple(re.findall(r"%\((\w+)\)s", sql[start:end]))
            template = "(" + ", ".join(["%s"] * len(order)) + ")"
            sql = sql[:start] + "%s" + sql[end:]
        else:
            template = ""
            order = tuple(compiled.positiontup or ())
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(order):
            process = table.c[name].type._cached_bind_processor(self.dialect)
            if process is not None:
                processors.append((index, process))
        found = (sql, template, order, processors)
        self._compiled[key] = found
        return found

    def _fallback(
        self,
        conn: Connection,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        conflict: tuple[str, ...] | None,
        update: tuple[str, ...],
    ) -> None:
        conn.execute(_upsert_statement(self.dialect.name, table, conflict, update), list(rows))


def _upsert_statement(
    dialect: str, table: sa.Table, conflict: tuple[str, ...] | None, update: tuple[str, ...]
) -> Any:
    if conflict is None:
        return sa.insert(table)
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(conflict))
