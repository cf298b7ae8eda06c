"""Quotes: a request for quote from the shop is priced by the hub's rules (``hub.workflows.pricing``), becomes a
sale quotation in the ERP and a deal in the CRM, and the priced quote goes back to the shop (DESIGN section 4).

A quote lives with its order (``order_state.data["quote"]``); every change of its status is an audit event
(entity ``quote``, key the quote number, action ``state``), so ``hub lineage quote Q-1001`` tells its story.
The order state machine is left alone: its ``quoted`` state means "sale made, to be confirmed next", which an
RFQ is not, so the order stays where it was (an order the hub did not know is recorded as ``received``).

Idempotent by the quote number (``number_prefix`` + order number): prices are fixed when the quote is first
priced and stored before any system is written, so a replay never re-prices a quote under way; each step is
recorded as it completes (ERP sale id, CRM deal id, sent) and a replay only does what is missing. The steps are
idempotent on their own too (ERP sale by reference = order number, CRM deal upserted by ``hub_quote_no``,
shop note attributes keyed), so a crash between a write and its record converges to the same end state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.engine.repository import FailureRecord, Repository
from hub.errors import RemoteRejected
from hub.models import Money, Order
from hub.store import Store
from hub.store.schema import audit_events
from hub.workflows.ports import ErpOrders, LinePlan, ShopOrders
from hub.workflows.pricing import (
    LineRequest,
    PricedQuote,
    PricingFacts,
    PricingPolicy,
    base_prices,
    price_quote,
)
from hub.workflows.states import OrderState, get_order, load_state, transition_in, update_data

log = logging.getLogger("hub.workflows.quotes")
Status = Literal["priced", "erp_quoted", "in_crm", "sent", "rejected", "failed"]
RFQ_STATUSES = frozenset({"quote", "rfq", "quote_requested", "request_for_quote"})


class QuotesPolicy(BaseModel):
    """The ``quotes:`` section of hub.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    number_prefix: str = Field(
        default="Q-", min_length=1, max_length=8, description="Quote number = this prefix + the order number."
    )
    rfq_tags: list[str] = Field(
        default_factory=lambda: ["rfq"],
        description="Order tags (any case) that make an order a request for quote.",
    )
    crm_system: str = Field(
        default="crm",
        description="System name of the CRM in hub.yaml `systems` (its xref holds company ids).",
    )
    deal_stage: str = Field(default="quotesent", description="Deal stage (internal value) of a quote sent.")
    deal_pipeline: str = Field(default="default", description="Deal pipeline (internal value).")
    valid_days: int = Field(
        default=30, ge=1, le=366, description="Days a quote is valid; the deal's close date."
    )
    currency: str = Field(
        default="USD", pattern=r"^[A-Z]{3}$", description="Quote currency when the request names none."
    )
    pricing: PricingPolicy = Field(default_factory=PricingPolicy)

    def quote_no(self, order_no: str) -> str:
        return f"{self.number_prefix}{order_no}"


def is_request_for_quote(order: Order, policy: QuotesPolicy) -> bool:
    """An order asks for a quote when it carries an RFQ tag or an RFQ status."""
    wanted = {t.strip().lower() for t in policy.rfq_tags}
    return bool(wanted & {t.strip().lower() for t in order.tags}) or order.status.lower() in RFQ_STATUSES


# -- the CRM port (implemented by connectors.hubspot.deals.HubSpotDeals) -------------------------------------
@dataclass(frozen=True)
class DealSpec:
    """A quote as a CRM deal; upserted by ``quote_no``."""

    quote_no: str
    name: str
    amount: Decimal
    currency: str
    stage: str
    pipeline: str
    close_date: date
    order_no: str
    customer_no: str | None = None
    description: str | None = None


