"""855 / 856 / 810 / 846 bodies: what each segment carries, the partner's item ids and location codes, the
SSCC-18 check digit, and the constructors from hub entities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from connectors.x12.acks import Sequence
from connectors.x12.outbound import (
    AckLine,
    InventoryAdvice,
    InventoryItem,
    Invoice,
    OrderAcknowledgment,
    Party,
    ShipNotice,
    build_810,
    build_846,
    build_855,
    build_856,
    carrier_scac,
    gs1_check_digit,
    partner_items,
    sscc18,
    sscc_label,
    write_interchange,
)
from hub.errors import RecordRejected
from hub.models.common import Address, Money, Quantity
from hub.models.entities import Order, OrderLine, Shipment, ShipmentLine, StockLevel
from tests.x12.test_outbound_samples import (
    ACME,
    NORTHWIND,
    NOW,
    accepted,
    sample_810,
    sample_846,
    sample_855,
    sample_856,
)


def rows(ts) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """A body with trailing empty values dropped, as the writer prints it."""
    out = []
    for seg in ts.segments:
        values = [v if isinstance(v, str) else ":".join(v) for v in seg]
        while values and values[-1] == "":
            values.pop()
        out.append(values)
    return out


def order() -> Order:
    return Order(
        order_no="ACME-PO1001",
        channel="edi",
        po_number="PO1001",
        order_date=datetime(2024, 5, 1),
        currency="USD",
        ship_to=Address(kind="shipping", name="ACME Store 42", line1="100  main st", postal_code="62701"),
        lines=[
            OrderLine(
                line_no=1,
                sku="SKU-1001",
                quantity=Quantity(value=D(10)),
                unit_price=Money(amount=D("1.25"), currency="USD"),
            ),
            OrderLine(
                line_no=2,
                sku="SKU-1003",
                quantity=Quantity(value=D(5), uom="CA"),
                unit_price=Money(amount=D("9.99"), currency="USD"),
                buyer_part="ACME-OTHER",
                upc="0012345678929",
            ),
        ],
    )


def test_855_lines_statuses_and_quantities() -> None:
    body = rows(build_855(sample_855(), ACME))
    assert body[0] == ["BAK", "00", "AC", "PO1001", "20240501", "", "", "", "ACME-PO1001", "20240502"]
    assert body[1] == ["N1", "ST", "ACME Store 42", "92", "0042"]
    assert body[2:5] == [
        ["PO1", "1", "10", "EA", "1.25", "", "UP", "012345678905", "BP", "ACME-55501", "VN", "SKU-1001"],
        ["ACK", "IA", "8", "EA", "068", "20240506"],
        ["ACK", "IB", "2", "EA", "068", "20240506"],
    ]
    assert body[5:8] == [
        ["PO1", "2", "4", "EA", "3.5", "", "UP", "012345678912", "BP", "ACME-55502", "VN", "SKU-1002"],
        ["PID", "F", "", "", "", "Widget, blue"],
        ["ACK", "IA", "4", "EA"],
    ]
    assert body[8:] == [
        ["PO1", "3", "3", "EA", "", "", "VN", "SKU-9"],
        ["ACK", "IR", "3", "EA"],
        ["CTT", "3"],
    ]


def test_855_type_follows_the_line_statuses_and_quantities_must_add_up() -> None:
    line = sample_855().lines[1]
    base = sample_855()
    all_ok = OrderAcknowledgment(base.po_number, base.po_date, base.ack_date, (line,))
    none = OrderAcknowledgment(
        base.po_number, base.po_date, base.ack_date, (AckLine(1, "SKU-1", D(2), D(0), rejected=D(2)),)
    )
    assert (all_ok.type_code, none.type_code, base.type_code) == ("AD", "RD", "AC")
    with pytest.raises(RecordRejected, match="must equal the 5 ordered") as err:
        AckLine(1, "SKU-1", D(5), D(4), D(2))
    assert err.value.stage == "translate"
    with pytest.raises(RecordRejected, match="no lines"):
        OrderAcknowledgment("PO1", base.po_date, base.ack_date, ())


def test_855_from_an_order_echoes_the_partner_ids_and_finds_the_ship_to_code() -> None:
    ack = OrderAcknowledgment.from_order(
        order(), ack_date=date(2024, 5, 2), backordered={2: D(3)}, ship_date=date(2024, 5, 8)
    )
    body = rows(build_855(ack, ACME))
    assert body[0][:5] == ["BAK", "00", "AC", "PO1001", "20240501"] and body[0][8] == "ACME-PO1001"
    assert body[1] == ["N1", "ST", "ACME Store 42", "92", "0042"]  # matched by street + postal code
    po1 = [r for r in body if r[0] == "PO1"]
    assert po1[1][6:] == [
        "EN",
        "0012345678929",
        "BP",
        "ACME-OTHER",
        "VN",
        "WID-3",
    ]  # what they sent, 13 digits: EN
    assert [r[1:4] for r in body if r[0] == "ACK"] == [
        ["IA", "10", "EA"],
        ["IA", "2", "CA"],
        ["IB", "3", "CA"],
    ]
    accepted(write_interchange(ACME, Sequence(), NOW, [build_855(ack, ACME)]))


def test_gs1_check_digit_and_sscc18() -> None:
    assert gs1_check_digit("10614141123456789") == 7  # GS1 General Specifications' SSCC example
    assert gs1_check_digit("01234567890") == 5  # UPC-A 012345678905
    assert sscc18("0614141", 123456789, extension=1) == "106141411234567897"
    for serial in (0, 1, 17, 999_999_999):
        code = sscc18("0614141", serial)
        weights = [3 if i % 2 == 0 else 1 for i in range(17)]
        assert (
            len(code) == 18
            and (sum(int(c) * w for c, w in zip(code[:17], weights, strict=True)) + int(code[17])) % 10 == 0
        )
    assert sscc_label("0614141", 17) == "00" + sscc18("0614141", 17)
    with pytest.raises(ValueError, match="does not fit"):
        sscc18("0614141", 10**9)
    with pytest.raises(ValueError, match="company prefix"):
        sscc18("12AB", 1)


def test_856_hierarchy_labels_and_carrier() -> None:
    body = rows(build_856(sample_856(), ACME))
    assert body[0] == ["BSN", "00", "SHP-1", "20240503", "0000", "0001"] and body[1] == [
        "DTM",
        "011",
        "20240503",
    ]
    hls = [r for r in body if r[0] == "HL"]
    assert [(h[1], h[2], h[3]) for h in hls] == [
        ("1", "", "S"),
        ("2", "1", "O"),
        ("3", "2", "P"),
        ("4", "3", "I"),
        ("5", "3", "I"),
        ("6", "2", "P"),
        ("7", "6", "I"),
    ]
    assert ["TD1", "CTN25", "2", "", "", "", "G", "12.5", "LB"] in body and ["TD5", "B", "2", "UPSN"] in body
    assert [r for r in body if r[0] == "REF"] == [
        ["REF", "CN", "1Z999AA10123456777"],
        ["REF", "CN", "1Z999AA10123456784"],
    ]
    assert ["PRF", "PO1001", "", "", "20240501"] in body
    labels = [r[2] for r in body if r[0] == "MAN"]
    assert labels == ["00" + sscc18("0614141", 17), "00" + sscc18("0614141", 18)]
    assert all(gs1_check_digit(label[2:19]) == int(label[19]) for label in labels)
    assert [r for r in body if r[0] in ("LIN", "SN1")][:2] == [
        ["LIN", "1", "UP", "012345678905", "BP", "ACME-55501", "VN", "SKU-1001"],
        ["SN1", "1", "8", "EA"],
    ]
    assert body[-1] == ["CTT", "7"]


def test_856_from_a_shipment() -> None:
    shipment = Shipment(
        shipment_no="SH-9",
        order_no="ACME-PO1001",
        carrier="UPS",
        tracking_numbers=["1Z1", "1Z2"],
        ship_date=date(2024, 5, 3),
        lines=[
            ShipmentLine(line_no=1, sku="SKU-1003", quantity=Quantity(value=D(5), uom="CA"), order_line_no=2)
        ],
    )
    notice = ShipNotice.from_shipment(shipment, order(), company_prefix="0614141", serial=41)
    assert (notice.scac, notice.tracking, notice.po_number, notice.po_date) == (
        "UPSN",
        "1Z1",
        "PO1001",
        date(2024, 5, 1),
    )
    body = rows(build_856(notice, ACME))
    assert ["N1", "ST", "ACME Store 42", "92", "0042"] in body
    assert ["LIN", "2", "EN", "0012345678929", "BP", "ACME-OTHER", "VN", "WID-3"] in body and [
        "SN1",
        "2",
        "5",
        "CA",
    ] in body
    accepted(write_interchange(ACME, Sequence(), NOW, [build_856(notice, ACME)]))
    with pytest.raises(RecordRejected, match="no ship date"):
        ShipNotice.from_shipment(
            shipment.model_copy(update={"ship_date": None}), order(), company_prefix="0614141", serial=1
        )
    assert (carrier_scac("FedEx"), carrier_scac("RDWY"), carrier_scac("Some Trucking Co")) == (
        "FDEG",
        "RDWY",
        None,
    )


def test_810_lines_terms_and_total_in_cents() -> None:
    body = rows(build_810(sample_810(), ACME))
    assert body[0] == ["BIG", "20240503", "INV-77", "20240501", "PO1001"]
    assert ["N1", "RE", "Commerce Hub Inc."] in body and ["N1", "ST", "ACME Store 42", "92", "0042"] in body
    assert ["ITD", "01", "3", "2", "", "10", "", "30"] in body and ["DTM", "011", "20240503"] in body
    assert [
        "IT1",
        "2",
        "4",
        "EA",
        "3.335",
        "",
        "UP",
        "012345678912",
        "BP",
        "ACME-55502",
        "VN",
        "SKU-1002",
    ] in body
    assert body[-2:] == [["TDS", "2584"], ["CTT", "2"]]  # 10 x 1.25 + 4 x 3.335 = 25.84
    assert not any(r[0] == "CUR" for r in body)
    cad = replace(sample_810(), currency="CAD")
    assert ["CUR", "SE", "CAD"] in rows(build_810(cad, ACME))
    accepted(write_interchange(ACME, Sequence(), NOW, [build_810(cad, ACME)]))


def test_810_from_an_order_bills_what_shipped() -> None:
    shipment = Shipment(
        shipment_no="SH-9",
        order_no="ACME-PO1001",
        ship_date=date(2024, 5, 3),
        lines=[ShipmentLine(line_no=1, sku="SKU-1001", quantity=Quantity(value=D(6)))],
    )
    invoice = Invoice.from_order(
        order(),
        invoice_no="INV-1",
        invoice_date=date(2024, 5, 4),
        shipment=shipment,
        remit_to=Party("RE", "Commerce Hub Inc."),
        terms_net_days=30,
    )
    assert [(line.sku, line.quantity) for line in invoice.lines] == [
        ("SKU-1001", D(6))
    ] and invoice.total == D("7.5")
    body = rows(build_810(invoice, ACME))
    assert (
        ["TDS", "750"] in body
        and ["DTM", "011", "20240503"] in body
        and ["ITD", "01", "3", "", "", "", "", "30"] in body
    )
    accepted(write_interchange(ACME, Sequence(), NOW, [build_810(invoice, ACME)]))
    unpriced = order().model_copy(
        update={"lines": [order().lines[0].model_copy(update={"unit_price": None})]}
    )
    with pytest.raises(RecordRejected, match="no price"):
        Invoice.from_order(unpriced, invoice_no="INV-2", invoice_date=date(2024, 5, 4))


def test_846_items_and_split_over_sets() -> None:
    [ts] = build_846(sample_846(), ACME)
    body = rows(ts)
    assert body[0] == ["BIA", "00", "DD", "INV20240502", "20240502"]
    assert body[1:6] == [
        ["LIN", "1", "UP", "012345678905", "BP", "ACME-55501", "VN", "SKU-1001"],
        ["QTY", "33", "120", "EA"],
        ["LIN", "2", "UP", "012345678912", "BP", "ACME-55502", "VN", "SKU-1002"],
        ["DTM", "018", "20240509"],
        ["QTY", "33", "0", "EA"],
    ]
    assert body[-1] == ["CTT", "3"]
    sets = build_846(sample_846(5), ACME, max_items=2)
    assert [rows(s)[-1] for s in sets] == [["CTT", "2"], ["CTT", "2"], ["CTT", "1"]]
    assert [rows(s)[1][1] for s in sets] == ["1", "1", "1"] and {s.reference for s in sets} == {"INV20240502"}
    out = write_interchange(ACME, Sequence(), NOW, sets)
    assert [len(g.sets) for g in out.groups] == [3]
    accepted(out)


def test_846_from_stock_levels() -> None:
    def level(
        sku: str, wh: str, on_hand: int, reserved: int | None = None, available: int | None = None
    ) -> StockLevel:
        return StockLevel(
            sku=sku,
            warehouse=wh,
            on_hand=Quantity(value=D(on_hand)),
            reserved=Quantity(value=D(reserved)) if reserved is not None else None,
            available=Quantity(value=D(available)) if available is not None else None,
        )

    levels = [
        level("SKU-1001", "main", 10, 4),
        level("SKU-1001", "east", 0, available=7),
        level("SKU-1002", "main", 1, 5),
        level("SKU-1003", "other", 9),
    ]
    advice = InventoryAdvice.from_stock(
        levels, report_no="R1", report_date=date(2024, 5, 2), warehouses=["main", "east"]
    )
    assert [(i.sku, i.available) for i in advice.items] == [("SKU-1001", D(13)), ("SKU-1002", D(0))]
    only = InventoryAdvice.from_stock(levels, report_no="R1", report_date=date(2024, 5, 2), skus=["SKU-1003"])
    assert [(i.sku, i.available) for i in only.items] == [("SKU-1003", D(9))]


def test_the_partner_qualifiers_and_ids_are_theirs() -> None:
    items = partner_items(NORTHWIND)
    assert items.id_pairs(items.ids("SKU-1001")) == ["UP", "012345678905", "SK", "NW-A1", "VP", "SKU-1001"]
    assert items.id_pairs(items.ids("SKU-1002")) == ["SK", "NW-A2", "VP", "SKU-1002"]
    assert items.id_pairs(items.ids("SKU-NEW")) == ["VP", "SKU-NEW"]
    assert partner_items(NORTHWIND) is items
    assert items.ship_to_code(Address(location_code="DC01")) == "DC01"
    assert items.ship_to_code(Address(line1="500 Harbor Rd", postal_code="98421")) == "DC01"
    assert items.ship_to_code(Address(line1="1 Elsewhere", postal_code="10001")) is None


def test_items_not_in_the_crosswalk_still_make_valid_documents() -> None:
    advice = InventoryAdvice("R", date(2024, 5, 2), (InventoryItem("NOT-MAPPED", D(3)),))
    [ts] = build_846(advice, ACME)
    assert rows(ts)[1] == ["LIN", "1", "VN", "NOT-MAPPED"]
    accepted(write_interchange(ACME, Sequence(), NOW, [ts]))


def test_a_5000_sku_846_is_one_valid_set() -> None:
    advice = sample_846(5000)
    [ts] = build_846(advice, ACME)
    out = write_interchange(ACME, Sequence(), NOW, [ts])
    _, result = accepted(out, reference=False)
    [(_, _, txn)] = result.transactions()
    assert (
        txn.set_id == "846"
        and rows(ts)[-1] == ["CTT", "5000"]
        and out.groups[0].sets[0].segment_count == 10_005
    )


def test_a_ship_to_without_a_partner_code_is_printed_as_an_address() -> None:
    address = Address(
        name="Pop-up Store",
        line1="9 Side St",
        line2="Unit 4",
        city="Peoria",
        region="IL",
        postal_code="61602",
        country="US",
    )
    invoice = replace(
        sample_810(),
        parties=(
            Party("ST", "Pop-up Store", address=address),
            Party("BT", "Region", address=Address(region="Illinois")),
        ),
    )
    body = rows(build_810(invoice, ACME))
    assert body[1:5] == [
        ["N1", "ST", "Pop-up Store"],
        ["N3", "9 Side St", "Unit 4"],
        ["N4", "Peoria", "IL", "61602", "US"],
        ["N1", "BT", "Region"],
    ]
    accepted(write_interchange(ACME, Sequence(), NOW, [build_810(invoice, ACME)]))
