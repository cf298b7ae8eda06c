"""Outbound X12: 855 / 856 / 810 / 846 built from hub objects, enveloped for a partner, and the partner's
997 / 999 / TA1 read back and settled against what was sent.

    sets = [build_856(ShipNotice.from_shipment(shipment, order, company_prefix=..., serial=...), profile)]
    out = write_interchange(profile, numbers, now, sets)      # out.data -> SFTP; out.sets() -> track
    outcomes = reconcile(out, read_acks(ack_bytes).interchanges)
"""

from connectors.x12.outbound.ack_reader import (
    AckFile,
    AckInterchange,
    ElementNote,
    GroupAck,
    SegmentNote,
    SetAck,
    TA1Ack,
    read_acks,
)
from connectors.x12.outbound.builders import MAX_846_ITEMS, build_810, build_846, build_855, build_856
from connectors.x12.outbound.documents import (
    AckLine,
    Carton,
    InventoryAdvice,
    InventoryItem,
    Invoice,
    InvoiceLine,
    OrderAcknowledgment,
    Party,
    ShipItem,
    ShipNotice,
)
from connectors.x12.outbound.interchange import (
    FUNCTIONAL_IDS,
    Outbound,
    SentGroup,
    SentSet,
    TransactionSet,
    write_interchange,
)
from connectors.x12.outbound.items import (
    ItemIds,
    PartnerItems,
    carrier_scac,
    gs1_check_digit,
    partner_items,
    sscc18,
    sscc_label,
)
from connectors.x12.outbound.tracking import PENDING, SetOutcome, reconcile

__all__ = [
    "FUNCTIONAL_IDS",
    "MAX_846_ITEMS",
    "PENDING",
    "AckFile",
    "AckInterchange",
    "AckLine",
    "Carton",
    "ElementNote",
    "GroupAck",
    "InventoryAdvice",
    "InventoryItem",
    "Invoice",
    "InvoiceLine",
    "ItemIds",
    "OrderAcknowledgment",
    "Outbound",
    "PartnerItems",
    "Party",
    "SegmentNote",
    "SentGroup",
    "SentSet",
    "SetAck",
    "SetOutcome",
    "ShipItem",
    "ShipNotice",
    "TA1Ack",
    "TransactionSet",
    "build_810",
    "build_846",
    "build_855",
    "build_856",
    "carrier_scac",
    "gs1_check_digit",
    "partner_items",
    "read_acks",
    "reconcile",
    "sscc18",
    "sscc_label",
    "write_interchange",
]
