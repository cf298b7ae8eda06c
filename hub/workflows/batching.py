"""The ERP's read-only answers for one inbox batch, asked once for the whole batch.

Deciding an order asks the ERP for prices, stock and whether the customer exists: a handful of remote
calls per order, which at a few orders a second is most of the ERP's work. ``BatchErp`` asks for every
SKU and customer of the batch at once and answers each order from that. Stock taken by an order of the
batch is subtracted (``reserve``), so two orders of one batch never get the same units. Everything
else (sales, shipments) goes straight to the ERP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from hub.models import Order
from hub.workflows.ports import ErpOrders, LinePlan


class BatchErp:
    """An ``ErpOrders`` whose questions are answered from one look-up per batch (see the module)."""

    def __init__(self, erp: ErpOrders, orders: Iterable[Order]) -> None:
        self.erp = erp
        orders = list(orders)
        self.skus = sorted({line.sku for o in orders for line in o.lines if line.sku})
        self.customers = sorted({o.customer_no for o in orders if o.customer_no})
        self._stock: dict[str, dict[str, Decimal]] | None = None
        self._prices: dict[str | None, dict[str, Decimal]] = {}
        self._known: dict[str, bool] = {}

    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        if not set(skus) <= set(self.skus):
            return self.erp.prices(skus, customer_no)
        if customer_no not in self._prices:
            self._prices[customer_no] = self.erp.prices(self.skus, customer_no)
        known = self._prices[customer_no]
        return {sku: known[sku] for sku in skus if sku in known}

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        if not set(skus) <= set(self.skus):
            return self.erp.stock(skus)
        if self._stock is None:
            self._stock = self.erp.stock(self.skus)
        return {sku: dict(self._stock[sku]) for sku in skus if sku in self._stock}

    def customer_exists(self, customer_no: str) -> bool:
        if customer_no not in self._known:
            self._known[customer_no] = self.erp.customer_exists(customer_no)
        return self._known[customer_no]

    def reserve(self, plan: Sequence[LinePlan] | None) -> None:
        """What an order of this batch was allocated is no longer there for the next one."""
        if plan is None or self._stock is None:
            return
        for line in plan:
            for a in line.allocations:
                levels = self._stock.get(a.sku)
                if levels is not None and a.warehouse in levels:
                    levels[a.warehouse] -= a.quantity

    def __getattr__(self, name: str) -> Any:
        return getattr(self.erp, name)
