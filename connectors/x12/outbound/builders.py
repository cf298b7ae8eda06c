"""855, 856, 810 and 846 bodies (the segments between ST and SE) from the inputs in ``documents``. Pure
functions: the partner profile decides the item ids and location codes printed; ``write_interchange`` adds the
envelopes. Segment order and codes follow the 004010 maps in ``connectors/x12/maps/`` (VICS usage)."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.x12.normalise import gc_paused
from connectors.x12.outbound.documents import (
    InventoryAdvice,
    InventoryItem,
    Invoice,
    OrderAcknowledgment,
    Party,
    ShipNotice,
)
from connectors.x12.outbound.interchange import TransactionSet
from connectors.x12.outbound.items import (
    PartnerItems,
    cents,
    cut,
    d8,
    hhmm,
    number,
    partner_items,
    sscc_label,
)
from connectors.x12.outbound.writer import Element
from connectors.x12.partners import PartnerProfile

Body = list[list[Element]]
MAX_846_ITEMS = 10_000  # the 846 map's LIN loop repeat: more SKUs go into further transaction sets


def build_855(ack: OrderAcknowledgment, profile: PartnerProfile) -> TransactionSet:
    """PO acknowledgment: BAK, ship-to, then per PO line PO1 (+PID) and one ACK per status (IA accepted,
    IB backordered, IR rejected) with its quantity; CTT with the line count."""
    items = partner_items(profile)
    body: Body = [
        [
            "BAK",
            ack.purpose,
            ack.type_code,
            cut(ack.po_number, 22),
            d8(ack.po_date),
            "",
            "",
            "",
            cut(ack.order_no, 30),
            d8(ack.ack_date),
        ],
    ]
    if ack.ship_to is not None:
        body += _party(ack.ship_to, items)
    for line in ack.lines:
        ids = items.id_pairs(items.ids(line.sku, line.upc, line.buyer_part))
        price = number(line.unit_price) if line.unit_price is not None else ""
        body.append(["PO1", str(line.line_no), number(line.ordered), line.uom, price, "", *ids])
        if line.description:
            body.append(["PID", "F", "", "", "", cut(line.description, 80)])
        for status, qty in (("IA", line.accepted), ("IB", line.backordered), ("IR", line.rejected)):
            if qty:
                dated = line.ship_date is not None and status != "IR"
                when = ["068", d8(line.ship_date)] if dated else []  # type: ignore[arg-type]
                body.append(["ACK", status, number(qty), line.uom, *when])
    body.append(["CTT", str(len(ack.lines))])
    return TransactionSet("855", body, ack.po_number)


def build_856(notice: ShipNotice, profile: PartnerProfile) -> TransactionSet:
    """Ship notice, pick-and-pack: shipment (S) -> order (O) -> one pack (P) per carton with its SSCC-18
    (MAN*GM) -> items (I) with LIN ids and SN1 quantities; CTT with the number of HL segments."""
    items = partner_items(profile)
    shipped = d8(notice.ship_date)
    body: Body = [
        [
            "BSN",
            notice.purpose,
            cut(notice.shipment_no, 30),
            shipped,
            hhmm(notice.ship_time) if notice.ship_time else "0000",
            "0001",
        ],
        ["DTM", "011", shipped],
        ["HL", "1", "", "S"],
    ]
    td1: list[Element] = ["TD1", "CTN25", str(len(notice.cartons))]
    if notice.weight is not None:
        td1 += ["", "", "", "G", number(notice.weight), notice.weight_uom]
    body.append(td1)
    if notice.scac or notice.service:
        scac = ["B", "2", notice.scac] if notice.scac else ["", "", ""]
        body.append(["TD5", *scac, "", cut(notice.service, 35)])
    if notice.bill_of_lading:
        body.append(["REF", "BM", cut(notice.bill_of_lading, 30)])
    if notice.tracking:
        body.append(["REF", "CN", cut(notice.tracking, 30)])
    for party in (notice.ship_to, notice.ship_from):
        if party is not None:
            body += _party(party, items)
    body += [
        ["HL", "2", "1", "O"],
        ["PRF", cut(notice.po_number, 22), "", "", d8(notice.po_date) if notice.po_date else ""],
    ]
    hl = 2
    for carton in notice.cartons:
        hl += 1
        pack = hl
        body.append(["HL", str(pack), "2", "P"])
        if carton.tracking and carton.tracking != notice.tracking:
            body.append(["REF", "CN", cut(carton.tracking, 30)])
        body.append(["MAN", "GM", sscc_label(notice.company_prefix, carton.serial, notice.sscc_extension)])
        for item in carton.items:
            hl += 1
            ids = items.id_pairs(items.ids(item.sku, item.upc, item.buyer_part))
            body += [
                ["HL", str(hl), str(pack), "I"],
                ["LIN", str(item.line_no), *ids],
                ["SN1", str(item.line_no), number(item.quantity), item.uom],
            ]
    body.append(["CTT", str(hl)])
    return TransactionSet("856", body, notice.shipment_no)


def build_810(invoice: Invoice, profile: PartnerProfile) -> TransactionSet:
    """Invoice: BIG, CUR when not the partner's currency, N1 parties, ITD terms, DTM*011 ship date, IT1 (+PID)
    per line, TDS with the total in cents, CTT with the line count."""
    items = partner_items(profile)
    body: Body = [
        [
            "BIG",
            d8(invoice.invoice_date),
            cut(invoice.invoice_no, 22),
            d8(invoice.po_date) if invoice.po_date else "",
            cut(invoice.po_number, 22),
        ],
    ]
    if invoice.currency != profile.currency:
        body.append(["CUR", "SE", invoice.currency])
    for party in invoice.parties:
        body += _party(party, items)
    if invoice.terms_net_days is not None or invoice.discount_percent is not None:
        discount = invoice.discount_percent is not None and invoice.discount_days is not None
        body.append(
            [
                "ITD",
                "01",
                "3",
                number(invoice.discount_percent) if discount else "",  # type: ignore[arg-type]
                "",
                str(invoice.discount_days) if discount else "",
                "",
                str(invoice.terms_net_days) if invoice.terms_net_days is not None else "",
            ]
        )
    if invoice.ship_date is not None:
        body.append(["DTM", "011", d8(invoice.ship_date)])
    for line in invoice.lines:
        ids = items.id_pairs(items.ids(line.sku, line.upc, line.buyer_part))
        body.append(
            ["IT1", str(line.line_no), number(line.quantity), line.uom, number(line.unit_price), "", *ids]
        )
        if line.description:
            body.append(["PID", "F", "", "", "", cut(line.description, 80)])
    body += [["TDS", cents(invoice.total)], ["CTT", str(len(invoice.lines))]]
    return TransactionSet("810", body, invoice.invoice_no)


def build_846(
    advice: InventoryAdvice, profile: PartnerProfile, *, max_items: int = MAX_846_ITEMS
) -> list[TransactionSet]:
    """Inventory advice: BIA, then per SKU LIN (the partner's UPC / buyer part, our vendor part), DTM*018 when
    a quantity becomes available later, QTY*33 available quantity; CTT. More than ``max_items`` SKUs are split
    over several sets (same BIA), so a catalog of any size stays within the map's loop limit."""
    items = partner_items(profile)
    head: list[Element] = [
        "BIA",
        advice.purpose,
        advice.report_type,
        cut(advice.report_no, 30),
        d8(advice.report_date),
        hhmm(advice.report_time) if advice.report_time else "",
    ]
    all_items = advice.items
    chunks = [all_items[i : i + max_items] for i in range(0, len(all_items), max_items)] or [all_items]
    with gc_paused():  # tens of thousands of small lists: collections would only slow the build down
        return [
            TransactionSet("846", _inventory_body(head, chunk, items), advice.report_no) for chunk in chunks
        ]


def _inventory_body(head: list[Element], chunk: Sequence[InventoryItem], items: PartnerItems) -> Body:
    body: Body = [head]
    append, ids_of, pairs = body.append, items.ids, items.id_pairs
    for n, item in enumerate(chunk, 1):
        append(["LIN", str(n), *pairs(ids_of(item.sku, item.upc, item.buyer_part))])
        if item.available_date is not None:
            append(["DTM", "018", d8(item.available_date)])
        append(["QTY", "33", number(item.available), item.uom])
    append(["CTT", str(len(chunk))])
    return body


def _party(party: Party, items: PartnerItems) -> Body:
    """N1 (name, qualifier 92 + the partner's location code) and, when no code is known, N3/N4."""
    code = party.code
    if code is None and party.role == "ST":
        code = items.ship_to_code(party.address)
    name = cut(party.name, 60)
    if not name and not code:
        return []
    out: Body = [["N1", party.role, name, party.qualifier if code else "", cut(code, 80)]]
    address = party.address
    if code is None and address is not None and (address.line1 or address.city):
        if address.line1:
            out.append(["N3", cut(address.line1, 55), cut(address.line2, 55)])
        region = address.region if address.region and len(address.region) == 2 else ""
        out.append(["N4", cut(address.city, 30), region, cut(address.postal_code, 15), address.country or ""])
    return out
