"""Seeding the CRM from customer records in the hub's CRM shape (company properties, addresses, contacts).

Without a body, the sample companies under ``sandbox/data/crm/customer/`` are loaded. Option labels
are accepted in any case ("Enterprise" -> ``enterprise``), as HubSpot's import does; records the
API would refuse are reported, not stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.crm.objects import CrmStore
from sandbox.crm.schema import ValidationFailed

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "crm" / "customer" / "companies.jsonl"
ADDRESS_FIELDS = {
    "street": "address",
    "street2": "address2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "country": "country",
}
CONTACT_FIELDS = ("email", "firstname", "lastname", "phone", "jobtitle")


def address_properties(addresses: list[dict[str, Any]]) -> dict[str, Any]:
    """The company's own address properties; a ``shipping`` address goes to the ``shipping_*`` ones."""
    props: dict[str, Any] = {}
    for address in addresses or []:
        prefix = "shipping_" if str(address.get("type", "")).lower() == "shipping" else ""
        for field, prop in ADDRESS_FIELDS.items():
            if address.get(field) not in (None, ""):
                props[prefix + prop] = address[field]
    return props


def seed(store: CrmStore, customers: list[dict[str, Any]] | None) -> dict[str, Any]:
    if customers is None:
        customers = (
            [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
            if SAMPLE.exists()
            else []
        )
    created, warnings, errors = 0, [], []
    for record in customers:
        props = {k: v for k, v in (record.get("properties") or {}).items() if v not in (None, "")}
        props.update(address_properties(record.get("addresses") or []))
        account = props.get("account_number")
        try:
            company = _create(store, "companies", props, warnings, account)
            for person in record.get("contacts") or []:
                values = {k: person[k] for k in CONTACT_FIELDS if person.get(k) not in (None, "")}
                contact = _create(store, "contacts", values, warnings, account)
                primary = str(person.get("primary", "")).lower() in ("yes", "true", "1")
                store.associate(company, contact, "primary" if primary else "unlabeled")
            created += 1
        except Exception as exc:  # e.g. a duplicate: report it, keep seeding the rest
            errors.append({"record": account, "message": str(exc)})
    return {"created": created, "warnings": warnings, "errors": errors}


def _create(
    store: CrmStore, kind: str, values: dict[str, Any], warnings: list[dict[str, Any]], account: Any
) -> dict[str, Any]:
    """Like a HubSpot import: a value the API refuses is skipped with a warning, the record is kept."""
    try:
        return store.create(kind, values, labels=True)
    except ValidationFailed as exc:
        bad = {name for e in exc.errors for name in e["context"]["propertyName"]}
        warnings.extend({"record": account, "message": e["message"]} for e in exc.errors)
        return store.create(kind, {k: v for k, v in values.items() if k not in bad}, labels=True)
