"""Order intake: the durable inbox of order events, idempotent mail, and what order listing needs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("order_state") as batch:
        batch.add_column(sa.Column("customer_no", sa.String(64)))
        batch.add_column(sa.Column("total", sa.Numeric(18, 4)))
        batch.add_column(sa.Column("currency", sa.String(3)))
        batch.add_column(sa.Column("created_at", _STAMP))
    op.create_index("ix_order_state_state", "order_state", ["state"])
    op.create_index("ix_order_state_customer", "order_state", ["customer_no"])

    op.create_table(
        "order_inbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("external_id", sa.String(64)),
        sa.Column("webhook_id", sa.String(64)),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(32)),
        sa.Column("received_at", _STAMP, nullable=False),
        sa.Column("claimed_at", _STAMP),
        sa.Column("due_at", _STAMP),
        sa.Column("processed_at", _STAMP),
        sa.Column("order_no", sa.String(64)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_order_inbox_status", "order_inbox", ["status", "id"])
    op.create_index("ix_order_inbox_order", "order_inbox", ["order_no"])

    op.create_table(
        "sent_mail",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_at", _STAMP, nullable=False),
        sa.Column("sent_at", _STAMP),
    )


def downgrade() -> None:
    op.drop_table("sent_mail")
    op.drop_index("ix_order_inbox_order", "order_inbox")
    op.drop_index("ix_order_inbox_status", "order_inbox")
    op.drop_table("order_inbox")
    op.drop_index("ix_order_state_customer", "order_state")
    op.drop_index("ix_order_state_state", "order_state")
    with op.batch_alter_table("order_state") as batch:
        for name in ("created_at", "currency", "total", "customer_no"):
            batch.drop_column(name)
