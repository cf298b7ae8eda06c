"""What the outbound documents are built from: small immutable inputs, with constructors from hub entities.

hub.models has Order, Shipment and StockLevel; it has no order acknowledgment, no invoice and no cartons, so
those are here. Inconsistent inputs (no lines, quantities that do not add up, a line without a price on an
invoice) are ``RecordRejected`` (stage ``translate``): the record goes to the failures table, the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from connectors.x12.outbound.items import carrier_scac
from hub.errors import RecordRejected
from hub.models.common import Address
from hub.models.entities import Order, OrderLine, Shipment, StockLevel

_ZERO = Decimal(0)


def _reject(message: str, field_name: str, raw: object = None) -> RecordRejected:
    return RecordRejected(message, stage="translate", field=field_name, raw=raw)


@dataclass(frozen=True, slots=True)
class Party:
    """An N1 loop: role (N101: ST ship-to, BT bill-to, RE remit-to, SF ship-from, SU supplier, BY buyer),
    name, the partner's location code (N104, qualifier 92) and an address when there is no code."""

    role: str
    name: str | None = None
    code: str | None = None
    address: Address | None = None
    qualifier: str = "92"


# -- 855 -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AckLine:
    """One PO line and what we do with it: accepted (IA), backordered (IB) and rejected (IR) quantities add up
    to the quantity ordered."""

    line_no: int
    sku: str
    ordered: Decimal
    accepted: Decimal
    backordered: Decimal = _ZERO
    rejected: Decimal = _ZERO
    uom: str = "EA"
    unit_price: Decimal | None = None
    ship_date: date | None = None  # ACK04 068 (current schedule ship) for what is accepted or backordered
    upc: str | None = None  # ids the partner sent on the PO line (echoed); else from the crosswalk
    buyer_part: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        parts = (self.accepted, self.backordered, self.rejected)
        if any(p < 0 for p in parts) or sum(parts) != self.ordered:
            raise _reject(
                f"line {self.line_no}: accepted {self.accepted} + backordered {self.backordered} + rejected "
                f"{self.rejected} must equal the {self.ordered} ordered",
                "lines",
            )


@dataclass(frozen=True, slots=True)
class OrderAcknowledgment:
    po_number: str
    po_date: date
    ack_date: date
    lines: Sequence[AckLine]
    order_no: str | None = None  # BAK08: our order number
    ack_type: str | None = None  # BAK02; None: AD all accepted, RD all rejected, else AC
    purpose: str = "00"  # BAK01: 00 original, 05 replace
    ship_to: Party | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise _reject(f"acknowledgment of PO {self.po_number} has no lines", "lines")

    @property
    def type_code(self) -> str:
        if self.ack_type:
            return self.ack_type
        if all(line.accepted == line.ordered for line in self.lines):
            return "AD"
        if all(line.rejected == line.ordered for line in self.lines):
            return "RD"
        return "AC"

    @classmethod
    def from_order(
        cls,
        order: Order,
        *,
        ack_date: date,
        backordered: Mapping[int, Decimal] | None = None,
        rejected: Mapping[int, Decimal] | None = None,
        ship_date: date | None = None,
    ) -> OrderAcknowledgment:
        """Everything accepted except what ``backordered`` / ``rejected`` (by line number) say."""
        back, rej = backordered or {}, rejected or {}
        lines = []
        for ol in order.lines:
            ordered = ol.quantity.value
            b, r = Decimal(back.get(ol.line_no, 0)), Decimal(rej.get(ol.line_no, 0))
            lines.append(
                AckLine(
                    ol.line_no,
                    ol.sku,
                    ordered,
                    ordered - b - r,
                    b,
                    r,
                    ol.quantity.uom,
                    ol.unit_price.amount if ol.unit_price else None,
                    ship_date,
                    ol.upc,
                    ol.buyer_part,
                    ol.description,
                )
            )
        return cls(
            _po_number(order),
            order.order_date.date() if order.order_date else ack_date,
            ack_date,
            tuple(lines),
            order_no=order.order_no,
            ship_to=Party("ST", _name(order.ship_to), address=order.ship_to) if order.ship_to else None,
        )


