"""850 -> canonical orders: shaped like hub.models Order, SKUs and ship-to locations resolved via the profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.x12.partners import load_partner
from connectors.x12.translate import translate_orders
from connectors.x12.validate import validate_bytes
from hub.errors import RecordRejected
from hub.models.entities import Order
from tests.x12.builders import envelope, po_850, render
from tests.x12.cases import BY_NAME

PARTNERS = Path(__file__).resolve().parents[2] / "mappings" / "partners"
ACME = load_partner(PARTNERS / "acme.yaml")
NORTHWIND = load_partner(PARTNERS / "northwind.yaml")


def orders(data: bytes | str, profile=ACME):  # type: ignore[no-untyped-def]
    _, result = validate_bytes(data.encode() if isinstance(data, str) else data)
    return translate_orders(result, profile)


def test_850_becomes_a_canonical_order() -> None:
    (o,) = orders(BY_NAME["850_4010_valid"].data)
    order = Order.model_validate(o.canonical())
    assert (order.order_no, order.channel, order.po_number, order.customer_no) == (
        "ACME-PO1001",
        "edi",
        "PO1001",
        "ACME-001",
    )
    assert order.order_date is not None and order.order_date.isoformat() == "2024-05-01T00:00:00"
    assert order.currency == "USD" and order.status == "new"
    assert order.ship_to is not None
    assert (order.ship_to.location_code, order.ship_to.name, order.ship_to.city, order.ship_to.country) == (
        "0042",
        "ACME STORE 42",
        "SPRINGFIELD",
        "US",
    )
    first, second = order.lines
    assert (first.line_no, first.sku, str(first.quantity.value), first.quantity.uom) == (
        1,
        "SKU-1001",
        "2",
        "EA",
    )
    assert first.unit_price is not None and str(first.unit_price.amount) == "1.25"
    assert (first.upc, first.buyer_part, first.description) == ("012345678905", "ACME-55501", "WIDGET 1")
    assert second.sku == "SKU-1002" and order.bill_to is not None and order.bill_to.location_code == "9000"


def test_summary_shape_for_the_cli() -> None:
    (o,) = orders(BY_NAME["850_4010_valid"].data)
    s = o.summary()
    assert set(s) >= {"po_number", "order_date", "partner", "ship_to", "lines"}
    assert s["order_date"] == "2024-05-01" and s["partner"] == "acme"
    assert s["ship_to"]["address"]["postal_code"] == "62701"
    assert s["lines"][0] == {
        "line_no": 1,
        "quantity": 2,
        "uom": "EA",
        "unit_price": 1.25,
        "upc": "012345678905",
        "vendor_part": "SKU-1001",
        "buyer_part": "ACME-55501",
        "sku": "SKU-1001",
        "description": "WIDGET 1",
    }


def test_sku_by_buyer_part_upc_or_vendor_part() -> None:
    lines = [
        ["PO1", "1", "1", "EA", "", "", "BP", "ACME-55503"],
        ["PO1", "2", "1", "EA", "", "", "EN", "0012345678912"],
        ["PO1", "3", "1", "EA", "", "", "VN", "WID-3"],
        ["PO1", "4", "1", "EA", "", "", "VN", "OWN-9"],
    ]
    body = [s for s in po_850(lines=0) if s[0] != "CTT"] + lines
    (o,) = orders(render(envelope([body])))
    assert [(line["sku"], line["sku_from"]) for line in o.lines] == [
        ("SKU-1003", "buyer_part"),
        ("SKU-1002", "upc"),
        ("SKU-1003", "vendor_part"),
        ("OWN-9", "vendor_part_as_sku"),
    ]


def test_unknown_item_is_a_problem_and_the_order_is_refused() -> None:
    body = [s for s in po_850(lines=0) if s[0] != "CTT"] + [
        ["PO1", "1", "1", "EA", "", "", "UP", "099999999999"]
    ]
    (o,) = orders(render(envelope([body])))
    assert o.problems == ["line 1: no SKU for UP 099999999999"]
    with pytest.raises(RecordRejected) as err:
        o.canonical()
    assert err.value.stage == "translate"


def test_ship_to_location_code_fills_the_address_from_the_profile() -> None:
    (o,) = orders(render(envelope([po_850(ship_to="0107", with_address=False)])))
    ship = o.order["ship_to"]
    assert (ship["location_code"], ship["line1"], ship["city"], ship["name"]) == (
        "0107",
        "1 Logistics Way",
        "Columbus",
        "ACME STORE 42",
    )
    (o,) = orders(render(envelope([po_850(ship_to="9999", with_address=False)])))
    assert o.problems == ["location 9999 has no address in the 850 and none in the partner profile"]


def test_005010_order_with_profile_qualifiers() -> None:
    body = [s for s in po_850(lines=0) if s[0] != "CTT"] + [
        ["PO1", "1", "3", "EA", "9.99", "", "SK", "NW-A2"]
    ]
    data = render(envelope([body], gs08="005010", isa12="00501", isa11="^"))
    (o,) = orders(data, NORTHWIND)
    assert o.order["order_no"] == "NWM-PO1001" and o.order["lines"][0]["sku"] == "SKU-1002"
    Order.model_validate(o.canonical())


def test_original_characters_survive_transliteration() -> None:
    (o,) = orders(BY_NAME["850_latin1"].data)
    assert o.order["ship_to"]["name"] == "MÜLLER CAFÉ"


def test_only_accepted_transactions_are_translated() -> None:
    assert orders(BY_NAME["missing_required_element"].data) == []
    _, result = validate_bytes(BY_NAME["missing_required_element"].data)
    assert len(translate_orders(result, ACME, accepted_only=False)) == 1


def test_purpose_codes_and_totals() -> None:
    body = po_850()
    body[0] = ["BEG", "01", "SA", "PO9", "", "20240501"]
    body.append(["AMT", "TT", "12.50"])
    (o,) = orders(render(envelope([body])))
    assert o.order["status"] == "cancelled" and o.purpose == "01"
    assert o.order["total"] == {"amount": "12.50", "currency": "USD"}


def test_without_a_profile_vendor_part_is_the_sku() -> None:
    (o,) = orders(BY_NAME["850_4010_valid"].data, None)
    assert o.order["order_no"] == "ACMERETAIL-PO1001" and [line["sku"] for line in o.order["lines"]] == [
        "SKU-1001",
        "SKU-1002",
    ]
    assert o.partner is None and "customer_no" not in o.order
