"""Builders shared by the order workflow tests: shop-shaped orders, golden records, a fake ERP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hub.engine import codec
from hub.engine.repository import Repository
from hub.store import Store

ADDRESS = {
    "name": "Ada Buyer",
    "company": "Acme Corp",
    "address1": "1 Main St",
    "city": "Chicago",
    "province_code": "IL",
    "zip": "60601",
    "country": "United States",
}


def shop_order(
    number: int = 1001,
    *,
    lines: Sequence[tuple[str, int, str]] = (("SKU-1", 2, "10.00"),),
    account: str | None = "C10001",
    email: str | None = "buyer@example.com",
    updated_at: str = "2026-11-20T10:00:00Z",
    address: dict[str, Any] | None = ADDRESS,
    cancelled_at: str | None = None,
) -> dict[str, Any]:
    """An order as the Shopify Admin API (and the shop sandbox) shows it."""
    items = [
        {
            "id": number * 1000 + i,
            "sku": sku,
            "title": sku,
            "quantity": qty,
            "price": price,
            "price_set": {"shop_money": {"amount": price, "currency_code": "USD"}},
        }
        for i, (sku, qty, price) in enumerate(lines, 1)
    ]
    total = sum(Decimal(price) * qty for _, qty, price in lines)
    order: dict[str, Any] = {
        "id": 5000000 + number,
        "name": f"#{number}",
        "email": email,
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": updated_at,
        "currency": "USD",
        "total_price": f"{total:.2f}",
        "customer": {"id": 7000 + number, "email": email, "note": f"account:{account}" if account else None},
        "line_items": items,
        "cancelled_at": cancelled_at,
        "tags": "",
    }
    if address is not None:
        order["shipping_address"] = address
    return order


def seed_golden(store: Store, entity: str, records: Sequence[dict[str, Any]], key_field: str) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "entity": entity,
            "key": r[key_field],
            "data": codec.dumps(r),
            "hash": codec.content_hash(r),
            "version": 1,
            "provenance": "{}",
            "run_id": "seed",
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]
    with store.begin() as conn:
        Repository(store).upsert_golden(conn, rows)


def seed_catalog(
    store: Store, skus: Sequence[tuple[str, str]] = (("SKU-1", "10.00"), ("SKU-2", "5.00"))
) -> None:
    seed_golden(
        store, "product", [{"sku": s, "price": {"amount": p, "currency": "USD"}} for s, p in skus], "sku"
    )


def seed_customer(store: Store, account: str = "C10001", **fields: Any) -> None:
    seed_golden(store, "customer", [{"account_no": account, **fields}], "account_no")


class FakeErp:
    """The ErpOrders port in memory: a price list, stock per warehouse, known parties."""

    def __init__(
        self,
        prices: dict[str, str] | None = None,
        stock: dict[str, dict[str, int]] | None = None,
        customers: Sequence[str] = (),
    ) -> None:
        self.price_list = {k: Decimal(v) for k, v in (prices or {}).items()}
        self.levels = {s: {w: Decimal(q) for w, q in per.items()} for s, per in (stock or {}).items()}
        self.parties = set(customers)
        self.fail_next: Exception | None = None
        self.calls: list[str] = []

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def prices(self, skus: Sequence[str], customer_no: str | None) -> dict[str, Decimal]:
        self._maybe_fail("prices")
        return {s: self.price_list[s] for s in skus if s in self.price_list}

    def stock(self, skus: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        self._maybe_fail("stock")
        return {s: dict(self.levels.get(s, {})) for s in skus}

    def customer_exists(self, customer_no: str) -> bool:
        self._maybe_fail("customer_exists")
        return customer_no in self.parties


class RecordingMailer:
    """A Mailer that keeps what it was asked to send and honours idempotency keys."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.keys: set[str] = set()

    def send(
        self, to: str, subject: str, text: str, *, html: str | None = None, key: str | None = None
    ) -> bool:
        if key is not None and key in self.keys:
            return False
        if key is not None:
            self.keys.add(key)
        self.sent.append({"to": to, "subject": subject, "text": text, "key": key})
        return True