# -- 856 -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShipItem:
    line_no: int  # the PO line (LIN01 / SN101)
    sku: str
    quantity: Decimal
    uom: str = "EA"
    upc: str | None = None
    buyer_part: str | None = None


@dataclass(frozen=True, slots=True)
class Carton:
    """One package: its SSCC serial reference (from a persisted per-prefix sequence) and what is in it."""

    serial: int
    items: Sequence[ShipItem]
    tracking: str | None = None


@dataclass(frozen=True, slots=True)
class ShipNotice:
    shipment_no: str  # BSN02
    ship_date: date
    po_number: str
    cartons: Sequence[Carton]
    company_prefix: str  # GS1 company prefix for the SSCC-18
    scac: str | None = None  # TD503
    po_date: date | None = None
    ship_time: time | None = None
    tracking: str | None = None  # REF*CN on the shipment
    bill_of_lading: str | None = None  # REF*BM
    weight: Decimal | None = None  # TD1 gross weight
    weight_uom: str = "LB"
    service: str | None = None  # TD505 routing
    ship_to: Party | None = None
    ship_from: Party | None = None
    sscc_extension: int = 0
    purpose: str = "00"

    def __post_init__(self) -> None:
        if not self.cartons or not any(c.items for c in self.cartons):
            raise _reject(f"ship notice {self.shipment_no} has nothing in it", "lines")

    @classmethod
    def from_shipment(
        cls,
        shipment: Shipment,
        order: Order,
        *,
        company_prefix: str,
        serial: int,
        scac: str | None = None,
        ship_from: Party | None = None,
        weight: Decimal | None = None,
        ship_date: date | None = None,
    ) -> ShipNotice:
        """All shipped lines in one carton (SSCC serial ``serial``); callers with packing detail build
        ``Carton`` objects themselves. The partner's ids come from the order lines they sent."""
        shipped = shipment.ship_date or ship_date
        if shipped is None:
            raise _reject(f"shipment {shipment.shipment_no} has no ship date", "ship_date")
        by_line = {ol.line_no: ol for ol in order.lines}
        by_sku = {ol.sku: ol for ol in order.lines}
        items = []
        for sl in shipment.lines:
            ol = by_line.get(sl.order_line_no or -1) or by_sku.get(sl.sku)
            items.append(
                ShipItem(
                    ol.line_no if ol else sl.line_no,
                    sl.sku,
                    sl.quantity.value,
                    sl.quantity.uom,
                    ol.upc if ol else None,
                    ol.buyer_part if ol else None,
                )
            )
        tracking = shipment.tracking_numbers[0] if shipment.tracking_numbers else None
        ship_to = shipment.ship_to or order.ship_to
        return cls(
            shipment.shipment_no,
            shipped,
            _po_number(order),
            (Carton(serial, tuple(items), tracking),),
            company_prefix,
            scac=scac or carrier_scac(shipment.carrier),
            po_date=order.order_date.date() if order.order_date else None,
            tracking=tracking,
            weight=weight,
            service=shipment.service,
            ship_to=Party("ST", _name(ship_to), address=ship_to) if ship_to else None,
            ship_from=ship_from,
        )


