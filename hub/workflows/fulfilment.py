"""After approval and allocation: the ERP sale, the 3PL request, the shop and the customer, then shipments and
invoices as they come back. The process manager of order to cash (DESIGN section 4).

Every step is idempotent by a natural key the other system keeps (sale reference = order number, 3PL request id,
shipment number, invoice number, mail key), and the order's state says which steps are done, so ``start`` and
``on_shipment`` can be re-driven after any crash or fault: a step already done is skipped or repeated harmlessly.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from hub.engine.stats import utcnow
from hub.errors import FatalError
from hub.faultpoints import reached
from hub.models import Order, Shipment
from hub.store import Store
from hub.workflows.ports import (
    ErpInvoice,
    ErpOrders,
    FulfilmentLine,
    FulfilmentRequest,
    LinePlan,
    Mailer,
    ShopOrders,
    ThreePL,
)
from hub.workflows.states import OrderState, get_order, load_state, transition, transition_in

log = logging.getLogger("hub.workflows.fulfilment")
S = OrderState
READY_TAG = "ready-to-ship"


class EdiEvents(Protocol):
    """What the EDI side wants to hear (``hub.edi.notify.EdiNotifier``); None for orders not from a partner."""

    def acknowledged(self, order: Order, plan: Sequence[LinePlan], today: date) -> Any: ...

    def shipped(self, order: Order, shipment: Shipment, today: date) -> Any: ...

    def invoiced(self, order: Order, invoice: ErpInvoice, shipment: Shipment | None = None) -> Any: ...


@dataclass
class Systems:
    erp: ErpOrders
    threepl: Callable[[str], ThreePL | None]  # warehouse code -> its 3PL (None: the ERP's own warehouse)
    shop: ShopOrders | None = None
    mailer: Mailer | None = None
    edi: EdiEvents | None = None


class OrderFulfilment:
    def __init__(self, store: Store, systems: Systems, *, run_id: str, shop_system: str = "shop") -> None:
        self.store, self.sys, self.run_id, self.shop_system = store, systems, run_id, shop_system

    # -- approved and allocated -> ready to ship ---------------------------------------------------------
    def start(self, order: Order, plan: Sequence[LinePlan]) -> None:
        """The order processor's next step: sale, confirmation, 3PL requests, shop tag, confirmation mail."""
        self._start(order, plan, self._state(order.order_no))

    def _start(self, order: Order, plan: Sequence[LinePlan], state: OrderState) -> None:
        """``start`` from ``state``, the order's state as just read or just written by this process."""
        order_no = order.order_no
        if state in (S.allocated, S.backordered):
            sale = self.sys.erp.create_sale(order, plan)
            reached("order.sale.created")
            self._move(order_no, S.quoted, f"ERP sale {sale.number or sale.sale_id} quoted", erp_sale_id=sale.sale_id,
                       erp_sale_number=sale.number)  # fmt: skip
            state = S.quoted
        if state is S.quoted:
            sale = self.sys.erp.confirm_sale(order_no)
            edi = self._edi(lambda e: e.acknowledged(order, plan, utcnow().date()))
            reached("order.sale.confirmed")
            self._move(order_no, S.confirmed, f"ERP sale {sale.number or sale.sale_id} confirmed",
                       erp_state=sale.state, erp_shipments=list(sale.shipment_ids), **edi)  # fmt: skip
            state = S.confirmed
        if state is S.confirmed:
            requests = self._request_fulfilment(order, plan)
            if order.channel == "shop" and self.sys.shop is not None:
                self.sys.shop.add_tags(order_no, [READY_TAG])
            self._mail(order, "confirmation", f"Your order {order_no} is confirmed",
                       _confirmation_text(order, plan))  # fmt: skip
            reached("order.requests.sent")
            self._move(order_no, S.ready_to_ship, f"{len(requests)} fulfilment request(s) sent",
                       fulfilment_requests=requests)  # fmt: skip

    def start_many(self, items: Sequence[tuple[Order, Sequence[LinePlan]]]) -> None:
        """``start`` for a batch: the ERP sales created, quoted and confirmed with a few calls for all (when
        the ERP offers ``create_sales`` / ``confirm_sales``), each order's state recorded, then the 3PL
        requests and the rest order by order through ``start``. Idempotent like ``start``; a fault leaves
        every order in a state ``start`` goes on from."""
        erp = self.sys.erp
        states = self._states([order.order_no for order, _ in items])
        moved: set[str] = set()  # orders whose state this call wrote: no need to read it again
        create = [(o, p) for o, p in items if states[o.order_no] in (S.allocated, S.backordered)]
        if len(create) > 1 and hasattr(erp, "create_sales"):
            sales = erp.create_sales(create)
            moves = []
            for order, _ in create:
                sale = sales[order.order_no]
                reached("order.sale.created")
                moves.append((order.order_no, S.quoted, f"ERP sale {sale.number or sale.sale_id} quoted",
                              {"erp_sale_id": sale.sale_id, "erp_sale_number": sale.number}))  # fmt: skip
            self._move_all(moves)
            states.update({order.order_no: S.quoted for order, _ in create})
            moved.update(order.order_no for order, _ in create)
        quoted = [(o, p) for o, p in items if states[o.order_no] is S.quoted]
        if len(quoted) > 1 and hasattr(erp, "confirm_sales"):
            sales = erp.confirm_sales([o.order_no for o, _ in quoted])
            moves = []
            for order, plan in quoted:
                sale = sales[order.order_no]
                edi = self._edi(lambda e, o=order, p=plan: e.acknowledged(o, p, utcnow().date()))
                reached("order.sale.confirmed")
                moves.append((order.order_no, S.confirmed, f"ERP sale {sale.number or sale.sale_id} confirmed",
                              {"erp_state": sale.state, "erp_shipments": list(sale.shipment_ids), **edi}))  # fmt: skip
            self._move_all(moves)
            states.update({order.order_no: S.confirmed for order, _ in quoted})
            moved.update(order.order_no for order, _ in quoted)
        for order, plan in items:
            known = order.order_no in moved
            self._start(order, plan, states[order.order_no] if known else self._state(order.order_no))

    def _request_fulfilment(self, order: Order, plan: Sequence[LinePlan]) -> list[str]:
        by_warehouse: dict[str, list[FulfilmentLine]] = defaultdict(list)
        for line in plan:
            for a in line.allocations:
                by_warehouse[a.warehouse].append(FulfilmentLine(line.line_no, line.sku, a.quantity))
        if order.ship_to is None:
            raise FatalError(f"order {order.order_no} has no shipping address")  # validation should stop this
        sent = []
        for warehouse, lines in sorted(by_warehouse.items()):
            threepl = self.sys.threepl(warehouse)
            if threepl is None:
                continue  # shipped by the ERP's own warehouse staff
            request = FulfilmentRequest(f"{order.order_no}-{warehouse}", order.order_no, warehouse, order.ship_to,
                                        tuple(lines))  # fmt: skip
            threepl.send_fulfilment(request)
            sent.append(request.request_id)
        return sent

    # -- shipments and invoices --------------------------------------------------------------------------
    def on_shipment(self, shipment: Shipment) -> OrderState:
        """A 3PL shipment confirmation: ERP shipment, shop fulfilment, ASN, mail; then invoices."""
        record = get_order(self.store, shipment.order_no)
        if record is None or record.order is None:
            raise FatalError(f"shipment {shipment.shipment_no} is for unknown order {shipment.order_no}")
        order = Order.model_validate(record.order)
        shipped: dict[str, dict[str, str]] = dict(record.data.get("shipments") or {})
        if shipment.shipment_no not in shipped:
            self.sys.erp.ship(order.order_no, shipment)
            reached("order.shipment.applied")
            if order.channel == "shop" and self.sys.shop is not None:
                self.sys.shop.fulfil(order.order_no, shipment)
            edi = self._edi(lambda e: e.shipped(order, shipment, utcnow().date()))
            self._mail(order, f"shipped:{shipment.shipment_no}", f"Your order {order.order_no} has shipped",
                       _shipped_text(order, shipment))  # fmt: skip
            shipped[shipment.shipment_no] = {
                str(line.order_line_no or line.line_no): str(line.quantity.value) for line in shipment.lines
            }
            complete = _complete(order, shipped)
            self._move(order.order_no, S.shipped if complete else S.partially_shipped,
                       f"shipment {shipment.shipment_no} ({', '.join(shipment.tracking_numbers) or 'no tracking'})",
                       data={"shipments": shipped}, shipment_no=shipment.shipment_no,
                       tracking=list(shipment.tracking_numbers), **edi)  # fmt: skip
        return self.collect_invoices(order.order_no, shipment)

    def collect_invoices(self, order_no: str, shipment: Shipment | None = None) -> OrderState:
        """Record the ERP's invoices of the order (and send 810s); close it when shipped and invoiced."""
        record = get_order(self.store, order_no)
        assert record is not None and record.order is not None
        order = Order.model_validate(record.order)
        known: dict[str, Any] = dict(record.data.get("invoices") or {})
        if record.state not in (S.partially_shipped, S.shipped, S.invoiced):
            return record.state  # invoices are recorded once something shipped
        invoices = self.sys.erp.invoices(order_no)
        new = [i for i in invoices if i.number and i.number not in known and i.state in ("posted", "paid")]
        waiting = [i for i in invoices if i.state not in ("posted", "paid", "cancelled")]
        edi: dict[str, Any] = {}
        for invoice in new:
            edi = self._edi(lambda e, inv=invoice: e.invoiced(order, inv, shipment)) or edi
            known[invoice.number] = {"total": str(invoice.total), "currency": invoice.currency,
                                     "state": invoice.state, "date": str(invoice.invoice_date)}  # fmt: skip
        state = record.state
        if new:
            numbers = ", ".join(f"{i.number} {i.total} {i.currency}" for i in new)
            self._move(order_no, S.invoiced, f"invoice {numbers}", data={"invoices": known},
                       invoices=[i.number for i in new], **edi)  # fmt: skip
            state = S.invoiced
        # an order invoiced when confirmed (Tryton's default) closes with its last shipment
        if known and not waiting and _complete(order, record.data.get("shipments") or {}):
            if state in (S.shipped, S.invoiced):
                self._move(order_no, S.closed, "shipped and invoiced")
                state = S.closed
        return state

    # -- helpers -------------------------------------------------------------------------------------------
    def _state(self, order_no: str) -> OrderState:
        record = get_order(self.store, order_no)
        if record is None:
            raise FatalError(f"order {order_no} is not known to the hub")
        return record.state

    def _states(self, order_nos: Sequence[str]) -> dict[str, OrderState]:
        """The states of a batch's orders, read in one transaction."""
        out: dict[str, OrderState] = {}
        with self.store.begin() as conn:
            for order_no in dict.fromkeys(order_nos):
                record = load_state(conn, order_no)
                if record is None:
                    raise FatalError(f"order {order_no} is not known to the hub")
                out[order_no] = record.state
        return out

    def _move_all(self, moves: Sequence[tuple[str, OrderState, str, Mapping[str, Any]]]) -> None:
        """``_move`` for a batch's orders in one transaction: (order, state, reason, correlation) each.
        The ERP already holds what they record, so a crash before the commit is re-driven like one
        before a single ``_move``. Rows are locked in order-number order: two processes moving
        overlapping batches queue up instead of deadlocking."""
        with self.store.begin() as conn:
            for order_no, to, reason, correlation in sorted(moves, key=lambda m: m[0]):
                transition_in(conn, order_no, to, reason=reason, run_id=self.run_id,
                              correlation={k: v for k, v in correlation.items() if v not in (None, [], {})})  # fmt: skip

    def _move(self, order_no: str, to: OrderState, reason: str, *, data: Mapping[str, Any] | None = None,
              **correlation: Any) -> None:  # fmt: skip
        transition(self.store, order_no, to, reason=reason, run_id=self.run_id,
                   correlation={k: v for k, v in correlation.items() if v not in (None, [], {})}, data=data)  # fmt: skip

    def _edi(self, send: Callable[[EdiEvents], Any]) -> dict[str, Any]:
        """Send the EDI document for an event (if the order came from a partner); its control numbers."""
        if self.sys.edi is None:
            return {}
        result = send(self.sys.edi)
        if result is None or not getattr(result, "isa_control", None):
            return {}
        return {"edi_isa13": result.isa_control, "edi_file": result.file}

    def _mail(self, order: Order, what: str, subject: str, text: str) -> None:
        if self.sys.mailer is None or not order.email:
            return
        self.sys.mailer.send(order.email, subject, text, key=f"{what}:{order.order_no}")


