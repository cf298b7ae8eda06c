"""Migration 0005 builds what schema.py declares for the order tables, and goes down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from hub.store import Store
from hub.store.schema import metadata
from hub.store.store import MIGRATIONS

OURS = {"order_inbox", "sent_mail", "order_state"}


def _table(op: tuple) -> str | None:
    """The table an autogenerate difference is about."""
    kind, rest = op[0], op[1:]
    if kind.endswith("_table"):
        return rest[0].name
    if kind.endswith("_index") or kind.endswith("_constraint"):
        return rest[0].table.name
    return rest[1]  # (kind, schema, table, column, ...)


def _diff(store: Store) -> list:
    """Differences between the migrated database and schema.py for the order tables (comments aside:
    no migration of this project writes them)."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        changes = compare_metadata(context, metadata)
    ops = [op for change in changes for op in (change if isinstance(change, list) else [change])]
    return [op for op in ops if not op[0].endswith("_comment") and _table(op) in OURS]


def _alembic(store: Store, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, verb)(config, revision)


def test_migration_matches_the_schema_and_downgrades(store: Store) -> None:
    assert _diff(store) == []
    _alembic(store, "downgrade", "0004")
    names = set(sa.inspect(store.engine).get_table_names())
    assert not {"order_inbox", "sent_mail"} & names
    assert "customer_no" not in {c["name"] for c in sa.inspect(store.engine).get_columns("order_state")}
    _alembic(store, "upgrade", "head")
    assert _diff(store) == []
