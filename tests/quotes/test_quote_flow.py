"""The quote flow: fakes for the ERP and the shop, the real CRM sandbox for deals, the hub store on SQLite and
PostgreSQL. Replays, crashes between steps and refusals converge to one quotation, one deal, one quote."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.hubspot.deals import HubSpotDeals
from hub.engine import codec
from hub.errors import RemoteRejected, RetriableError
from hub.models import Order
from hub.store import Store
from hub.store.schema import audit_events, failures, xref
from hub.workflows.quotes import QuoteFlow, QuotesPolicy, is_request_for_quote
from hub.workflows.states import OrderState, get_order, transition
from tests.quotes.conftest import Crm
from tests.quotes.fakes import QuoteErp, QuoteShop
from tests.workflows.helpers import seed_customer, seed_golden

D = Decimal
POLICY = QuotesPolicy.model_validate(
    {
        "pricing": {
            "segments": {"wholesale": {"percent_off": 10}},
            "volume_breaks": {"skus": {"SKU-1": [{"min_qty": 10, "percent_off": 5}]}},
        }
    }
)


def rfq(
    order_no: str = "1001", lines: tuple[tuple[str, int], ...] = (("SKU-1", 10), ("SKU-2", 3)), **extra: Any
) -> Order:
    return Order.model_validate(
        {"order_no": order_no, "customer_no": "C10001", "currency": "USD", "tags": ["RFQ"],
         "lines": [{"line_no": i, "sku": s, "quantity": {"value": q}} for i, (s, q) in enumerate(lines, 1)], **extra}
    )  # fmt: skip


class World:
    def __init__(self, store: Store, crm: Crm, deals: HubSpotDeals) -> None:
        self.store, self.crm, self.deals = store, crm, deals
        self.erp = QuoteErp(price_list={"SKU-1": D("20.00")})
        self.shop = QuoteShop()
        seed_customer(store, "C10001", segment="wholesale", name="Acme")
        seed_golden(store, "product", [{"sku": "SKU-1", "price": {"amount": "99", "currency": "USD"}},
                                       {"sku": "SKU-2", "price": {"amount": "5.00", "currency": "USD"}}], "sku")  # fmt: skip
        self.company = crm.company("C10001")

    def flow(self, run_id: str = "q-run", crm: Any = None) -> QuoteFlow:
        return QuoteFlow(self.store, self.erp, crm or self.deals, self.shop, POLICY, run_id)

    def events(self, key: str = "Q-1001") -> list[list[str | None]]:
        t = audit_events
        query = sa.select(t.c.changes).where(t.c.entity == "quote", t.c.key == key).order_by(t.c.id)
        with self.store.begin() as conn:
            return [codec.loads(c)["state"] for c in conn.scalars(query)]

    def creates(self) -> int:
        return sum(c.startswith("create") for c in self.erp.calls)


@pytest.fixture
def world(store: Store, crm: Crm, deals: HubSpotDeals) -> World:
    return World(store, crm, deals)


def test_a_request_for_quote_is_priced_quoted_in_erp_and_crm_and_sent_back(world: World) -> None:
    order = rfq()
    assert is_request_for_quote(order, POLICY)
    quote = world.flow().request(order)
    assert quote.status == "sent" and quote.quote_no == "Q-1001" and not quote.replayed
    # SKU-1: ERP 20.00, wholesale 10% off, 5% from 10 units; SKU-2: not in the ERP, the golden 5.00, 10% off
    assert quote.shop_lines == [("SKU-1", D(10), D("17.10")), ("SKU-2", D(3), D("4.50"))]
    assert quote.total == D("184.50")
    assert [x.rule for x in quote.priced.lines] == ["volume:sku:SKU-1>=10", "segment:wholesale:percent"]
    # the ERP quotation carries the quoted prices, as a quotation only
    assert world.erp.calls == ["prices None", "create 1001 quote_only=True"]
    sent = world.erp.quoted["1001"]
    assert [(x.sku, x.unit_price.amount if x.unit_price else None) for x in sent.lines] == [
        ("SKU-1", D("17.10")), ("SKU-2", D("4.50"))]  # fmt: skip
    assert sent.total is not None and sent.total.amount == D("184.50")
    assert [(p.sku, p.ordered, p.allocations) for p in world.erp.plans["1001"]] == [
        ("SKU-1", 10, ()),
        ("SKU-2", 3, ()),
    ]
    assert (quote.erp_sale_id, quote.erp_sale_number) == (1, "SO0001")
    # one deal in the CRM, amount and stage, linked to the customer's company found by account number
    [deal] = world.crm.deals()
    assert deal["id"] == quote.deal_id and quote.company_id == world.company
    assert (deal["properties"]["amount"], deal["properties"]["dealstage"]) == ("184.50", "quotesent")
    assert deal["properties"]["closedate"].startswith(quote.valid_until.isoformat())
    assert world.deals.companies(deal["id"]) == [(world.company, True)]
    # the shop got the priced quote; the order records it; every status change is an audit event
    assert world.shop.quotes["1001"] == (quote.shop_lines, D("184.50"))
    record = get_order(world.store, "1001")
    assert record is not None and record.state is OrderState.received
    assert record.data["quote"]["status"] == "sent" and record.data["order"]["tags"] == ["RFQ"]
    assert world.events() == [
        [None, "priced"],
        ["priced", "erp_quoted"],
        ["erp_quoted", "in_crm"],
        ["in_crm", "sent"],
    ]
    assert world.flow().get("1001") == quote


def test_a_replay_makes_no_second_quotation_or_deal_and_returns_the_same_quote(world: World) -> None:
    first = world.flow().request(rfq())
    world.erp.price_list["SKU-1"] = D("30.00")  # prices moved since: the quote stands
    again = world.flow("another-run").request(rfq())
    assert again.replayed and again == first.__class__(**{**first.__dict__, "replayed": True})
    assert world.creates() == 1 and len(world.crm.deals()) == 1 and world.shop.calls == 1
    assert len(world.events()) == 4


def test_a_crash_before_the_shop_resumes_with_the_prices_first_quoted(world: World) -> None:
    world.shop.fail_next.append(RetriableError("shop: 503"))
    with pytest.raises(RetriableError):
        world.flow().request(rfq())
    stored = world.flow().get("1001")
    assert stored is not None and stored.status == "in_crm" and "1001" not in world.shop.quotes
    deal_before = world.deals.get("Q-1001")
    world.erp.price_list["SKU-1"] = D("30.00")
    quote = world.flow().request(rfq())
    assert quote.status == "sent" and quote.total == D("184.50")
    assert world.shop.quotes["1001"][1] == D("184.50") and world.shop.calls == 2
    assert world.creates() == 1 and world.erp.calls.count("prices None") == 1  # not priced again
    deal_after = world.deals.get("Q-1001")
    assert deal_before is not None and deal_after is not None
    assert deal_after.updated_at == deal_before.updated_at  # the deal step was done: not written again


class AssociateFailsOnce:
    """The real deals client, whose first association call meets a fault after the deal was written."""

    def __init__(self, deals: HubSpotDeals) -> None:
        self.deals, self.failed = deals, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.deals, name)

    def associate_company(self, deal_id: str, company_id: str) -> None:
        if not self.failed:
            self.failed = True
            raise RetriableError("CRM: connection dropped")
        self.deals.associate_company(deal_id, company_id)


def test_a_crash_between_the_deal_and_its_record_does_not_duplicate_the_deal(world: World) -> None:
    crm = AssociateFailsOnce(world.deals)
    with pytest.raises(RetriableError):
        world.flow(crm=crm).request(rfq())
    assert len(world.crm.deals()) == 1 and world.flow().get("1001").deal_id is None  # type: ignore[union-attr]
    quote = world.flow(crm=crm).request(rfq())
    assert quote.status == "sent" and [d["id"] for d in world.crm.deals()] == [quote.deal_id]
    assert world.deals.companies(quote.deal_id or "") == [(world.company, True)]
    assert world.creates() == 1


def test_the_company_comes_from_the_hub_xref_before_the_crm(world: World) -> None:
    other = world.crm.company("C-OTHER", "Acme (CRM duplicate)")
    with world.store.begin() as conn:
        conn.execute(sa.insert(xref).values(entity="customer", key="C10001", system="crm", system_id=other,
                                            updated_at=datetime.now(UTC)))  # fmt: skip
    quote = world.flow().request(rfq())
    assert quote.company_id == other and world.deals.companies(quote.deal_id or "") == [(other, True)]


def test_a_customer_without_a_crm_company_gets_a_deal_without_one(world: World) -> None:
    seed_customer(world.store, "C20002", segment="retail")
    quote = world.flow().request(rfq("2002", customer_no="C20002"))
    assert quote.status == "sent" and quote.company_id is None
    assert world.deals.companies(quote.deal_id or "") == []
    assert quote.shop_lines[0] == ("SKU-1", D(10), D("19.00"))  # retail: no price list, the volume break only
    assert world.events("Q-2002")[-2] == ["erp_quoted", "in_crm"]
    stored = world.flow().get("2002")
    assert stored is not None and "no CRM company for customer C20002" in stored.reasons[0]


def test_a_request_that_cannot_be_priced_is_rejected_and_priced_once_it_can(world: World) -> None:
    order = rfq("3003", (("SKU-1", 1), ("SKU-NEW", 2)))
    quote = world.flow().request(order)
    assert quote.status == "rejected"
    assert quote.reasons == ("line 2 SKU-NEW: no base price from the ERP or the product",)
    assert world.creates() == 0 and world.crm.deals() == [] and world.shop.calls == 0
    world.flow().request(order)  # the same problem again: no new event
    assert world.events("Q-3003") == [[None, "rejected"]]
    seed_golden(
        world.store, "product", [{"sku": "SKU-NEW", "price": {"amount": "2.00", "currency": "USD"}}], "sku"
    )
    quote = world.flow().request(order)
    assert quote.status == "sent" and quote.total == D("21.60")  # 18.00 + 2 x 1.80
    assert world.events("Q-3003")[:2] == [[None, "rejected"], ["rejected", "priced"]]


def _open_failures(store: Store) -> list[tuple[str, str | None, str]]:
    t = failures
    query = sa.select(t.c.key, t.c.rule, t.c.status).where(t.c.entity == "order", t.c.stage == "quote")
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]


def test_a_permanent_refusal_fails_the_quote_until_fixed(world: World) -> None:
    world.erp.fail_next.append(RemoteRejected("Tryton: no party C10001", status=400))
    quote = world.flow().request(rfq())
    assert quote.status == "failed" and quote.reasons == ("erp: Tryton: no party C10001",)
    assert _open_failures(world.store) == [("1001", "erp", "open")]
    assert world.crm.deals() == [] and world.shop.calls == 0
    quote = world.flow().request(rfq())
    assert quote.status == "sent" and world.creates() == 2 and len(world.erp.sales) == 1
    assert _open_failures(world.store) == [("1001", "erp", "resolved")]
    assert world.events()[-4:] == [["priced", "failed"], ["failed", "erp_quoted"], ["erp_quoted", "in_crm"],
                                   ["in_crm", "sent"]]  # fmt: skip


def test_a_known_order_keeps_its_state_and_an_edi_request_is_not_sent_to_the_shop(world: World) -> None:
    order = rfq("4004", channel="edi", status="quote", tags=[])
    assert is_request_for_quote(order, POLICY) and not is_request_for_quote(rfq(tags=["b2b"]), POLICY)
    transition(world.store, "4004", OrderState.received, reason="from edi", run_id="t",
               data={"order": order.model_dump(mode="json"), "system": "edi"})  # fmt: skip
    quote = world.flow().request(order)
    assert quote.status == "sent" and not quote.sent_to_shop and world.shop.calls == 0
    record = get_order(world.store, "4004")
    assert record is not None and record.state is OrderState.received and record.data["system"] == "edi"
    assert record.data["quote"]["deal_id"] == quote.deal_id


def test_without_a_crm_the_quote_goes_on_without_a_deal(world: World) -> None:
    flow = QuoteFlow(world.store, world.erp, None, world.shop, POLICY, "no-crm")
    preview = flow.price(rfq())
    assert preview.total == D("184.50") and get_order(world.store, "1001") is None  # a preview writes nothing
    quote = flow.request(rfq())
    assert quote.status == "sent" and quote.deal_id is None and world.crm.deals() == []
    assert world.events() == [[None, "priced"], ["priced", "erp_quoted"], ["erp_quoted", "sent"]]


def test_a_request_resumed_with_a_changed_order_quotes_what_was_priced(world: World) -> None:
    world.erp.fail_next.append(RetriableError("Tryton: timeout"))
    with pytest.raises(RetriableError):
        world.flow().request(rfq())
    changed = rfq(lines=(("SKU-1", 50), ("SKU-2", 3), ("SKU-3", 1)))
    quote = world.flow().request(changed)
    assert quote.status == "sent" and quote.total == D("184.50")
    sent = world.erp.quoted["1001"]
    assert [(x.sku, x.quantity.value) for x in sent.lines] == [("SKU-1", D(10)), ("SKU-2", D(3))]
    assert world.shop.quotes["1001"] == (quote.shop_lines, D("184.50"))
