"""EDI transaction sets in and out, and the acknowledgment sent for each interchange received: what was received and sent, and which acknowledgment reconciled them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edi_interchanges") as batch:
        batch.add_column(sa.Column("ack_control", sa.String(9)))
        batch.add_column(sa.Column("ack_text", sa.Text()))
        batch.add_column(sa.Column("note", sa.Text()))
        batch.add_column(sa.Column("payload", sa.Text()))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.create_table(
        "edi_documents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("interchange", sa.String(9), nullable=False),
        sa.Column("functional_id", sa.String(2), nullable=False),
        sa.Column("group_control", sa.String(9), nullable=False),
        sa.Column("set_id", sa.String(3), nullable=False),
        sa.Column("set_control", sa.String(9), nullable=False),
        sa.Column("reference", sa.String(64)),
        sa.Column("order_no", sa.String(64)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("file", sa.Text()),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", sa.DateTime(timezone=True)),
        sa.Column("acked_at", sa.DateTime(timezone=True)),
        sa.Column("ack_status", sa.String(32)),
        sa.UniqueConstraint(
            "partner", "direction", "interchange", "group_control", "set_control", name="uq_edi_document"
        ),
    )
    op.create_index("ix_edi_documents_order", "edi_documents", ["order_no"])
    op.create_index("ix_edi_documents_due", "edi_documents", ["direction", "status", "ack_due_at"])


def downgrade() -> None:
    op.drop_index("ix_edi_documents_due", "edi_documents")
    op.drop_index("ix_edi_documents_order", "edi_documents")
    op.drop_table("edi_documents")
    with op.batch_alter_table("edi_interchanges") as batch:
        for column in ("updated_at", "payload", "note", "ack_text", "ack_control"):
            batch.drop_column(column)
