"""Customers: Tryton parties keyed by their code (the hub's account number).

Read shape: ``{id, code, name, email, payment_term, credit_limit_amount, credit_amount, currency,
credit_hold, vat_code, updated_at}``. ``credit_hold`` is derived: Tryton has no hold flag, so it is
true when the receivable balance exceeds the credit limit (module ``account_credit_limit``).
Write payload: ``{code, name, email, payment_term, credit_limit_amount, currency}``; absent or null
fields are left as they are; only differences are written. A payment term is only given to a party
that has none: the ERP owns terms, and one the hub cannot read (quarantined) must not be overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from connectors.tryton import batch
from connectors.tryton.connector import RecordError, base_values, number_text, to_decimal, write_by_code
from connectors.tryton.incremental import ChangeSpec, changed_at, read_changes
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector

STAMPS = ("create_date", "write_date", "contact_mechanisms.create_date", "contact_mechanisms.write_date")
WATERMARKS = (
    ("party.party", "create_date"),
    ("party.party", "write_date"),
    ("party.contact_mechanism", "create_date"),
    ("party.contact_mechanism", "write_date"),
)
BASE_FIELDS = ("code", "name", "email", "customer_payment_term.name", "tax_identifier.code")
CREDIT_FIELDS = ("credit_limit_amount", "credit_amount")


def _spec(conn: TrytonConnector) -> ChangeSpec:
    """Every party but the company's own."""
    domain = (("id", "!=", conn.lookups.company["party"]),)
    return ChangeSpec("party.party", STAMPS, WATERMARKS, domain)


def _has_credit(conn: TrytonConnector) -> bool:
    return conn.lookups.has_field("party.party", "credit_limit_amount")


def read(conn: TrytonConnector, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
    currency = conn.lookups.currency
    credit = _has_credit(conn)
    fields = BASE_FIELDS + (CREDIT_FIELDS if credit else ())

    def shape(row: dict[str, Any]) -> dict[str, Any]:
        limit, balance = row.get("credit_limit_amount"), row.get("credit_amount")
        return {
            "id": str(row["id"]),
            "code": row.get("code"),
            "name": row.get("name"),
            "email": row.get("email") or None,
            "payment_term": (row.get("customer_payment_term.") or {}).get("name"),
            "credit_limit_amount": number_text(limit),
            "credit_amount": number_text(balance),
            "currency": currency,
            "credit_hold": bool(limit is not None and balance is not None and balance > limit),
            "vat_code": (row.get("tax_identifier.") or {}).get("code"),
            "updated_at": changed_at(row, STAMPS).isoformat() + "Z",
        }

    yield from read_changes(conn.client, _spec(conn), fields, shape, cursor, batch_size)


def _wanted(conn: TrytonConnector, record: OutboundRecord) -> dict[str, Any]:
    p = record.payload
    wanted = base_values(conn, record)
    if p.get("email") not in (None, ""):
        wanted["email"] = str(p["email"]).strip()
    if p.get("payment_term") not in (None, ""):
        wanted["payment_term"] = conn.lookups.payment_term(p["payment_term"])[0]
    limit = to_decimal(p.get("credit_limit_amount"), "credit_limit_amount", 2)
    if limit is not None:
        if not _has_credit(conn):
            raise RecordError("credit_limit_amount: Tryton module account_credit_limit is not activated")
        wanted["credit_limit_amount"] = limit
    return wanted


def write(conn: TrytonConnector, records: Sequence[OutboundRecord]) -> list[WriteResult]:
    return write_by_code(conn, records, _wanted, _write_chunk)


def _write_chunk(
    conn: TrytonConnector, part: Sequence[tuple[int, OutboundRecord, dict[str, Any]]]
) -> dict[int, WriteResult]:
    fields = ["code", "name", "customer_payment_term", "contact_mechanisms.type", "contact_mechanisms.value"]
    if _has_credit(conn):
        fields.append("credit_limit_amount")
    ids = [int(r.system_id) for _, r, _ in part if r.system_id and str(r.system_id).isdigit()]
    codes = [w["code"] for _, _, w in part]
    company_party = conn.lookups.company["party"]  # never written as a customer
    domain = [("id", "!=", company_party), ["OR", ("code", "in", codes), ("id", "in", ids)]]
    rows = conn.client.search_read("party.party", domain, fields)
    by_id, by_code = {r["id"]: r for r in rows}, {r["code"]: r for r in rows}
    results: dict[int, WriteResult] = {}
    creates: list[tuple[str, dict[str, Any]]] = []
    updates: list[tuple[str, int, dict[str, Any]]] = []
    for index, record, w in part:
        sid = int(record.system_id) if record.system_id and str(record.system_id).isdigit() else None
        row = (by_id.get(sid) if sid is not None else None) or by_code.get(w["code"])
        if row is None:
            if "name" not in w:
                results[index] = WriteResult(record.key, error="name: required to create a customer")
                continue
            creates.append((str(index), _create_values(w)))
        else:
            updates.append((str(index), row["id"], _update_values(w, row)))
    outcomes = {}
    if creates:
        code_of = {key: values["code"] for key, values in creates}

        def find(keys: list[str]) -> dict[str, int]:
            wanted = {code_of[k]: k for k in keys}
            found = conn.client.search_read("party.party", [("code", "in", list(wanted))], ["code"])
            return {wanted[r["code"]]: r["id"] for r in found}

        outcomes.update(batch.create(conn.client, "party.party", creates, find))
    outcomes.update(batch.write(conn.client, "party.party", updates))
    for index, record, _ in part:
        o = outcomes.get(str(index))
        if o is not None:
            results[index] = WriteResult(record.key, str(o.id) if o.id else None, o.error, o.retriable)
    return results


def _create_values(w: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"code": w["code"], "name": w["name"]}
    if "email" in w:
        values["contact_mechanisms"] = [["create", [{"type": "email", "value": w["email"]}]]]
    if "payment_term" in w:
        values["customer_payment_term"] = w["payment_term"]
    if "credit_limit_amount" in w:
        values["credit_limit_amount"] = w["credit_limit_amount"]
    return values


def _update_values(w: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in w and w["name"] != row.get("name"):
        values["name"] = w["name"]
    # Tryton owns the terms: the hub gives a party without terms its (default) terms, never changes them
    if "payment_term" in w and not row.get("customer_payment_term"):
        values["customer_payment_term"] = w["payment_term"]
    if "credit_limit_amount" in w and w["credit_limit_amount"] != row.get("credit_limit_amount"):
        values["credit_limit_amount"] = w["credit_limit_amount"]
    if "email" in w:
        emails = [m for m in row.get("contact_mechanisms.") or [] if m.get("type") == "email"]
        if not emails:
            values["contact_mechanisms"] = [["create", [{"type": "email", "value": w["email"]}]]]
        elif emails[0].get("value") != w["email"]:
            values["contact_mechanisms"] = [["write", [emails[0]["id"]], {"value": w["email"]}]]
    return values
