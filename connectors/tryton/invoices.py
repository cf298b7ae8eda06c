"""Customer invoices of a sale: Tryton creates them per the sale's invoice method, the hub posts them.

``order``: one invoice for the whole sale when it is processed (confirmation). ``fulfillment``: an
invoice per shipment, for what was shipped, created when the shipment is done. ``manual``: none until
someone asks in Tryton. A return sale (negative lines) gets a credit note the same way. Drafts with
lines are posted here (``account.invoice.post``: number, accounting move, state *posted*); Tryton
marks them *paid* once the receivable is reconciled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.tryton.refs import Refs
from connectors.tryton.sale_docs import press, read_sales
from hub.workflows.ports import ErpInvoice

MODEL = "account.invoice"
FIELDS = ("number", "state", "type", "total_amount", "tax_amount", "currency", "invoice_date", "lines")
READY = ("draft", "validated")


def _read(refs: Refs, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = refs.client.read(MODEL, ids, FIELDS)
    return sorted(rows, key=lambda r: r["id"])


def invoices(refs: Refs, reference: str) -> list[ErpInvoice]:
    """The invoices of the sales of ``reference`` (none when there is no such sale), drafts posted."""
    sales = read_sales(refs.client, reference)
    ids = sorted({i for s in sales for i in s.get("invoices") or []})
    rows = _read(refs, ids)
    ready = [r["id"] for r in rows if r["state"] in READY and r["lines"]]
    if ready:
        press(refs.client, MODEL, "post", ready, f"posting the invoices of {reference}")
        rows = _read(refs, ids)
    return [
        ErpInvoice(
            invoice_id=r["id"],
            number=r["number"] or None,
            sale_reference=reference,
            state=r["state"],
            total=Decimal(r["total_amount"] or 0),
            tax=Decimal(r["tax_amount"] or 0),
            currency=refs.currency_codes.get(r["currency"], str(r["currency"])),
            invoice_date=r["invoice_date"],
        )
        for r in rows
    ]
