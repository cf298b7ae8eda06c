"""Quote pricing: a base price per SKU, the customer's price list, volume breaks, rounding to cents.

Pure functions over a typed policy (the ``pricing:`` block of hub.yaml ``quotes:``) and the facts the quote
flow gathers (base prices from the ERP or the golden product, the customer's segment, product categories), so
every rule is testable without a store or a system. Amounts are ``Decimal`` from end to end, never float.

Order of the rules for one line, each one recorded as a step so a quote explains itself:

1. base: the ERP's price (list price, or the customer's when ``erp_customer_prices``), else the golden
   product's price (``base`` says which sources count);
2. price list: the customer's own list (``customers[customer_no]``) before its segment's
   (``segments[segment]``); in each, a fixed price for the SKU wins over the list's percentage off;
3. volume break: the SKU's ladder, else its category's; the highest threshold the quantity reaches gives a
   percentage off (not on top of a ``net`` price list);
4. the unit price is rounded once, at the end, to cents; the line total is unit price x quantity, rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VolumeBreak(_Strict):
    min_qty: Decimal = Field(gt=0, description="From this quantity on (inclusive) the discount applies.")
    percent_off: Decimal = Field(ge=0, le=100, description="Percentage off the list price, 0-100.")


def _ladder(value: list[VolumeBreak]) -> list[VolumeBreak]:
    """Thresholds ascending and discounts never smaller for more: a bigger quantity never costs more per unit."""
    ordered = sorted(value, key=lambda b: b.min_qty)
    for low, high in pairwise(ordered):
        if low.min_qty == high.min_qty:
            raise ValueError(f"two volume breaks at min_qty {low.min_qty}")
        if high.percent_off < low.percent_off:
            raise ValueError(
                f"volume break at {high.min_qty} gives {high.percent_off}% off, less than "
                f"{low.percent_off}% at {low.min_qty}: more would cost more per unit"
            )
    return ordered


class VolumeBreaks(_Strict):
    skus: dict[str, list[VolumeBreak]] = Field(
        default_factory=dict, description="SKU -> its ladder of breaks; wins over the category's."
    )
    categories: dict[str, list[VolumeBreak]] = Field(
        default_factory=dict, description="Product category (golden product `category`) -> its ladder."
    )

    @field_validator("skus", "categories")
    @classmethod
    def _ordered(cls, value: dict[str, list[VolumeBreak]]) -> dict[str, list[VolumeBreak]]:
        return {name: _ladder(ladder) for name, ladder in value.items()}


class PriceList(_Strict):
    percent_off: Decimal | None = Field(
        default=None, ge=0, le=100, description="Percentage off the base price (null: not set here)."
    )
    prices: dict[str, Decimal] = Field(
        default_factory=dict, description="SKU -> fixed unit price; wins over percent_off."
    )
    net: bool = Field(
        default=False, description="Prices from this list are final: no volume break on top of them."
    )

    @field_validator("prices")
    @classmethod
    def _not_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        bad = sorted(sku for sku, price in value.items() if price < 0 or not price.is_finite())
        if bad:
            raise ValueError(f"prices must be 0 or more: {', '.join(bad)}")
        return value


class PricingPolicy(_Strict):
    base: Literal["erp", "golden", "erp_then_golden"] = Field(
        default="erp_then_golden",
        description="Where the base price comes from: the ERP, the golden product record, or the ERP "
        "and the golden product for SKUs the ERP does not price.",
    )
    erp_customer_prices: bool = Field(
        default=False,
        description="Ask the ERP for the customer's own price (its ERP price list) instead of the list "
        "price. Leave false when the price lists below model the same discounts, or they apply twice.",
    )
    segments: dict[str, PriceList] = Field(
        default_factory=dict, description="Customer segment -> its price list."
    )
    customers: dict[str, PriceList] = Field(
        default_factory=dict, description="Customer number -> its own price list; wins over the segment's."
    )
    volume_breaks: VolumeBreaks = Field(default_factory=VolumeBreaks)
    rounding: Literal["half_up", "half_even"] = Field(
        default="half_up", description="How unit prices and line totals are rounded to cents."
    )


# -- facts and results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BasePrice:
    amount: Decimal
    source: Literal["erp", "erp_customer", "golden"]


@dataclass(frozen=True)
class LineRequest:
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class PricingFacts:
    """What pricing needs to know about the customer and the products, gathered by the quote flow."""

    customer_no: str | None
    segment: str | None
    base: Mapping[str, BasePrice]
    categories: Mapping[str, str] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)  # SKU -> why it has no base price


@dataclass(frozen=True)
class PriceStep:
    rule: str  # e.g. base:erp, customer:C1:fixed, segment:wholesale:percent, volume:sku:SKU-1>=100
    detail: str
    price: Decimal  # exact, before rounding


@dataclass(frozen=True)
class PricedLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal | None  # cents; None: cannot be priced (``problem`` says why)
    line_total: Decimal | None
    rule: str | None  # the step that set the final price
    steps: tuple[PriceStep, ...] = ()
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku": self.sku,
            "quantity": str(self.quantity),
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "line_total": None if self.line_total is None else str(self.line_total),
            "rule": self.rule,
            "steps": [{"rule": s.rule, "detail": s.detail, "price": str(s.price)} for s in self.steps],
            "problem": self.problem,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PricedLine:
        def dec(value: Any) -> Decimal | None:
            return None if value is None else Decimal(str(value))

        steps = tuple(
            PriceStep(s["rule"], s["detail"], Decimal(str(s["price"]))) for s in doc.get("steps") or []
        )
        return cls(int(doc["line_no"]), doc["sku"], Decimal(str(doc["quantity"])), dec(doc.get("unit_price")),
                   dec(doc.get("line_total")), doc.get("rule"), steps, doc.get("problem"))  # fmt: skip


@dataclass(frozen=True)
class PricedQuote:
    currency: str
    lines: tuple[PricedLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.line_total or Decimal(0) for line in self.lines), Decimal("0.00"))

    @property
    def problems(self) -> list[str]:
        return [f"line {line.line_no} {line.sku}: {line.problem}" for line in self.lines if line.problem]

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": str(self.total),
            "lines": [x.to_json() for x in self.lines],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PricedQuote:
        return cls(doc["currency"], tuple(PricedLine.from_json(x) for x in doc.get("lines") or []))


# -- the rules ------------------------------------------------------------------------------------------
def round_money(value: Decimal, rounding: str = "half_up") -> Decimal:
    """To cents; rounding an already rounded amount gives it back unchanged."""
    return value.quantize(CENT, rounding=_ROUNDING[rounding])


def choose_base(
    sku: str,
    erp: Mapping[str, Decimal] | None,
    golden: Mapping[str, Any] | None,
    policy: PricingPolicy,
    currency: str,
) -> BasePrice | str:
    """The base price of ``sku``, or why there is none. ``golden`` is the golden product record (JSON form)."""
    erp_source: Literal["erp", "erp_customer"] = "erp_customer" if policy.erp_customer_prices else "erp"
    if policy.base in ("erp", "erp_then_golden") and erp is not None and erp.get(sku) is not None:
        return BasePrice(Decimal(str(erp[sku])), erp_source)
    if policy.base in ("golden", "erp_then_golden") and golden is not None:
        price = golden.get("price") or {}
        if price.get("amount") is not None:
            if price.get("currency") not in (None, currency):
                return f"the product's price is in {price['currency']}, the quote in {currency}"
            return BasePrice(Decimal(str(price["amount"])), "golden")
    sources = {"erp": "the ERP", "golden": "the golden product", "erp_then_golden": "the ERP or the product"}
    return f"no base price from {sources[policy.base]}"


def list_price(
    sku: str, base: BasePrice, customer_no: str | None, segment: str | None, policy: PricingPolicy
) -> tuple[list[PriceStep], bool]:
    """Steps from the base price through the customer's or segment's price list; True when the list is net."""
    steps = [PriceStep(f"base:{base.source}", f"{base.amount} from {_SOURCE[base.source]}", base.amount)]
    lists = []
    if customer_no and customer_no in policy.customers:
        lists.append((f"customer:{customer_no}", f"customer {customer_no}", policy.customers[customer_no]))
    if segment and segment in policy.segments:
        lists.append((f"segment:{segment}", f"segment {segment}", policy.segments[segment]))
    for rule, who, plist in lists:  # the first list that prices the SKU: its fixed price, else its percentage
        if sku in plist.prices:
            steps.append(
                PriceStep(f"{rule}:fixed", f"fixed price {plist.prices[sku]} for {who}", plist.prices[sku])
            )
            return steps, plist.net
        if plist.percent_off is not None:
            price = base.amount * (HUNDRED - plist.percent_off) / HUNDRED
            steps.append(PriceStep(f"{rule}:percent", f"{plist.percent_off}% off for {who}", price))
            return steps, plist.net
    return steps, False


def volume_break(
    sku: str, category: str | None, quantity: Decimal, policy: PricingPolicy
) -> tuple[str, VolumeBreak] | None:
    """(rule, break) the quantity reaches on the SKU's ladder, else on its category's; None when none."""
    breaks = policy.volume_breaks
    if sku in breaks.skus:
        ladder, rule = breaks.skus[sku], f"volume:sku:{sku}"
    elif category and category in breaks.categories:
        ladder, rule = breaks.categories[category], f"volume:category:{category}"
    else:
        return None
    reached = [b for b in ladder if quantity >= b.min_qty]
    return (f"{rule}>={reached[-1].min_qty}", reached[-1]) if reached else None


def price_line(line: LineRequest, facts: PricingFacts, policy: PricingPolicy) -> PricedLine:
    def unpriced(problem: str) -> PricedLine:
        return PricedLine(line.line_no, line.sku, line.quantity, None, None, None, (), problem)

    if not line.quantity.is_finite() or line.quantity <= 0:
        return unpriced(f"quantity {line.quantity} is not a positive number")
    base = facts.base.get(line.sku)
    if base is None:
        return unpriced(facts.missing.get(line.sku, "no base price"))
    if not base.amount.is_finite() or base.amount < 0:
        return unpriced(f"base price {base.amount} from {_SOURCE[base.source]} is negative")
    steps, net = list_price(line.sku, base, facts.customer_no, facts.segment, policy)
    found = None if net else volume_break(line.sku, facts.categories.get(line.sku), line.quantity, policy)
    if found is not None:
        rule, brk = found
        price = steps[-1].price * (HUNDRED - brk.percent_off) / HUNDRED
        steps.append(PriceStep(rule, f"{brk.percent_off}% off from {brk.min_qty} units", price))
    unit = round_money(steps[-1].price, policy.rounding)
    total = round_money(unit * line.quantity, policy.rounding)
    return PricedLine(line.line_no, line.sku, line.quantity, unit, total, steps[-1].rule, tuple(steps))


def price_quote(
    lines: Sequence[LineRequest], facts: PricingFacts, policy: PricingPolicy, currency: str
) -> PricedQuote:
    """Every line priced (or its problem said); the quote's total is the sum of the rounded line totals."""
    return PricedQuote(currency, tuple(price_line(line, facts, policy) for line in lines))


def base_prices(
    skus: Sequence[str],
    erp: Mapping[str, Decimal] | None,
    golden: Mapping[str, Mapping[str, Any]],
    policy: PricingPolicy,
    currency: str,
) -> tuple[dict[str, BasePrice], dict[str, str]]:
    """(base price per SKU, why not per SKU without one)."""
    found: dict[str, BasePrice] = {}
    missing: dict[str, str] = {}
    for sku in skus:
        got = choose_base(sku, erp, golden.get(sku), policy, currency)
        if isinstance(got, BasePrice):
            found[sku] = got
        else:
            missing[sku] = got
    return found, missing


_SOURCE = {
    "erp": "the ERP list price",
    "erp_customer": "the ERP price for the customer",
    "golden": "the product",
}
