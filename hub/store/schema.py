"""Hub store tables (SQLAlchemy Core). Alembic migrations under migrations/ create and evolve them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY
Stamp = sa.DateTime(timezone=True)

golden_records = sa.Table(
    "golden_records",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("data", sa.Text, nullable=False, comment="canonical record as JSON"),
    sa.Column("hash", sa.String(32), nullable=False, comment="blake2b-128 of the sorted canonical JSON"),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("provenance", sa.Text, nullable=False, comment="field -> [system, run id, at]"),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.UniqueConstraint("entity", "key", name="uq_golden_entity_key"),
    sa.Index("ix_golden_entity_id", "entity", "id"),  # keyset paging of one entity
    # 0007: what changed since a target's last publish (publish_marks), without a scan of the entity
    sa.Column("change_seq", sa.BigInteger, comment="change_counters value of the last write"),
    sa.Index("ix_golden_entity_seq", "entity", "change_seq", "id"),
)

# 0007: publish selects by change, not by catalogue ---------------------------------------------------
change_counters = sa.Table(
    "change_counters",
    metadata,
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False, comment="last change_seq handed out"),
)

publish_marks = sa.Table(
    "publish_marks",
    metadata,
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, comment="every change up to here has been offered"),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
)

publish_backlog = sa.Table(
    "publish_backlog",
    metadata,
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("queued_at", Stamp, nullable=False, comment="failed write or stale target copy"),
)

xref = sa.Table(
    "xref",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("system", sa.String(64), nullable=False),
    sa.Column("system_id", sa.String(255), nullable=False),
    sa.Column("source_hash", sa.String(32), comment="hash of the last raw record ingested from the system"),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.UniqueConstraint("entity", "system", "key", name="uq_xref_key"),
    sa.UniqueConstraint("entity", "system", "system_id", name="uq_xref_system_id"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("system", sa.String(64), primary_key=True),
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text),
    sa.Column("updated_at", Stamp, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("target", sa.String(64), primary_key=True),
    sa.Column("hash", sa.String(32), nullable=False, comment="golden hash delivered"),
    sa.Column("payload_hash", sa.String(32), nullable=False, comment="hash of the target-shaped payload"),
    sa.Column("payload", sa.Text, comment="payload as last delivered"),
    sa.Column("system_id", sa.String(255)),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("at", Stamp, nullable=False),
)

failures = sa.Table(
    "failures",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(40), nullable=False, unique=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("key", sa.String(255)),
    sa.Column("system", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("rule", sa.String(128)),
    sa.Column("field", sa.String(128)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, comment="raw payload as received, JSON or text"),
    sa.Column("retriable", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("first_seen", Stamp, nullable=False),
    sa.Column("last_seen", Stamp, nullable=False),
    sa.Column("resolved_at", Stamp),
    sa.Column("note", sa.Text),
    sa.Index("ix_failures_entity_status", "entity", "status"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("key", sa.String(255)),
    sa.Column("system", sa.String(64), comment="system the change came from"),
    sa.Column("target", sa.String(64), comment="system the change went to (deliveries)"),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("changes", sa.Text, comment="field -> [before, after], or conflict/reject detail"),
    sa.Column("mapping_version", sa.String(16)),
    sa.Column("correlation", sa.Text, comment="order numbers, EDI control numbers, system ids"),
    sa.Index("ix_audit_entity_key", "entity", "key"),
    sa.Index("ix_audit_run", "run_id"),
)

sync_stats = sa.Table(
    "sync_stats",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("system", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    *(
        sa.Column(name, sa.Integer, nullable=False, default=0)
        for name in ("read", "created", "updated", "unchanged", "rejected", "conflicts", "delivered")
    ),
    sa.Column("cursor", sa.Text),
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("finished_at", Stamp, nullable=False),
    sa.Index("ix_sync_stats_run", "run_id"),
)

order_state = sa.Table(
    "order_state",
    metadata,
    sa.Column("order_no", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("data", sa.Text),
    sa.Column("updated_at", Stamp, nullable=False),
    # 0005: what listing and the credit-limit rule need without parsing ``data``
    sa.Column("customer_no", sa.String(64)),
    sa.Column("total", sa.Numeric(18, 4)),
    sa.Column("currency", sa.String(3)),
    sa.Column("created_at", Stamp),
    sa.Index("ix_order_state_state", "state"),
    sa.Index("ix_order_state_customer", "customer_no"),
)

order_inbox = sa.Table(
    "order_inbox",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True, comment="one event, one row"),
    sa.Column("system", sa.String(64), nullable=False, comment="where the order comes from (shop, edi)"),
    sa.Column("source", sa.String(16), nullable=False, comment="webhook, poll or api"),
    sa.Column("format", sa.String(16), nullable=False, comment="shop (raw shop JSON) or canonical"),
    sa.Column("topic", sa.String(64)),
    sa.Column("external_id", sa.String(64), comment="the order's id in its system"),
    sa.Column("webhook_id", sa.String(64)),
    sa.Column("payload", sa.Text, nullable=False, comment="raw body as received"),
    sa.Column("status", sa.String(16), nullable=False, comment="pending, processing, done, ignored, failed"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claim", sa.String(32), comment="token of the worker processing it"),
    sa.Column("received_at", Stamp, nullable=False),
    sa.Column("claimed_at", Stamp),
    sa.Column("due_at", Stamp, comment="not before: a deferred event waits until then"),
    sa.Column("processed_at", Stamp),
    sa.Column("order_no", sa.String(64)),
    sa.Column("note", sa.Text, comment="outcome or error"),
    sa.Index("ix_order_inbox_status", "status", "id"),
    sa.Index("ix_order_inbox_order", "order_no"),
)

sent_mail = sa.Table(
    "sent_mail",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True, comment="idempotency key: one mail per key"),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, comment="sending or sent"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("first_at", Stamp, nullable=False),
    sa.Column("sent_at", Stamp),
)

edi_interchanges = sa.Table(
    "edi_interchanges",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("partner", sa.String(64)),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("sender", sa.String(35), nullable=False),
    sa.Column("receiver", sa.String(35), nullable=False),
    sa.Column("control_number", sa.String(9), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("file", sa.Text),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("ack_control", sa.String(9), comment="ISA13 of the acknowledgment we sent for it"),
    sa.Column("ack_text", sa.Text, comment="that acknowledgment, kept so a resumed run re-sends the same"),
    sa.Column("note", sa.Text),
    sa.Column("payload", sa.Text, comment="outbound: the interchange text, re-sent as is after a crash"),
    sa.Column("updated_at", Stamp),
    sa.UniqueConstraint("direction", "sender", "control_number", name="uq_edi_interchange"),
)

edi_documents = sa.Table(
    "edi_documents",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("partner", sa.String(64), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False, comment="in or out"),
    sa.Column("interchange", sa.String(9), nullable=False, comment="ISA13"),
    sa.Column("functional_id", sa.String(2), nullable=False, comment="GS01"),
    sa.Column("group_control", sa.String(9), nullable=False, comment="GS06"),
    sa.Column("set_id", sa.String(3), nullable=False, comment="ST01: 850, 855, 856, 810, 846, 997..."),
    sa.Column("set_control", sa.String(9), nullable=False, comment="ST02"),
    sa.Column("reference", sa.String(64), comment="PO, shipment or invoice number"),
    sa.Column("order_no", sa.String(64)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("file", sa.Text),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("ack_due_at", Stamp, comment="outbound: when the partner's 997 is overdue"),
    sa.Column("acked_at", Stamp),
    sa.Column("ack_status", sa.String(32), comment="accepted, accepted_with_errors, rejected"),
    sa.UniqueConstraint(
        "partner", "direction", "interchange", "group_control", "set_control", name="uq_edi_document"
    ),
    sa.Index("ix_edi_documents_order", "order_no"),
    sa.Index("ix_edi_documents_due", "direction", "status", "ack_due_at"),
)

control_numbers = sa.Table(
    "control_numbers",
    metadata,
    sa.Column("partner", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True, comment="ISA, GS or ST"),
    sa.Column("value", sa.BigInteger, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column(
        "fingerprint", sa.String(64), primary_key=True, comment="kind + subject: one row per condition"
    ),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", Stamp, nullable=False),
    sa.Column("last_at", Stamp, nullable=False),
    sa.Column("last_sent_at", Stamp),
    sa.Column("silenced_until", Stamp),
)