# -- 810 -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal
    uom: str = "EA"
    description: str | None = None
    upc: str | None = None
    buyer_part: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_no: str
    invoice_date: date
    po_number: str
    lines: Sequence[InvoiceLine]
    po_date: date | None = None
    currency: str = "USD"
    parties: Sequence[Party] = field(default_factory=tuple)
    ship_date: date | None = None  # DTM*011
    terms_net_days: int | None = None  # ITD07
    discount_percent: Decimal | None = None  # ITD03
    discount_days: int | None = None  # ITD05

    def __post_init__(self) -> None:
        if not self.lines:
            raise _reject(f"invoice {self.invoice_no} has no lines", "lines")

    @property
    def total(self) -> Decimal:
        """TDS01: the sum of the line amounts, to the cent."""
        return sum((line.amount for line in self.lines), _ZERO)

    @classmethod
    def from_order(
        cls,
        order: Order,
        *,
        invoice_no: str,
        invoice_date: date,
        shipment: Shipment | None = None,
        remit_to: Party | None = None,
        terms_net_days: int | None = None,
    ) -> Invoice:
        """Bill what shipped (``shipment``) or, without one, what was ordered, at the order's prices."""
        by_line = {ol.line_no: ol for ol in order.lines}
        by_sku = {ol.sku: ol for ol in order.lines}
        billed: list[tuple[OrderLine, Decimal]] = []
        if shipment is not None:
            for sl in shipment.lines:
                ol = by_line.get(sl.order_line_no or -1) or by_sku.get(sl.sku)
                if ol is None:
                    raise _reject(f"shipped SKU {sl.sku} is not on order {order.order_no}", "lines")
                billed.append((ol, sl.quantity.value))
        else:
            billed = [(ol, ol.quantity.value) for ol in order.lines]
        lines = []
        for ol, qty in billed:
            if ol.unit_price is None:
                raise _reject(
                    f"order {order.order_no} line {ol.line_no} has no price to invoice", "unit_price"
                )
            lines.append(
                InvoiceLine(
                    ol.line_no,
                    ol.sku,
                    qty,
                    ol.unit_price.amount,
                    ol.quantity.uom,
                    ol.description,
                    ol.upc,
                    ol.buyer_part,
                )
            )
        parties = [p for p in (remit_to,) if p is not None]
        if order.ship_to is not None:
            parties.append(Party("ST", _name(order.ship_to), address=order.ship_to))
        return cls(
            invoice_no,
            invoice_date,
            _po_number(order),
            tuple(lines),
            po_date=order.order_date.date() if order.order_date else None,
            currency=order.currency or "USD",
            parties=tuple(parties),
            ship_date=shipment.ship_date if shipment is not None else None,
            terms_net_days=terms_net_days,
        )


# -- 846 -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InventoryItem:
    sku: str
    available: Decimal
    uom: str = "EA"
    available_date: date | None = None  # DTM*018: when a quantity not yet on hand becomes available
    upc: str | None = None
    buyer_part: str | None = None


@dataclass(frozen=True, slots=True)
class InventoryAdvice:
    report_no: str  # BIA03
    report_date: date
    items: Sequence[InventoryItem]
    report_time: time | None = None
    report_type: str = "DD"  # BIA02: DD distributor inventory report
    purpose: str = "00"

    @classmethod
    def from_stock(
        cls,
        levels: Iterable[StockLevel],
        *,
        report_no: str,
        report_date: date,
        report_time: time | None = None,
        warehouses: Iterable[str] | None = None,
        skus: Iterable[str] | None = None,
    ) -> InventoryAdvice:
        """Available quantity per SKU summed over warehouses (``available``, else on hand less reserved,
        never below zero); ``warehouses`` / ``skus`` restrict what is reported."""
        keep_wh = set(warehouses) if warehouses is not None else None
        keep_sku = set(skus) if skus is not None else None
        totals: dict[str, Decimal] = {}
        uoms: dict[str, str] = {}
        for level in levels:
            if keep_wh is not None and level.warehouse not in keep_wh:
                continue
            if keep_sku is not None and level.sku not in keep_sku:
                continue
            if level.available is not None:
                qty = level.available.value
            else:
                qty = level.on_hand.value - (level.reserved.value if level.reserved else _ZERO)
            totals[level.sku] = totals.get(level.sku, _ZERO) + qty
            uoms.setdefault(level.sku, level.on_hand.uom)
        items = tuple(InventoryItem(sku, max(qty, _ZERO), uoms[sku]) for sku, qty in totals.items())
        return cls(report_no, report_date, items, report_time)


def _po_number(order: Order) -> str:
    return order.po_number or order.order_no


def _name(address: Address | None) -> str | None:
    if address is None:
        return None
    return address.name or address.company
