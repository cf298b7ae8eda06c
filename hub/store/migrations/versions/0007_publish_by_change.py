"""Publish by change: a change sequence on golden records, a watermark per target, a backlog of retries.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-22

Existing golden records take their id as change sequence (every one of them is newer than a target
that has no watermark yet), so the first publish after the upgrade compares the whole entity, as
before, and the ones after it only what changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("golden_records") as batch:
        batch.add_column(sa.Column("change_seq", sa.BigInteger()))
    op.execute("UPDATE golden_records SET change_seq = id")
    op.create_index("ix_golden_entity_seq", "golden_records", ["entity", "change_seq", "id"])
    op.create_table(
        "change_counters",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.execute(
        "INSERT INTO change_counters (entity, value) SELECT entity, max(id) FROM golden_records GROUP BY entity"
    )
    op.create_table(
        "publish_marks",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("updated_at", _STAMP, nullable=False),
    )
    op.create_table(
        "publish_backlog",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("queued_at", _STAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("publish_backlog")
    op.drop_table("publish_marks")
    op.drop_table("change_counters")
    op.drop_index("ix_golden_entity_seq", table_name="golden_records")
    with op.batch_alter_table("golden_records") as batch:
        batch.drop_column("change_seq")
