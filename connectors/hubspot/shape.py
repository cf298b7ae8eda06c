"""Translation between HubSpot objects and the CRM customer record the hub maps (mappings/customer.yaml).

A customer is a company with its properties, ``addresses`` built from the company's address
properties (``address``/``city``/... is the billing address, ``shipping_*`` the shipping one) and
``contacts`` holding the associated contacts' properties, flattened, with ``primary`` from the
association label.
"""

from __future__ import annotations

from typing import Any

ADDRESS_FIELDS = {
    "street": "address",
    "street2": "address2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "country": "country",
}
ADDRESS_KINDS = {"billing": "", "shipping": "shipping_"}
CONTACT_FIELDS = ("email", "firstname", "lastname", "phone", "jobtitle")
READ_ONLY = {
    "hs_object_id",
    "createdate",
    "hs_lastmodifieddate",
    "lastmodifieddate",
    "num_associated_contacts",
}
PRIMARY_TYPE_IDS = {1, 2}


def customer(company: dict[str, Any], contacts: list[tuple[dict[str, Any], bool]]) -> dict[str, Any]:
    """The customer record: company + addresses + contacts (primary first)."""
    props = dict(company.get("properties") or {})
    addresses = []
    for kind, prefix in ADDRESS_KINDS.items():
        address = {f: props.get(prefix + p) for f, p in ADDRESS_FIELDS.items()}
        if any(v not in (None, "") for v in address.values()):
            addresses.append({"type": kind, "name": props.get("name"), **address})
    people = []
    for contact, primary in sorted(contacts, key=lambda c: (not c[1], int(c[0]["id"]))):
        cp = contact.get("properties") or {}
        people.append(
            {
                "id": contact["id"],
                **{f: cp.get(f) for f in CONTACT_FIELDS},
                "primary": primary,
                "updatedAt": contact.get("updatedAt"),
            }
        )
    stamps = [company.get("updatedAt") or "", *(p["updatedAt"] or "" for p in people)]
    return {
        "id": company["id"],
        "createdAt": company.get("createdAt"),
        # the account as a whole last changed when the company or one of its contacts did
        "updatedAt": max(stamps),
        "archived": company.get("archived", False),
        "properties": props,
        "addresses": addresses,
        "contacts": people,
    }


def company_properties(payload: dict[str, Any]) -> dict[str, Any]:
    """Company properties to write: the record's properties plus its addresses as address properties."""
    props = {k: v for k, v in (payload.get("properties") or {}).items() if k not in READ_ONLY}
    for address in payload.get("addresses") or []:
        prefix = ADDRESS_KINDS.get(str(address.get("type") or "billing").lower(), "")
        for field, prop in ADDRESS_FIELDS.items():
            if field in address:
                props[prefix + prop] = address[field]
    return {k: ("" if v is None else v) for k, v in props.items()}


def contact_properties(person: dict[str, Any]) -> dict[str, Any]:
    return {f: person[f] for f in CONTACT_FIELDS if person.get(f) is not None}


def is_primary(person: dict[str, Any]) -> bool:
    value = person.get("primary")
    return value is True or str(value).strip().lower() in ("true", "yes", "y", "1")