def _complete(order: Order, shipped: Mapping[str, Mapping[str, str]]) -> bool:
    """Has every ordered quantity shipped (over all shipments so far)?"""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for lines in shipped.values():
        for line_no, qty in lines.items():
            totals[line_no] += Decimal(qty)
    return all(totals[str(line.line_no)] >= line.quantity.value for line in order.lines)


def _confirmation_text(order: Order, plan: Sequence[LinePlan]) -> str:
    rows = [f"Thank you for your order {order.order_no}.", ""]
    for p in plan:
        short = f" ({p.backordered} on backorder)" if p.backordered else ""
        rows.append(f"  line {p.line_no}: {p.sku} x {p.ordered}{short}")
    if order.total is not None:
        rows += ["", f"Total: {order.total.amount} {order.total.currency}"]
    return "\n".join(rows) + "\n"


def _shipped_text(order: Order, shipment: Shipment) -> str:
    rows = [f"Your order {order.order_no} has shipped ({shipment.shipment_no}).", ""]
    rows += [f"  {line.sku} x {line.quantity.value}" for line in shipment.lines]
    carrier = " ".join(p for p in (shipment.carrier, shipment.service) if p)
    rows += ["", f"Carrier: {carrier or 'n/a'}", f"Tracking: {', '.join(shipment.tracking_numbers) or 'n/a'}"]
    return "\n".join(rows) + "\n"
