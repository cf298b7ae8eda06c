"""Reading the sales behind one hub reference, and pressing Tryton's workflow buttons safely.

A Tryton sale has one warehouse, so an order the hub splits over two warehouses is two sales with the
same ``reference`` (the hub order number; the RMA number for a return). The hub tracks the order as
one :class:`ErpSale`: the sales are folded together (ids of every shipment and invoice, the total,
the least advanced state).

Buttons are sent once (``idempotent=False``): pressing one twice is refused by Tryton ("You can not
call ..."), so the flows read the state first and press only what the state allows; an answer lost
in transit surfaces as ``RetriableError`` and the whole operation is replayed from the states.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.tryton.client import TrytonClient
from connectors.tryton.refs import refused
from hub.errors import RemoteRejected
from hub.workflows.ports import ErpSale

SALE_FIELDS = (
    "number", "reference", "state", "warehouse", "party", "currency", "total_amount", "shipments",
    "shipment_returns", "invoices", "invoice_method", "shipment_state", "invoice_state", "sale_date",
)  # fmt: skip
LINE_FIELDS = ("sale", "product", "product.code", "quantity", "unit", "unit_price", "moves")
PROGRESS = ("draft", "quotation", "confirmed", "processing", "done")


def read_sales(client: TrytonClient, reference: str) -> list[dict[str, Any]]:
    """Every sale carrying ``reference`` but the cancelled ones, oldest first."""
    return client.search_read(
        "sale.sale",
        [("reference", "=", reference), ("state", "!=", "cancelled")],
        SALE_FIELDS,
        order=[("id", "ASC")],
    )


def require_sales(client: TrytonClient, reference: str) -> list[dict[str, Any]]:
    sales = read_sales(client, reference)
    if not sales:
        raise RemoteRejected(f"no sale with reference {reference!r} in Tryton")
    return sales


def sale_lines(client: TrytonClient, sale_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not sale_ids:
        return []
    return client.search_read(
        "sale.line", [("sale", "in", list(sale_ids)), ("type", "=", "line")], LINE_FIELDS,
        order=[("sale", "ASC"), ("sequence", "ASC"), ("id", "ASC")],
    )  # fmt: skip


def fold(reference: str, sales: Sequence[dict[str, Any]]) -> ErpSale:
    """One ErpSale for the sales of one reference."""
    states = [s["state"] for s in sales]
    live = [s for s in states if s in PROGRESS]
    state = min(live, key=PROGRESS.index) if live else (states[0] if states else "cancelled")
    numbers = [s["number"] for s in sales if s.get("number")]
    totals = [s["total_amount"] for s in sales if s.get("total_amount") is not None]
    shipments = sorted(
        {i for s in sales for i in (s.get("shipments") or []) + (s.get("shipment_returns") or [])}
    )
    invoices = sorted({i for s in sales for i in s.get("invoices") or []})
    return ErpSale(
        sale_id=int(sales[0]["id"]),
        number=", ".join(numbers) or None,
        reference=reference,
        state=state,
        total=sum(totals, Decimal(0)) if totals else None,
        shipment_ids=tuple(shipments),
        invoice_ids=tuple(invoices),
    )


def press(client: TrytonClient, model: str, button: str, ids: Sequence[int], what: str) -> Any:
    """Press a workflow button on ``ids`` once; Tryton's refusal becomes RemoteRejected."""
    if not ids:
        return None
    with refused(what):
        return client.call(f"model.{model}.{button}", list(ids), idempotent=False)


def advance_sales(client: TrytonClient, reference: str, *, confirm: bool) -> list[dict[str, Any]]:
    """Quote drafts; with ``confirm``, confirm quotations and process what is confirmed (Tryton
    processes on confirm unless a processing delay is configured: then it is done here)."""
    sales = require_sales(client, reference)
    drafts = [s["id"] for s in sales if s["state"] == "draft"]
    press(client, "sale.sale", "quote", drafts, f"quoting sale {reference}")
    if not confirm:
        return read_sales(client, reference) if drafts else sales
    sales = read_sales(client, reference) if drafts else sales
    quotations = [s["id"] for s in sales if s["state"] == "quotation"]
    press(client, "sale.sale", "confirm", quotations, f"confirming sale {reference}")
    sales = read_sales(client, reference) if quotations else sales
    confirmed = [s["id"] for s in sales if s["state"] == "confirmed"]
    press(client, "sale.sale", "process", confirmed, f"processing sale {reference}")
    return read_sales(client, reference) if confirmed else sales
