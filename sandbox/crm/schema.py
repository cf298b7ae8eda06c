"""The CRM's property definitions and their validation, the way HubSpot checks property values.

Every value is stored as a string (HubSpot returns numbers and dates as strings too); an empty
string clears a property. Errors are returned as HubSpot's ``VALIDATION_ERROR`` shape, so a
connector sees the same failure it would see from the real service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class Prop:
    name: str
    kind: str = "string"  # string | enumeration | number | email | datetime
    options: tuple[str, ...] = ()
    read_only: bool = False
    unique: bool = False


LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
SEGMENTS = ("enterprise", "wholesale", "distributor", "retail")
PAYMENT_TERMS = ("net15", "net30", "net60", "prepaid", "cod")
ADDRESS = ("address", "address2", "city", "state", "zip", "country")
SHIPPING = tuple(f"shipping_{p}" for p in ADDRESS)
PIPELINES = ("default",)
# the default sales pipeline's stages, plus "quotesent" (a stage a portal adds for quotes sent to the buyer)
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "quotesent",
    "contractsent",
    "closedwon",
    "closedlost",
)

_COMMON = (
    Prop("hs_object_id", "number", read_only=True),
    Prop("createdate", "datetime", read_only=True),
    Prop("hs_lastmodifieddate", "datetime", read_only=True),
    Prop("lifecyclestage", "enumeration", LIFECYCLE),
    Prop("phone"),
)

PROPERTIES: dict[str, dict[str, Prop]] = {
    "companies": {
        p.name: p
        for p in (
            *_COMMON,
            Prop("name"),
            Prop("domain"),
            Prop("account_number", unique=True),
            Prop("email", "email"),
            Prop("segment", "enumeration", SEGMENTS),
            Prop("payment_terms", "enumeration", PAYMENT_TERMS),
            Prop("credit_limit", "number"),
            Prop("tags"),
            Prop("num_associated_contacts", "number", read_only=True),
            *(Prop(p) for p in ADDRESS + SHIPPING),
        )
    },
    "contacts": {
        p.name: p
        for p in (
            *_COMMON,
            Prop("lastmodifieddate", "datetime", read_only=True),
            Prop("email", "email", unique=True),
            Prop("firstname"),
            Prop("lastname"),
            Prop("jobtitle"),
            Prop("company"),
        )
    },
    # deals: HubSpot's default deal properties, plus the hub's own (``hub_*``); ``hub_quote_no`` is a custom
    # property with unique values, so ``batch/upsert`` can key on it (as a portal admin would set it up)
    "deals": {
        p.name: p
        for p in (
            Prop("hs_object_id", "number", read_only=True),
            Prop("createdate", "datetime", read_only=True),
            Prop("hs_lastmodifieddate", "datetime", read_only=True),
            Prop("dealname"),
            Prop("amount", "number"),
            Prop("deal_currency_code"),
            Prop("dealstage", "enumeration", DEAL_STAGES),
            Prop("pipeline", "enumeration", PIPELINES),
            Prop("closedate", "datetime"),
            Prop("description"),
            Prop("hub_quote_no", unique=True),
            Prop("hub_order_no"),
            Prop("hub_customer_no"),
            Prop("num_associated_companies", "number", read_only=True),
        )
    },
}

# what GET and search return when the caller names no properties (as HubSpot: a small default set)
DEFAULT_PROPERTIES = {
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "contacts": ("email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"),
    "deals": (
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
    ),
}
UNIQUE = {"companies": "account_number", "contacts": "email", "deals": "hub_quote_no"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ValidationFailed(Exception):
    """One or more property values refused; ``errors`` in HubSpot's per-property shape."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors

    def body(self, correlation: str = "sandbox") -> dict[str, Any]:
        return validation_body(f"Property values were not valid: {self}", self.errors, correlation)


def validation_body(
    message: str, errors: list[dict[str, Any]] | None = None, correlation: str = "sandbox"
) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation,
        "category": "VALIDATION_ERROR",
        "errors": errors or [],
    }


def _error(name: str, code: str, message: str) -> dict[str, Any]:
    return {"message": message, "code": code, "context": {"propertyName": [name]}}


def clean(kind: str, values: Any, *, labels: bool = False) -> dict[str, str | None]:
    """Validated values as HubSpot stores them: strings, ``None`` to clear. Raises ValidationFailed.

    ``labels=True`` (seeding only) also accepts an option's label in any case ("Enterprise").
    """
    if not isinstance(values, dict):
        raise ValidationFailed([_error("properties", "INVALID_INPUT", "properties must be an object")])
    schema = PROPERTIES[kind]
    out: dict[str, str | None] = {}
    errors: list[dict[str, Any]] = []
    for name, raw in values.items():
        prop = schema.get(name)
        if prop is None:
            errors.append(_error(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if prop.read_only:
            errors.append(_error(name, "READ_ONLY_VALUE", f'"{name}" is a read only property'))
            continue
        if raw is None or raw == "":
            out[name] = None
            continue
        value = str(raw).lower() if isinstance(raw, bool) else str(raw).strip()
        if prop.kind == "enumeration":
            if labels:
                value = value.lower()
            if value not in prop.options:
                errors.append(
                    _error(
                        name,
                        "INVALID_OPTION",
                        f"{value} was not one of the allowed options: {', '.join(prop.options)}",
                    )
                )
                continue
        elif prop.kind == "number":
            try:
                number = Decimal(value)
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(_error(name, "INVALID_FLOAT", f"{value} is not a valid number for {name}"))
                continue
        elif prop.kind == "datetime":
            moment = _moment(value)
            if moment is None:
                errors.append(_error(name, "INVALID_DATE", f"{value} is not a valid date/time for {name}"))
                continue
            value = moment
        elif prop.kind == "email" and not EMAIL.match(value):
            errors.append(_error(name, "INVALID_EMAIL", f"Email address {value} is invalid"))
            continue
        out[name] = value.lower() if prop.kind == "email" and prop.unique else value
    if errors:
        raise ValidationFailed(errors)
    return out


def _moment(value: str) -> str | None:
    """A date/time value as HubSpot stores it (ISO 8601 UTC, milliseconds): epoch ms, a date or a datetime."""
    try:
        if value.lstrip("-").isdigit():
            moment = datetime.fromtimestamp(int(value) / 1000, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
