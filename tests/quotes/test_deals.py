"""Contract of connectors.hubspot.deals against the CRM sandbox: upsert by quote number, the company
association, reads by last-modified date, the rate limit and injected faults."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from connectors.hubspot.deals import HubSpotDeals
from hub.errors import RemoteRejected
from hub.workflows.quotes import DealSpec
from sandbox.common import SandboxServer
from sandbox.crm import create_app
from tests.quotes.conftest import TOKEN, Crm, deals_client


def spec(quote_no: str, amount: str = "100.00", **changes: object) -> DealSpec:
    values: dict[str, object] = {
        "quote_no": quote_no,
        "name": f"Quote {quote_no}",
        "amount": Decimal(amount),
        "currency": "USD",
        "stage": "quotesent",
        "pipeline": "default",
        "close_date": date(2026, 12, 31),
        "order_no": quote_no.removeprefix("Q-"),
        "customer_no": "C10001",
        **changes,
    }
    return DealSpec(**values)  # type: ignore[arg-type]


def test_upsert_creates_once_and_then_updates_the_same_deal(crm: Crm, deals: HubSpotDeals) -> None:
    first = deals.upsert("Q-1001", {"dealname": "Quote Q-1001", "amount": "120.50", "dealstage": "quotesent"})
    assert first.created and first.quote_no == "Q-1001" and first.amount == Decimal("120.50")
    again = deals.upsert("Q-1001", {"amount": "99.99"})
    assert (again.deal_id, again.created) == (first.deal_id, False)
    stored = deals.get("Q-1001")
    assert stored is not None and stored.deal_id == first.deal_id
    assert stored.amount == Decimal("99.99") and stored.stage == "quotesent"
    assert stored.properties["dealname"] == "Quote Q-1001"  # not named again: kept
    assert [d["id"] for d in crm.deals()] == [first.deal_id]
    assert deals.get("Q-404") is None


def test_the_port_writes_every_deal_property_and_links_the_primary_company(
    crm: Crm, deals: HubSpotDeals
) -> None:
    company = crm.company("C10001")
    assert deals.company_id("C10001") == company and deals.company_id("C-UNKNOWN") is None
    deal_id = deals.upsert_deal(spec("Q-2001", "250.00"))
    assert deals.upsert_deal(spec("Q-2001", "250.00")) == deal_id
    deals.associate_company(deal_id, company)
    deals.associate_company(deal_id, company)  # idempotent
    assert deals.companies(deal_id) == [(company, True)]
    back = crm.call("GET", f"/crm/v4/objects/companies/{company}/associations/deals")["results"]
    assert [(str(r["toObjectId"]), sorted(t["typeId"] for t in r["associationTypes"])) for r in back] == [
        (deal_id, [6, 342])
    ]
    stored = deals.get("Q-2001")
    assert stored is not None
    props = stored.properties
    assert props["closedate"] == "2026-12-31T00:00:00.000Z" and props["pipeline"] == "default"
    assert (props["hub_order_no"], props["hub_customer_no"], props["deal_currency_code"]) == (
        "2001",
        "C10001",
        "USD",
    )
    with pytest.raises(RemoteRejected):
        deals.associate_company(deal_id, "999999")


def test_values_the_crm_refuses_fail_that_deal(deals: HubSpotDeals) -> None:
    with pytest.raises(RemoteRejected, match="galactic was not one of the allowed options"):
        deals.upsert_deal(spec("Q-3001", stage="galactic"))
    with pytest.raises(RemoteRejected, match="not a valid number"):
        deals.upsert("Q-3002", {"amount": "lots"})
    assert deals.get("Q-3001") is None and deals.get("Q-3002") is None


def test_deals_are_read_by_last_modified_date_like_companies_and_contacts(crm: Crm) -> None:
    deals = deals_client(crm.url, page_size=2)
    made = [deals.upsert_deal(spec(f"Q-40{i}")) for i in range(5)]
    batches = list(deals.modified_since(None, batch_size=2))
    assert [d.deal_id for b in batches for d in b.deals] == made  # oldest first, every deal once
    cursor = batches[-1].cursor
    assert cursor is not None
    assert [d for b in deals.modified_since(cursor) for d in b.deals] == []
    time.sleep(0.005)
    deals.upsert_deal(spec("Q-402", "175.00"))  # a change moves the deal past the cursor
    deals.upsert_deal(spec("Q-403"))  # the same values again: no change, not read again
    changed = [d for b in deals.modified_since(cursor) for d in b.deals]
    assert [(d.quote_no, d.amount) for d in changed] == [("Q-402", Decimal("175.00"))]


def test_the_rate_limit_is_waited_out(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(tmp_path_factory.mktemp("crm-limit") / "crm.db", TOKEN, rate_max=5, rate_window_s=1.0)
    with SandboxServer(app, name="crm-limit") as server:
        deals = deals_client(server.url)  # believes it may send 100 per 10 s: the server says otherwise
        started = time.monotonic()
        ids = [deals.upsert_deal(spec(f"Q-50{i}")) for i in range(12)]
        elapsed = time.monotonic() - started
        stored = [
            d.deal_id for b in deals.modified_since(None) for d in b.deals
        ]  # read through the limit too
        assert len(set(ids)) == 12 and sorted(stored, key=int) == sorted(ids, key=int)
        assert deals.client.stats.by_status.get(429, 0) >= 1  # met the limit and retried
        assert elapsed >= 1.0  # 12 calls at 5 per second cannot take less


def test_faults_are_retried_and_leave_no_duplicates(crm: Crm) -> None:
    company = crm.company("C10001")
    crm.faults(
        rate=0.35, kinds=["429", "500", "503", "timeout", "drop"], retry_after=0.05, timeout_s=1.0, seed=5
    )
    deals = deals_client(crm.url)
    ids = {}
    for round_ in range(2):  # the second round replays every write
        for i in range(6):
            ids[(round_, i)] = deals.upsert_deal(spec(f"Q-60{i}", f"{10 + i}.00"))
            deals.associate_company(ids[(round_, i)], company)
    counts = crm.faults(rate=0.0)["counts"]
    assert sum(v for k, v in counts.items() if k != "ok") >= 5  # faults did happen
    assert deals.client.stats.retries >= 5
    assert all(ids[(0, i)] == ids[(1, i)] for i in range(6))
    stored = crm.deals()
    assert sorted(d["properties"]["hub_quote_no"] for d in stored) == [f"Q-60{i}" for i in range(6)]
    assert all(deals.companies(ids[(0, i)]) == [(company, True)] for i in range(6))
