"""850 purchase orders -> canonical orders (``hub.models.entities.Order``). Pure functions: no I/O, no state.

What comes out is a dict the Order model validates, plus what only EDI cares about (control numbers, the
partner's part numbers, requested dates) kept beside it. A line whose SKU cannot be resolved is a *problem*: the
order is still returned so the reason can be reported, but ``canonical()`` refuses it (RecordRejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.x12.normalise import Interchange, gc_paused
from connectors.x12.partners import DEFAULT_QUALIFIERS, Crosswalk, PartnerProfile
from connectors.x12.results import ACCEPTED, WITH_ERRORS, GroupResult, TransactionResult, ValidationResult
from hub.errors import RecordRejected

PURPOSE_STATUS = {"01": "cancelled", "04": "changed", "05": "changed"}


@dataclass(slots=True)
class TranslatedOrder:
    order: dict[str, Any]
    partner: str | None
    po_number: str
    purpose: str
    control: dict[str, str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def canonical(self) -> dict[str, Any]:
        """The Order dict, or RecordRejected (stage translate) when a line could not be mapped."""
        if self.problems:
            raise RecordRejected(
                "; ".join(self.problems), stage="translate", field="lines", raw=self.summary()
            )
        return self.order

    def summary(self) -> dict[str, Any]:
        """The shape ``hub edi translate --format json`` prints (documented in docs/edi.md)."""
        ship = self.order.get("ship_to") or {}
        address = {k: ship.get(k) for k in ("line1", "line2", "city", "region", "postal_code", "country")}
        return {
            "order_no": self.order["order_no"],
            "po_number": self.po_number,
            "order_date": (self.order.get("order_date") or "")[:10] or None,
            "partner": self.partner,
            "purpose": self.purpose,
            "currency": self.order.get("currency"),
            "ship_to": {
                "name": ship.get("name"),
                "location_code": ship.get("location_code"),
                "address": address,
            },
            "lines": [
                {
                    k: _plain(line.get(k))
                    for k in (
                        "line_no",
                        "quantity",
                        "uom",
                        "unit_price",
                        "upc",
                        "vendor_part",
                        "buyer_part",
                        "sku",
                        "description",
                    )
                }
                for line in self.lines
            ],
            "control_numbers": self.control,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def translate_orders(
    ic_results: ValidationResult, profile: PartnerProfile | None = None, *, accepted_only: bool = True
) -> list[TranslatedOrder]:
    """Every 850 of a validated file (by default only those accepted, with or without noted errors)."""
    out = []
    with gc_paused():
        for ic_result, group, txn in ic_results.transactions():
            if txn.set_id != "850" or txn.end is None:
                continue
            if accepted_only and txn.status not in (ACCEPTED, WITH_ERRORS):
                continue
            out.append(translate_850(ic_result.interchange, group, txn, profile))
    return out


def translate_850(
    ic: Interchange, group: GroupResult, txn: TransactionResult, profile: PartnerProfile | None
) -> TranslatedOrder:
    """One 850 transaction set (segments ``txn.start``..``txn.end`` of the interchange) -> an order."""
    order: dict[str, Any] = {"channel": "edi", "status": "new", "lines": [], "tags": ["edi"]}
    parties: dict[str, dict[str, Any]] = {}
    lines: list[dict[str, Any]] = []
    dates: dict[str, str] = {}
    refs: dict[str, str] = {}
    notes: list[str] = []
    party: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    po_number, purpose, count, total = "", "", None, None
    for v in _segments(ic, txn.start + 1, txn.end or len(ic.segments)):
        sid = v[0]
        if sid == "BEG":
            purpose, po_number = v[1], v[3].strip()
            order["order_date"] = _date(v[5])
            if v[4]:
                refs["release"] = v[4]
        elif sid == "CUR" and v[2]:
            order["currency"] = v[2]
        elif sid == "REF" and line is None:
            refs[v[1]] = v[2] or v[3]
        elif sid == "DTM":
            (line["dates"] if line is not None else dates)[v[1]] = v[2]
        elif sid == "MSG":
            notes.append(v[1].strip())
        elif sid == "N1":
            party = {
                "entity": v[1],
                "name": v[2].strip(),
                "qualifier": v[3],
                "location_code": v[4].strip() or None,
            }
            if line is None:
                parties.setdefault(v[1], party)
            else:
                line.setdefault("parties", {})[v[1]] = party
        elif sid in ("N2", "N3", "N4") and party is not None:
            _address(party, sid, [x.strip() for x in v[1:7]])
        elif sid == "PO1":
            line = _po1(v, len(lines) + 1)
            lines.append(line)
            party = None
        elif sid == "PID" and line is not None and v[5].strip():
            line["description"] = " ".join(filter(None, [line.get("description"), v[5].strip()]))
        elif sid == "CTT":
            count = v[1]
        elif sid == "AMT" and v[1] == "TT":
            total = v[2]
    prefix = profile.prefix if profile else (ic.sender[1] or "EDI")
    order["order_no"] = f"{prefix}-{po_number}"
    order["po_number"] = po_number
    order["status"] = PURPOSE_STATUS.get(purpose, "new")
    if profile is not None:
        order["customer_no"] = profile.customer_no
        order["tags"].append(f"partner:{profile.partner}")
    currency = order.get("currency") or (profile.currency if profile else "USD")
    order["currency"] = currency
    control = {
        "interchange": ic.control_number,
        "group": group.control_number,
        "transaction": txn.control_number,
        "sender": ":".join(ic.sender),
    }
    result = TranslatedOrder(
        order, profile.partner if profile else None, po_number, purpose, control, lines, dates, refs
    )
    if not po_number:
        result.problems.append("BEG03 (PO number) is missing")
    order["ship_to"] = _ship_to(parties.get("ST"), profile, result)
    if "BT" in parties:
        order["bill_to"] = _postal(parties["BT"], "billing", profile)
    if notes:
        order["notes"] = "\n".join(notes)
    if total:
        order["total"] = {"amount": total, "currency": currency}
    xwalk = profile.index if profile is not None else None
    for entry in lines:
        order["lines"].append(_canonical_line(entry, xwalk, currency, result))
    if count is not None and count != str(len(lines)):
        result.warnings.append(f"CTT01 says {count} line items, the order has {len(lines)}")
    return result


_PAD = ("",) * 8


def _segments(ic: Interchange, start: int, end: int) -> Any:
    """Segments start..end-1 padded with empty elements, with the partner's original (non-ASCII) text restored."""
    segs, originals = ic.segments, ic.originals
    rows = {i for i, _ in originals} if originals else set()
    for i in range(start, end):
        seg = segs[i]
        if i in rows:
            seg = tuple(originals.get((i, j), value) for j, value in enumerate(seg))
        yield seg + _PAD if len(seg) < 16 else seg + _PAD[:2]


