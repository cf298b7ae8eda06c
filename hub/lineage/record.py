"""`hub lineage ENTITY KEY`: one record explained from the store alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub import privacy
from hub.engine import codec
from hub.store import Store
from hub.store.schema import (
    audit_events,
    deliveries,
    edi_documents,
    failures,
    golden_records,
    order_state,
    xref,
)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def record_lineage(store: Store, entity: str, key: str) -> dict[str, Any] | None:
    """The golden record with per-field provenance, system ids, history, failures and deliveries.

    None when the hub has never heard of the key (no golden record, no event, no failure).
    """
    with store.begin() as conn:
        golden = (
            conn.execute(
                sa.select(golden_records).where(
                    golden_records.c.entity == entity, golden_records.c.key == key
                )
            )
            .mappings()
            .first()
        )
        ids = {
            r.system: r.system_id
            for r in conn.execute(
                sa.select(xref.c.system, xref.c.system_id).where(xref.c.entity == entity, xref.c.key == key)
            )
        }
        history = [
            {
                "at": _iso(r.at),
                "run_id": r.run_id,
                "action": r.action,
                "system": r.system,
                "target": r.target,
                "changes": codec.loads(r.changes),
                "mapping_version": r.mapping_version,
                "correlation": codec.loads(r.correlation),
            }
            for r in conn.execute(
                sa.select(audit_events)
                .where(audit_events.c.entity == entity, audit_events.c.key == key)
                .order_by(audit_events.c.at, audit_events.c.id)
            )
        ]
        failed = [
            {
                "id": r.id,
                "system": r.system,
                "stage": r.stage,
                "rule": r.rule,
                "field": r.field,
                "message": r.message,
                "status": r.status,
                "attempts": r.attempts,
                "first_seen": _iso(r.first_seen),
                "last_seen": _iso(r.last_seen),
                "resolved_at": _iso(r.resolved_at),
                "note": r.note,
            }
            for r in conn.execute(
                sa.select(failures)
                .where(failures.c.entity == entity, failures.c.key == key)
                .order_by(failures.c.id)
            )
        ]
        delivered = [
            {
                "target": r.target,
                "at": _iso(r.at),
                "run_id": r.run_id,
                "system_id": r.system_id,
                "up_to_date": golden is not None and r.hash == golden["hash"],
            }
            for r in conn.execute(
                sa.select(deliveries)
                .where(deliveries.c.entity == entity, deliveries.c.key == key)
                .order_by(deliveries.c.target)
            )
        ]
        state = None
        edi: list[dict[str, Any]] = []
        if entity == "order":
            row = conn.execute(sa.select(order_state).where(order_state.c.order_no == key)).mappings().first()
            state = {"state": row["state"], "updated_at": _iso(row["updated_at"])} if row else None
            edi = [
                {
                    "partner": d.partner,
                    "direction": d.direction,
                    "set_id": d.set_id,
                    "reference": d.reference,
                    "isa13": d.interchange,
                    "gs06": d.group_control,
                    "st02": d.set_control,
                    "status": d.status,
                    "ack_status": d.ack_status,
                    "file": d.file,
                    "at": _iso(d.at),
                    "acked_at": _iso(d.acked_at),
                }
                for d in conn.execute(
                    sa.select(edi_documents)
                    .where(edi_documents.c.order_no == key)
                    .order_by(edi_documents.c.id)
                )
            ]
    if golden is None and not history and not failed and not state and not edi:
        return None
    record = codec.loads(golden["data"]) if golden else None
    provenance = codec.loads(golden["provenance"]) if golden else {}
    fields = [
        {"field": name, "value": (record or {}).get(name), "system": src[0], "run_id": src[1], "at": src[2]}
        for name, src in sorted(provenance.items())
        if record is not None and name in record
    ]
    found = {
        "entity": entity,
        "key": key,
        "version": golden["version"] if golden else None,
        "hash": golden["hash"] if golden else None,
        "record": record,
        "fields": fields,
        "ids": ids,
        "history": history,
        "failures": failed,
        "deliveries": delivered,
        "order_state": state,
        "edi": edi,
    }
    masker = privacy.active()  # configured PII fields are shown masked (hub/privacy.py)
    return masker.lineage(found) if masker else found