class CrmDeals(Protocol):
    def company_id(self, customer_no: str) -> str | None:
        """The CRM company of an account number (None: the CRM has none)."""
        ...

    def upsert_deal(self, deal: DealSpec) -> str:
        """Create or update the deal keyed by its quote number; returns the deal id."""
        ...

    def associate_company(self, deal_id: str, company_id: str) -> None:
        """Link the deal to the company (idempotent)."""
        ...


# -- the quote --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    quote_no: str
    order_no: str
    status: Status
    priced: PricedQuote
    quoted_at: datetime
    valid_until: date
    erp_sale_id: int | None = None
    erp_sale_number: str | None = None
    deal_id: str | None = None
    company_id: str | None = None
    sent_to_shop: bool = False
    reasons: tuple[str, ...] = ()
    replayed: bool = False  # returned as stored, nothing written (not saved)

    @property
    def total(self) -> Decimal:
        return self.priced.total

    @property
    def shop_lines(self) -> list[tuple[str, Decimal, Decimal]]:
        """(sku, quantity, unit price) per line, as ``ShopOrders.send_quote`` takes them."""
        return [(x.sku, x.quantity, x.unit_price) for x in self.priced.lines if x.unit_price is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "quote_no": self.quote_no,
            "order_no": self.order_no,
            "status": self.status,
            "priced": self.priced.to_json(),
            "quoted_at": self.quoted_at.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "erp_sale_id": self.erp_sale_id,
            "erp_sale_number": self.erp_sale_number,
            "deal_id": self.deal_id,
            "company_id": self.company_id,
            "sent_to_shop": self.sent_to_shop,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Quote:
        return cls(
            doc["quote_no"], doc["order_no"], doc["status"], PricedQuote.from_json(doc["priced"]),
            datetime.fromisoformat(doc["quoted_at"]), date.fromisoformat(doc["valid_until"]),
            doc.get("erp_sale_id"), doc.get("erp_sale_number"), doc.get("deal_id"), doc.get("company_id"),
            bool(doc.get("sent_to_shop")), tuple(doc.get("reasons") or ()),
        )  # fmt: skip


class QuoteFlow:
    """``request(order)`` prices a request for quote and carries it through ERP, CRM and shop.

    ``crm`` None: no deal (the quote goes on without one); ``shop`` None or an order not from the shop: nothing
    is sent back. Raises ``RetriableError`` when a system is down (call again later: the quote resumes where
    it stopped); a system refusing for good (``RemoteRejected``) leaves the quote ``failed``, with a failure
    row (entity ``order``, stage ``quote``) for ``hub failures``; a later request tries the missing steps again.
    """

    def __init__(self, store: Store, erp: ErpOrders, crm: CrmDeals | None, shop: ShopOrders | None,
                 policy: QuotesPolicy, run_id: str) -> None:  # fmt: skip
        self.store, self.erp, self.crm, self.shop = store, erp, crm, shop
        self.policy, self.run_id = policy, run_id
        self.repo = Repository(store)

    def get(self, order_no: str) -> Quote | None:
        record = get_order(self.store, order_no)
        doc = (record.data.get("quote") if record else None) or None
        return Quote.from_json(doc) if doc else None

    def request(self, order: Order) -> Quote:
        """Price, quote in the ERP, deal in the CRM, quote back to the shop; a replay does what is missing."""
        known = self.get(order.order_no)
        if known is not None and known.status == "sent":
            if _requested(order) != _requested_of(known):
                log.warning(
                    "order %s changed after quote %s was sent; not re-quoted", order.order_no, known.quote_no
                )
            return replace(known, replayed=True)
        if known is not None and known.status != "rejected":
            quote = known  # prices fixed when first priced: a resumed quote sends what was priced
        else:
            quote = self._priced(order)
            self._save(order, quote, known)
            if quote.status == "rejected":
                return quote
        step = "erp"
        try:
            quote = self._erp_step(order, quote)
            step = "crm"
            quote = self._crm_step(order, quote)
            step = "shop"
            return self._shop_step(order, quote)
        except RemoteRejected as exc:
            failed = replace(quote, status="failed", reasons=(f"{step}: {exc}",))
            self._save(order, failed, quote, failure=(step, str(exc)))
            return failed

    def price(self, order: Order) -> PricedQuote:
        """The priced lines of a request, read-only: base prices from the ERP and the golden products."""
        currency = order.currency or self.policy.currency
        pricing = self.policy.pricing
        skus = sorted({line.sku for line in order.lines})
        erp = None
        if pricing.base != "golden" and skus:
            erp = self.erp.prices(skus, order.customer_no if pricing.erp_customer_prices else None)
        with self.store.begin() as conn:
            products = {k: r.data for k, r in self.repo.golden_by_keys(conn, "product", skus).items()}
            customers = self.repo.golden_by_keys(
                conn, "customer", [order.customer_no] if order.customer_no else []
            )
        customer = customers[order.customer_no].data if order.customer_no in customers else {}
        found, missing = base_prices(skus, erp, products, pricing, currency)
        facts = PricingFacts(
            customer_no=order.customer_no,
            segment=customer.get("segment"),
            base=found,
            categories={s: p["category"] for s, p in products.items() if p.get("category")},
            missing=missing,
        )
        lines = [LineRequest(x.line_no, x.sku, x.quantity.value) for x in order.lines]
        return price_quote(lines, facts, pricing, currency)

    # -- the steps ------------------------------------------------------------------------------------------
    def _priced(self, order: Order) -> Quote:
        currency = order.currency or self.policy.currency
        try:
            priced = self.price(order)
            problems = priced.problems or ([] if priced.lines else ["the request has no lines"])
        except RemoteRejected as exc:  # e.g. the ERP does not know the customer whose prices it was asked
            priced, problems = PricedQuote(currency, ()), [f"pricing: {exc}"]
        now = datetime.now(UTC)
        quote = Quote(self.policy.quote_no(order.order_no), order.order_no, "priced", priced, now,
                      (now + timedelta(days=self.policy.valid_days)).date())  # fmt: skip
        return replace(quote, status="rejected", reasons=tuple(problems)) if problems else quote

    def _erp_step(self, order: Order, quote: Quote) -> Quote:
        if quote.erp_sale_id is not None:
            return quote
        plan = [LinePlan(x.line_no, x.sku, x.quantity) for x in quote.priced.lines]
        sale = self.erp.create_sale(priced_order(order, quote), plan, quote_only=True)
        done = replace(
            quote, status="erp_quoted", erp_sale_id=sale.sale_id, erp_sale_number=sale.number, reasons=()
        )
        self._save(order, done, quote)
        return done

    def _crm_step(self, order: Order, quote: Quote) -> Quote:
        if self.crm is None or quote.deal_id is not None:
            return quote
        company = quote.company_id or self._company(order.customer_no)
        deal_id = self.crm.upsert_deal(self._deal(order, quote))
        if company is not None:
            self.crm.associate_company(deal_id, company)
        note = () if company else (f"no CRM company for customer {order.customer_no}: deal not associated",)
        done = replace(quote, status="in_crm", deal_id=deal_id, company_id=company, reasons=note)
        self._save(order, done, quote)
        return done

    def _shop_step(self, order: Order, quote: Quote) -> Quote:
        to_shop = self.shop is not None and order.channel == "shop"
        if to_shop:
            assert self.shop is not None
            self.shop.send_quote(order.order_no, quote.shop_lines, quote.total)
        done = replace(quote, status="sent", sent_to_shop=to_shop)
        self._save(order, done, quote, resolve=True)
        return done

    def _company(self, customer_no: str | None) -> str | None:
        """The customer's CRM company: the hub's xref first (no call), else the CRM by account number."""
        if not customer_no:
            return None
        with self.store.begin() as conn:
            found = self.repo.xref_by_keys(conn, "customer", self.policy.crm_system, [customer_no])
        if customer_no in found:
            return found[customer_no][0]
        assert self.crm is not None
        return self.crm.company_id(customer_no)

    def _deal(self, order: Order, quote: Quote) -> DealSpec:
        who = order.customer_no or order.email or "unknown customer"
        lines = "; ".join(f"{s} x {q} @ {p}" for s, q, p in quote.shop_lines)
        return DealSpec(
            quote_no=quote.quote_no, name=f"Quote {quote.quote_no} ({who})", amount=quote.total,
            currency=quote.priced.currency, stage=self.policy.deal_stage, pipeline=self.policy.deal_pipeline,
            close_date=quote.valid_until, order_no=order.order_no, customer_no=order.customer_no,
            description=f"Request for quote {order.order_no}: {lines}",
        )  # fmt: skip

    # -- bookkeeping ----------------------------------------------------------------------------------------
    def _save(self, order: Order, quote: Quote, before: Quote | None, *, failure: tuple[str, str] | None = None,
              resolve: bool = False) -> None:  # fmt: skip
        """The quote with its order and, when its status or reasons changed, one audit event; one transaction."""
        now = datetime.now(UTC)
        with self.store.begin() as conn:
            if load_state(conn, order.order_no, lock=True) is None:
                data = {"order": order.model_dump(mode="json", exclude_none=True), "system": order.channel}
                transition_in(conn, order.order_no, OrderState.received, reason="request for quote",
                              run_id=self.run_id, data=data, system=order.channel)  # fmt: skip
            update_data(conn, order.order_no, {"quote": quote.to_json()})
            if before is None or (before.status, before.reasons) != (quote.status, quote.reasons):
                self._event(conn, quote, before.status if before else None, now)
            if failure is not None:
                step, message = failure
                record = FailureRecord(self.run_id, "order", order.order_no, order.channel, "quote", step, None,
                                       message, quote.to_json())  # fmt: skip
                self.repo.record_failures(conn, [record], now)
            if resolve:
                self.repo.resolve_failures(conn, "order", order.channel, [order.order_no], ("quote",), now)

    def _event(self, conn: Connection, quote: Quote, before: str | None, now: datetime) -> None:
        ids = {"erp_sale_id": quote.erp_sale_id, "deal_id": quote.deal_id}
        conn.execute(
            audit_events.insert().values(
                run_id=self.run_id, at=now, entity="quote", key=quote.quote_no, action="state",
                changes=codec.dumps({"state": [before, quote.status], "total": str(quote.total),
                                     "reasons": list(quote.reasons)}),
                correlation=codec.dumps({"order_no": quote.order_no, "quote_no": quote.quote_no,
                                         **{k: v for k, v in ids.items() if v is not None}}),
            )
        )  # fmt: skip


def priced_order(order: Order, quote: Quote) -> Order:
    """The request as quoted: the quoted lines only, with their quantities, unit prices and the total (a line
    added to the order after it was priced is not part of this quote)."""
    currency = quote.priced.currency
    priced = {x.line_no: x for x in quote.priced.lines if x.unit_price is not None}
    lines = [
        line.model_copy(
            update={
                "quantity": line.quantity.model_copy(update={"value": priced[line.line_no].quantity}),
                "unit_price": Money(amount=priced[line.line_no].unit_price, currency=currency),
            }
        )
        for line in order.lines
        if line.line_no in priced
    ]
    total = Money(amount=quote.total, currency=currency)
    return order.model_copy(update={"lines": lines, "total": total, "currency": currency})


def _requested(order: Order) -> list[tuple[int, str, Decimal]]:
    return sorted((x.line_no, x.sku, x.quantity.value) for x in order.lines)


def _requested_of(quote: Quote) -> list[tuple[int, str, Decimal]]:
    return sorted((x.line_no, x.sku, x.quantity) for x in quote.priced.lines)