def _po1(v: tuple[str, ...], index: int) -> dict[str, Any]:
    own = v[1].strip()
    ids: dict[str, str] = {}
    for k in range(6, len(v) - 1, 2):
        qualifier, value = v[k], v[k + 1].strip()
        if qualifier and value and qualifier not in ids:
            ids[qualifier] = value
    return {
        "line_no": int(own) if own.isdigit() and int(own) > 0 else index,
        "assigned_id": own or None,
        "quantity": _number(v[2]),
        "uom": v[3] or "EA",
        "unit_price": _number(v[4]),
        "basis": v[5] or None,
        "ids": ids,
        "dates": {},
    }


def _canonical_line(
    entry: dict[str, Any], xwalk: Crosswalk | None, currency: str, result: TranslatedOrder
) -> dict[str, Any]:
    ids = entry.pop("ids")
    quals = xwalk.qualifiers if xwalk is not None else DEFAULT_QUALIFIERS
    upc = next((ids[q] for q in quals["upc"] if q in ids), None)
    buyer = next((ids[q] for q in quals["buyer_part"] if q in ids), None)
    vendor = next((ids[q] for q in quals["vendor_part"] if q in ids), None)
    if xwalk is not None:
        sku, how = xwalk.sku_for(upc, buyer, vendor)
    else:
        sku, how = (vendor, "vendor_part_as_sku") if vendor else (None, "not_found")
    entry.update(upc=upc, buyer_part=buyer, vendor_part=vendor, sku=sku, sku_from=how, product_ids=ids)
    no = entry["line_no"]
    if sku is None:
        sent = ", ".join(f"{q} {v}" for q, v in ids.items()) or "no product ids"
        result.problems.append(f"line {no}: no SKU for {sent}")
    if entry["quantity"] is None:
        result.problems.append(f"line {no}: PO102 quantity is missing or not a number")
    line: dict[str, Any] = {
        "line_no": no,
        "sku": sku or "",
        "quantity": {"value": str(entry["quantity"] or 0), "uom": entry["uom"]},
    }
    if entry.get("description"):
        line["description"] = entry["description"]
    if entry["unit_price"] is not None:
        line["unit_price"] = {"amount": str(entry["unit_price"]), "currency": currency}
    if buyer:
        line["buyer_part"] = buyer
    if upc:
        line["upc"] = upc
    return line


def _ship_to(
    party: dict[str, Any] | None, profile: PartnerProfile | None, result: TranslatedOrder
) -> dict[str, Any] | None:
    if party is None:
        result.warnings.append("no ship-to party (N1*ST)")
        return None
    code = party.get("location_code")
    known = profile.ship_to.get(code) if profile is not None and code else None
    address = _postal(party, "shipping", profile)
    if known is not None:
        for key in ("name", "line1", "line2", "city", "region", "postal_code", "country"):
            if not address.get(key) and getattr(known, key):
                address[key] = getattr(known, key)
    if not address.get("line1") and not address.get("city"):
        where = f"location {code}" if code else "the ship-to party"
        result.problems.append(f"{where} has no address in the 850 and none in the partner profile")
    return address


def _postal(party: dict[str, Any], kind: str, profile: PartnerProfile | None) -> dict[str, Any]:
    country = party.get("country") or None
    if country is None and (party.get("region") or party.get("city")):
        country = profile.country if profile else "US"
    out = {
        "kind": kind,
        "name": party.get("name") or None,
        "company": party.get("name2") or None,
        "line1": party.get("line1"),
        "line2": party.get("line2"),
        "city": party.get("city"),
        "region": party.get("region"),
        "postal_code": party.get("postal_code"),
        "country": country if country and len(country) == 2 else None,
        "location_code": party.get("location_code"),
    }
    return {k: v for k, v in out.items() if v is not None}


def _address(party: dict[str, Any], sid: str, values: list[str]) -> None:
    if sid == "N2":
        party["name2"] = " ".join(filter(None, values[:2])) or None
    elif sid == "N3":
        lines = [v for v in values[:2] if v]
        if "line1" not in party:
            party["line1"] = lines[0] if lines else None
            party["line2"] = lines[1] if len(lines) > 1 else None
        elif lines:
            party["line2"] = " ".join(filter(None, [party.get("line2"), *lines]))
    else:
        party.update(
            city=values[0] or None,
            region=values[1] or None,
            postal_code=values[2] or None,
            country=values[3] or None,
        )


def _date(value: str) -> str | None:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}T00:00:00"
    return None


def _plain(value: Any) -> Any:
    """Decimals as JSON numbers (integers stay integers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _number(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None
