"""Order validation with a reason for every problem: nothing is dropped silently.

``gather_facts`` asks the hub store (golden products and customers) and the ERP (prices, parties)
what the rules need; ``validate`` is then a pure function of the order, the facts and the policy.
A reason's ``outcome`` says what it does to the order: ``invalid`` (the order must be fixed) or
``hold`` (the order is fine but waits, e.g. for its customer).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from hub.engine.repository import Repository
from hub.models import Order
from hub.store import Store
from hub.workflows.policy import OrdersConfig
from hub.workflows.ports import ErpOrders

Outcome = Literal["invalid", "hold", "approval"]


@dataclass(frozen=True)
class Reason:
    rule: str
    field: str | None
    message: str
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "field": self.field, "message": self.message, "outcome": self.outcome}


@dataclass
class Facts:
    """What the hub and the ERP know about an order's SKUs and customer."""

    known_skus: set[str] = field(default_factory=set)
    prices: dict[str, Decimal] = field(default_factory=dict)  # reference unit price per SKU
    price_source: dict[str, str] = field(default_factory=dict)  # SKU -> erp | golden
    customer: dict[str, Any] | None = None  # the golden customer record
    customer_known: bool = False
    account_no: str | None = None  # the order's account, or the one made from its e-mail (policy create)
    create_customer: bool = False  # policy 'create' and the account is new: create it with the order


def new_account_no(prefix: str, email: str) -> str:
    """A stable account number for a customer created from an order (same e-mail, same number)."""
    return f"{prefix}{hashlib.sha1(email.strip().lower().encode()).hexdigest()[:10].upper()}"


def gather_facts(store: Store, order: Order, erp: ErpOrders | None, policy: OrdersConfig) -> Facts:
    """Read-only look-ups; ERP faults surface as ``RetriableError`` and the event is tried again."""
    facts = Facts()
    skus = sorted({line.sku for line in order.lines if line.sku})
    repo = Repository(store)
    customer_no = order.customer_no
    if customer_no is None and policy.unknown_customer == "create" and order.email:
        customer_no = new_account_no(policy.new_customer_prefix, order.email)
    facts.account_no = customer_no
    with store.begin() as conn:
        products = repo.golden_by_keys(conn, "product", skus)
        customers = repo.golden_by_keys(conn, "customer", [customer_no]) if customer_no else {}
    facts.known_skus = set(products)
    for sku, row in products.items():
        price = (row.data.get("price") or {}).get("amount")
        if price is not None:
            facts.prices[sku], facts.price_source[sku] = Decimal(str(price)), "golden"
    if customer_no and customer_no in customers:
        facts.customer, facts.customer_known = customers[customer_no].data, True
    if erp is not None and skus:
        for sku, price in erp.prices(skus, order.customer_no).items():
            facts.known_skus.add(sku)
            facts.prices[sku], facts.price_source[sku] = Decimal(price), "erp"  # the ERP's price wins
    if erp is not None and customer_no and not facts.customer_known:
        facts.customer_known = erp.customer_exists(customer_no)
    facts.create_customer = (
        policy.unknown_customer == "create" and customer_no is not None and not facts.customer_known
    )
    return facts


def validate(order: Order, facts: Facts, policy: OrdersConfig) -> list[Reason]:
    """Every reason the order cannot go on as it is, in a stable order (lines, customer, address)."""
    reasons: list[Reason] = []
    if not order.lines:
        reasons.append(Reason("order.lines.required", "lines", "the order has no lines", "invalid"))
    tolerance = Decimal(policy.price_tolerance_pct)
    for i, line in enumerate(order.lines):
        where = f"lines[{i}]"
        label = f"line {line.line_no} ({line.sku or 'no SKU'})"
        if line.quantity.value <= 0:
            reasons.append(
                Reason(
                    "order.line.quantity.positive",
                    f"{where}.quantity",
                    f"{label}: quantity {line.quantity.value} is not positive",
                    "invalid",
                )
            )
        if not line.sku or line.sku not in facts.known_skus:
            reasons.append(
                Reason(
                    "order.line.sku.known",
                    f"{where}.sku",
                    f"{label}: SKU is not known to the hub or the ERP",
                    "invalid",
                )
            )
            continue
        reference = facts.prices.get(line.sku)
        if line.unit_price is None or reference is None:
            continue
        given = line.unit_price.amount
        off = _percent_off(given, reference)
        if off > tolerance:
            source = facts.price_source.get(line.sku, "erp")
            reasons.append(
                Reason(
                    "order.line.price.tolerance",
                    f"{where}.unit_price",
                    f"{label}: price {given} differs from the {source} price {reference} by "
                    f"{_fmt_pct(off)}% (tolerance {tolerance}%)",
                    "invalid",
                )
            )
    reasons += _customer_reasons(order, facts, policy)
    missing = _missing_address(order)
    if missing:
        reasons.append(
            Reason(
                "order.ship-to.required",
                "ship_to",
                f"shipping address is missing {', '.join(missing)}",
                "invalid",
            )
        )
    return reasons


def _customer_reasons(order: Order, facts: Facts, policy: OrdersConfig) -> list[Reason]:
    if facts.customer_known:
        return []
    if policy.unknown_customer == "create":
        if facts.account_no:
            return []  # created when the order is taken
        return [
            Reason(
                "order.customer.known",
                "customer_no",
                "the order has no account number and no e-mail to create a customer from",
                "hold",
            )
        ]
    who = f"customer {order.customer_no}" if order.customer_no else "the order has no account number;"
    tail = "is not known to the hub or the ERP" if order.customer_no else "the customer is unknown"
    return [Reason("order.customer.known", "customer_no", f"{who} {tail} (policy: hold)", "hold")]


def _percent_off(given: Decimal, reference: Decimal) -> Decimal:
    if reference == 0:
        return Decimal(0) if given == 0 else Decimal("Infinity")
    return abs(given - reference) / abs(reference) * 100


def _fmt_pct(value: Decimal) -> str:
    return "inf" if value.is_infinite() else f"{value.quantize(Decimal('0.01'))}"


def _missing_address(order: Order) -> list[str]:
    address = order.ship_to
    if address is None:
        return ["street", "city", "country"]
    return [
        label
        for label, value in (("street", address.line1), ("city", address.city), ("country", address.country))
        if not value
    ]
