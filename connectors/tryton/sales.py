"""Order to cash in Tryton: ``TrytonOrders`` implements the hub's ``ErpOrders`` port.

Sales are keyed by ``reference`` = the hub order number. Tryton gives a sale one warehouse (its lines
take the sale's), so a plan that allocates from two warehouses becomes one sale per warehouse, all with
the same reference; ``sale()`` and ``confirm_sale()`` treat them as one (see ``sale_docs.fold``) and
``sales()`` lists them apart. Every operation reads what exists first, so a replay after a crash or a
lost answer converges instead of duplicating. Shipments, invoices, returns and purchase requests live
in their own modules; this one creates and confirms sales and answers price and stock questions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.tryton import invoices as invoice_flow
from connectors.tryton import purchases, returns, shipments
from connectors.tryton.client import TrytonClient
from connectors.tryton.refs import Refs, quantity, refused
from connectors.tryton.sale_docs import SALE_FIELDS, advance_sales, fold, press, read_sales, require_sales
from hub.errors import RemoteRejected
from hub.models import Order, OrderLine, Return, Shipment
from hub.workflows.ports import Allocation, ErpInvoice, ErpSale, LinePlan

PRICE_PLACES = Decimal("0.0001")  # Tryton's price digits
CREATE_CHUNK = 50  # sales per create call: SQLite holds its write lock for the whole call
LIGHT_FIELDS = ("number", "reference", "state", "warehouse")  # no computed fields: cheap to read in bulk
INVOICE_METHODS = ("order", "fulfillment", "manual")


class TrytonOrders:
    """The ERP side of order to cash on one Tryton database (see ``hub.workflows.ports.ErpOrders``).

    ``invoice_method`` overrides Tryton's choice for new sales (the party's, else the sale
    configuration's: ``order`` in a fresh Tryton); ``fulfillment`` invoices what has shipped.
    """

    def __init__(self, client: TrytonClient, *, invoice_method: str | None = None) -> None:
        if invoice_method is not None and invoice_method not in INVOICE_METHODS:
            raise ValueError(f"invoice_method must be one of {', '.join(INVOICE_METHODS)}")
        self.client = client
        self.refs = Refs(client)
        self.invoice_method = invoice_method

    # -- questions ------------------------------------------------------------------------------------
    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        """Tryton's sale price per SKU (``sale_price_uom``); for a customer with a sale price list
        (module ``sale_price_list``), that list's price for one unit, else the list price. Like an
        unknown SKU, an unknown customer is no error here: it gets the list price (order validation
        asks ``customer_exists`` separately)."""
        party = self.refs.party(customer_no)
        products = self.refs.products(skus)
        quantities = {sku: Decimal(0) for sku in products}
        return self._erp_prices(products, party, quantities)

    def _erp_prices(
        self,
        products: dict[str, dict[str, Any]],
        party: dict[str, Any] | None,
        quantities: dict[str, Decimal],
    ) -> dict[str, Decimal]:
        """Price per SKU for the quantity given (a price list may have quantity breaks)."""
        context: dict[str, Any] = {}
        if party is not None:
            context["customer"] = party["id"]
            if party.get("sale_price_list"):
                context["price_list"] = party["sale_price_list"]
        by_quantity: dict[Decimal, dict[int, str]] = defaultdict(dict)
        for sku, qty in quantities.items():
            by_quantity[qty][products[sku]["id"]] = sku
        out: dict[str, Decimal] = {}
        for qty, ids in by_quantity.items():
            ctx = {**context, "quantity": quantity(qty)}
            rows = self.client.read("product.product", list(ids), ["sale_price_uom"], context=ctx)
            out.update(
                {ids[r["id"]]: r["sale_price_uom"] for r in rows if r.get("sale_price_uom") is not None}
            )
        return out

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        """Forecast quantity per SKU per warehouse code: on hand plus every planned move, so stock
        already promised to confirmed sales is not offered twice."""
        products = self.refs.products(skus)
        out: dict[str, dict[str, Decimal]] = {code: {} for code in products}
        if not products:
            return out
        ids = {p["id"]: code for code, p in products.items()}
        for wh in self.refs.warehouses.values():
            context = {"locations": [wh.id], "with_childs": True}
            rows = self.client.read("product.product", list(ids), ["forecast_quantity"], context=context)
            for row in rows:
                out[ids[row["id"]]][wh.code] = Decimal(str(row["forecast_quantity"] or 0))
        return out

    def customer_exists(self, customer_no: str) -> bool:
        return self.refs.party(customer_no) is not None

    def sale(self, reference: str) -> ErpSale | None:
        sales = read_sales(self.client, reference)
        return fold(reference, sales) if sales else None

    def sales(self, reference: str) -> list[ErpSale]:
        """Each Tryton sale of ``reference`` on its own (one per warehouse), keyed in ``reference``
        as ``<reference>@<warehouse code>``."""
        return [
            fold(f"{reference}@{self.refs.warehouse_code(s['warehouse'])}", [s])
            for s in read_sales(self.client, reference)
        ]

    # -- sales ----------------------------------------------------------------------------------------
    def create_sale(self, order: Order, plan: Sequence[LinePlan], *, quote_only: bool = False) -> ErpSale:
        """One sale per warehouse of the plan, each line an allocation, then quoted.

        A replay finds the sales by reference and only finishes what is missing (a warehouse's sale,
        the quote); it does not rewrite lines of a sale that exists. ``quote_only`` (a request for
        quote): lines the plan did not allocate are quoted whole from the first warehouse.
        """
        reference = order.order_no
        party = self.refs.require_party(order.customer_no)
        allocations = _allocations(plan, quote_only, self._default_warehouse(plan))
        if not allocations:
            raise RemoteRejected(f"order {reference}: nothing allocated to any warehouse, no sale to create")
        products = self.refs.require_products([a.sku for a in allocations])
        by_warehouse: dict[str, list[Allocation]] = defaultdict(list)
        for allocation in allocations:
            by_warehouse[allocation.warehouse].append(allocation)
        warehouses = {code: self.refs.warehouse(code) for code in by_warehouse}
        existing = {s["warehouse"] for s in read_sales(self.client, reference)}
        todo = [code for code in sorted(by_warehouse) if warehouses[code].id not in existing]
        if todo:
            header = self._header(order, party, quote_only)
            prices = self._prices(order, allocations, products, party)
            for code in todo:
                values = {**header, "warehouse": warehouses[code].id}
                values["lines"] = [["create", self._lines(order, by_warehouse[code], products, prices)]]
                with refused(f"creating sale {reference} for warehouse {code}"):
                    self.client.create("sale.sale", [values])
        return fold(reference, advance_sales(self.client, reference, confirm=False))

    def create_sales(self, items: Sequence[tuple[Order, Sequence[LinePlan]]]) -> dict[str, ErpSale]:
        """``create_sale`` for many orders in a few calls (Tryton's create and quote take lists): one read
        of what exists, creates of at most ``CREATE_CHUNK`` sales, one quote. Idempotent like the single
        one: a replay creates only the warehouses' sales still missing. A refusal fails the whole call;
        the caller then goes order by order."""
        references = [order.order_no for order, _ in items]
        parties = {
            code: self.refs.require_party(code) for code in sorted({o.customer_no or "" for o, _ in items})
        }
        allocations = {}
        for order, plan in items:
            allocations[order.order_no] = _allocations(plan, False, self._default_warehouse(plan))
            if not allocations[order.order_no]:
                raise RemoteRejected(
                    f"order {order.order_no}: nothing allocated to any warehouse, no sale to create"
                )
        products = self.refs.require_products(sorted({a.sku for al in allocations.values() for a in al}))
        existing: dict[str, set[int]] = defaultdict(set)
        for sale in self._read_many(references, LIGHT_FIELDS):
            existing[sale["reference"]].add(sale["warehouse"])
        memo: dict[Any, int] = {}
        values: list[dict[str, Any]] = []
        for order, _ in items:
            by_warehouse: dict[str, list[Allocation]] = defaultdict(list)
            for allocation in allocations[order.order_no]:
                by_warehouse[allocation.warehouse].append(allocation)
            todo = [
                c for c in sorted(by_warehouse) if self.refs.warehouse(c).id not in existing[order.order_no]
            ]
            if not todo:
                continue
            party = parties[order.customer_no or ""]
            header = self._header(order, party, False, memo)
            prices = self._prices(order, allocations[order.order_no], products, party)
            for code in todo:
                lines = self._lines(order, by_warehouse[code], products, prices)
                values.append(
                    {**header, "warehouse": self.refs.warehouse(code).id, "lines": [["create", lines]]}
                )
        for start in range(0, len(values), CREATE_CHUNK):
            chunk = values[start : start + CREATE_CHUNK]
            with refused(f"creating {len(chunk)} sales ({chunk[0]['reference']}, ...)"):
                self.client.create("sale.sale", chunk)
        return self._advance_many(references, confirm=False)

    def confirm_sales(self, references: Sequence[str]) -> dict[str, ErpSale]:
        """``confirm_sale`` for many references: one confirm and one process for all their quotations."""
        return self._advance_many(references, confirm=True)

    def _read_many(
        self, references: Sequence[str], fields: Sequence[str] = SALE_FIELDS
    ) -> list[dict[str, Any]]:
        if not references:
            return []
        return self.client.search_read(
            "sale.sale", [("reference", "in", list(references)), ("state", "!=", "cancelled")], fields,
            order=[("id", "ASC")],
        )  # fmt: skip

    def _advance_many(self, references: Sequence[str], *, confirm: bool) -> dict[str, ErpSale]:
        """``advance_sales`` over many references: each button pressed once for all sales in its state."""
        sales = self._read_many(references, LIGHT_FIELDS)
        missing = sorted(set(references) - {s["reference"] for s in sales})
        if missing:
            raise RemoteRejected(f"no sale with reference {', '.join(missing[:5])} in Tryton")
        steps = [("draft", "quote")] + (
            [("quotation", "confirm"), ("confirmed", "process")] if confirm else []
        )
        for state, button in steps:
            ids = [s["id"] for s in sales if s["state"] == state]
            if ids:
                press(
                    self.client,
                    "sale.sale",
                    button,
                    ids,
                    f"{button} of {len(ids)} sales ({references[0]}, ...)",
                )
                sales = self._read_many(references, LIGHT_FIELDS)
        if confirm:  # the shipments and invoices Tryton made: read once, at the end
            sales = self._read_many(references)
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for sale in sales:
            grouped[sale["reference"]].append(sale)
        return {ref: fold(ref, grouped[ref]) for ref in references}

    def confirm_sale(self, reference: str) -> ErpSale:
        """Confirm the quotations and process them: Tryton creates the customer shipments (and the
        invoices when the method is ``order``)."""
        return fold(reference, advance_sales(self.client, reference, confirm=True))

    def _default_warehouse(self, plan: Sequence[LinePlan]) -> str:
        used = sorted({a.warehouse for p in plan for a in p.allocations})
        return used[0] if used else sorted(self.refs.warehouses)[0]

    def _header(
        self, order: Order, party: dict[str, Any], quote_only: bool, memo: dict[Any, int] | None = None
    ) -> dict[str, Any]:
        """Sale fields Tryton's client would fill from the party (RPC creates run no on_change); ``memo``
        keeps the addresses found during a batch."""
        ship_to = order.ship_to
        if ship_to is None and not quote_only:
            raise RemoteRejected(f"order {order.order_no} has no ship-to address")
        values: dict[str, Any] = {
            "company": self.refs.company,
            "party": party["id"],
            "reference": order.order_no,
            "currency": self.refs.currency(order.currency),
            # the delivery address first: without a bill-to, a party with no address invoices there
            "shipment_address": self._address(party["id"], ship_to, "delivery", memo),
            "invoice_address": self._address(party["id"], order.bill_to, "invoice", memo),
            "payment_term": party.get("customer_payment_term"),
            "description": f"PO {order.po_number}" if order.po_number else None,
            "comment": order.notes,
        }
        if order.order_date is not None:
            values["sale_date"] = order.order_date.date()
        method = self.invoice_method or party.get("sale_invoice_method")
        if method:
            values["invoice_method"] = method
        if party.get("sale_price_list"):
            values["price_list"] = party["sale_price_list"]
        if party.get("sale_shipment_method"):
            values["shipment_method"] = party["sale_shipment_method"]
        return values

    def _address(self, party_id: int, address: Any, kind: str, memo: dict[Any, int] | None) -> int:
        if memo is None:
            return self.refs.address(party_id, address, kind=kind)
        key = (party_id, kind, None if address is None else address.model_dump_json())
        if key not in memo:
            memo[key] = self.refs.address(party_id, address, kind=kind)
        return memo[key]

    def _prices(
        self,
        order: Order,
        allocations: Sequence[Allocation],
        products: dict[str, dict[str, Any]],
        party: dict[str, Any],
    ) -> dict[int, Decimal]:
        """Unit price per order line: the price the buyer was given, else Tryton's for the customer
        and the line's quantity."""
        lines = {line.line_no: line for line in order.lines}
        out: dict[int, Decimal] = {}
        for a in allocations:
            line = lines.get(a.line_no)
            if line is not None and line.unit_price is not None:
                out[a.line_no] = line.unit_price.amount
        missing: dict[Decimal, dict[int, str]] = defaultdict(dict)  # ordered quantity -> line -> SKU
        for a in allocations:
            if a.line_no not in out:
                line = lines.get(a.line_no)
                missing[line.quantity.value if line else a.quantity][a.line_no] = a.sku
        for ordered, skus in missing.items():
            erp = self._erp_prices(products, party, {sku: ordered for sku in skus.values()})
            for line_no, sku in skus.items():
                if sku not in erp:
                    raise RemoteRejected(f"order {order.order_no}: no price for {sku} in Tryton")
                out[line_no] = erp[sku]
        return out

    def _lines(
        self,
        order: Order,
        allocations: Sequence[Allocation],
        products: dict[str, dict[str, Any]],
        prices: dict[int, Decimal],
    ) -> list[dict[str, Any]]:
        lines = {line.line_no: line for line in order.lines}
        out = []
        for a in sorted(allocations, key=lambda x: (x.line_no, x.sku)):
            product = products[a.sku]
            line: OrderLine | None = lines.get(a.line_no)
            default_unit = product.get("sale_uom") or product["default_uom"]
            unit = self.refs.unit(line.quantity.uom if line else None, default_unit)
            values: dict[str, Any] = {
                "type": "line",
                "product": product["id"],
                "quantity": quantity(a.quantity),
                "unit": unit,
                "unit_price": prices[a.line_no].quantize(PRICE_PLACES),
                "description": (line.description if line else None) or None,
            }
            if 0 < a.line_no < 2**31:  # the order's line number, when it fits Tryton's sequence
                values["sequence"] = a.line_no
            taxes = product["customer_taxes"]
            if taxes:
                values["taxes"] = [["add", list(taxes)]]
            out.append(values)
        return out

    # -- the other flows ------------------------------------------------------------------------------
    def ship(self, reference: str, shipment: Shipment) -> list[int]:
        return shipments.ship(self.refs, require_sales(self.client, reference), reference, shipment)

    def invoices(self, reference: str) -> list[ErpInvoice]:
        return invoice_flow.invoices(self.refs, reference)

    def count_stock(self, warehouse: str, counts: Mapping[str, Decimal]) -> int | None:
        from connectors.tryton.counts import count_stock

        return count_stock(self.refs, warehouse, counts)

    def create_return(self, ret: Return) -> ErpSale:
        return returns.create_return(self.refs, ret, invoice_method=self.invoice_method)

    def receive_return(self, rma_no: str, lines: Sequence[tuple[str, Decimal]]) -> None:
        returns.receive_return(self.refs, rma_no, lines)

    def request_purchase(self, sku: str, warehouse: str, quantity: Decimal) -> int:
        return purchases.request_purchase(self.refs, sku, warehouse, quantity)


def _allocations(plan: Sequence[LinePlan], quote_only: bool, default_warehouse: str) -> list[Allocation]:
    """The plan's allocations (rejected lines and empty quantities left out); for a quote, lines
    without an allocation are quoted whole from ``default_warehouse``."""
    out: list[Allocation] = []
    for line in plan:
        if line.status == "rejected":
            continue
        chosen = [a for a in line.allocations if a.quantity > 0]
        if not chosen and quote_only and line.ordered > 0:
            chosen = [Allocation(line.line_no, line.sku, default_warehouse, line.ordered)]
        out.extend(chosen)
    return out
