"""Hub events -> EDI documents for orders that came from a trading partner: 855 when the ERP confirms the sale,
856 when it ships, 810 when it is invoiced (the message translator between the order flow and X12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from connectors.x12.outbound.builders import build_810, build_855, build_856
from connectors.x12.outbound.documents import Invoice, OrderAcknowledgment, ShipNotice
from connectors.x12.outbound.interchange import TransactionSet
from connectors.x12.partners import PartnerProfile
from hub.edi.control import StoreControlNumbers
from hub.edi.outbound import EdiSender, SendResult
from hub.edi.service import EdiService
from hub.models import Order, Shipment
from hub.workflows.ports import ErpInvoice, LinePlan


class EdiNotifier:
    def __init__(self, service: EdiService) -> None:
        self.service = service
        self.company_prefix = service.config.edi.gs1_company_prefix

    def partner_for(self, order: Order) -> PartnerProfile | None:
        """The partner an order came from: an EDI order whose number carries the profile's prefix."""
        if order.channel != "edi":
            return None
        for profile in self.service.profiles.values():
            if order.order_no.startswith(f"{profile.prefix}-") and (
                profile.customer_no is None or profile.customer_no == order.customer_no
            ):
                return profile
        return None

    def _send(self, profile: PartnerProfile, set_id: str, built: TransactionSet, order_no: str) -> SendResult:
        sets = [built]
        return EdiSender(self.service.store, self.service.mailbox(profile.partner)).send(
            sets, order_no=order_no
        )

    def acknowledged(self, order: Order, plan: Sequence[LinePlan], today: date) -> SendResult | None:
        profile = self.partner_for(order)
        if profile is None or "855" not in profile.documents.outbound:
            return None
        backordered = {p.line_no: p.backordered for p in plan if p.backordered}
        rejected = {p.line_no: p.ordered for p in plan if p.status == "rejected"}
        for line_no in rejected:
            backordered.pop(line_no, None)
        doc = OrderAcknowledgment.from_order(
            order, ack_date=today, backordered=backordered, rejected=rejected
        )
        return self._send(profile, "855", build_855(doc, profile), order.order_no)

    def shipped(self, order: Order, shipment: Shipment, today: date) -> SendResult | None:
        profile = self.partner_for(order)
        if profile is None or "856" not in profile.documents.outbound:
            return None
        # SSCCs are unique per GS1 company prefix, not per partner: one sequence for all our labels
        serial = StoreControlNumbers(self.service.store, f"gs1:{self.company_prefix}").next("sscc")
        notice = ShipNotice.from_shipment(
            shipment, order, company_prefix=self.company_prefix, serial=serial, ship_date=today
        )
        return self._send(profile, "856", build_856(notice, profile), order.order_no)

    def invoiced(
        self, order: Order, invoice: ErpInvoice, shipment: Shipment | None = None
    ) -> SendResult | None:
        profile = self.partner_for(order)
        if profile is None or "810" not in profile.documents.outbound or not invoice.number:
            return None
        doc = Invoice.from_order(
            order,
            invoice_no=invoice.number,
            invoice_date=invoice.invoice_date or date.today(),
            shipment=shipment,
        )
        return self._send(profile, "810", build_810(doc, profile), order.order_no)
