"""HubSpot deals: the CRM side of quotes (``hub.workflows.quotes.CrmDeals``), plus reads for checks and syncs.

A deal is keyed by the custom property ``hub_quote_no`` (a property with unique values, which a portal admin
creates once; the CRM sandbox has it): ``batch/upsert`` with ``idProperty`` creates it the first time and
updates the same deal on every replay. Deal -> company is a v4 association with HubSpot's "Primary" label
(type 5), idempotent. Retries on 429/5xx/timeouts and the rate limit are the shared ``HubSpotClient``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connectors.base.streams import read_stream
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.resource import HubSpotResource
from connectors.hubspot.streams import SearchPaginator, SearchStream, since
from hub.errors import RemoteRejected
from hub.workflows.quotes import DealSpec

ID_PROPERTY = "hub_quote_no"
MODIFIED = "hs_lastmodifieddate"  # deals' last-modified property, as on companies
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "pipeline",
    "closedate",
    "description",
    "hub_quote_no",
    "hub_order_no",
    "hub_customer_no",
    "createdate",
    MODIFIED,
)
DEAL_TO_COMPANY_PRIMARY = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]


@dataclass(frozen=True)
class Deal:
    """A deal as HubSpot returns it: properties are strings."""

    deal_id: str
    properties: Mapping[str, str | None]
    updated_at: str
    created: bool = False  # True when an upsert made it

    @property
    def quote_no(self) -> str | None:
        return self.properties.get(ID_PROPERTY)

    @property
    def amount(self) -> Decimal | None:
        value = self.properties.get("amount")
        return Decimal(value) if value not in (None, "") else None

    @property
    def stage(self) -> str | None:
        return self.properties.get("dealstage")

    @classmethod
    def of(cls, body: Mapping[str, Any], created: bool = False) -> Deal:
        return cls(str(body["id"]), dict(body.get("properties") or {}), str(body.get("updatedAt")), created)


@dataclass(frozen=True)
class DealBatch:
    deals: list[Deal]
    cursor: str | None  # to save once the batch is handled


def deal_properties(deal: DealSpec) -> dict[str, str]:
    """The deal's HubSpot properties, every value a string (dates as midnight UTC, as HubSpot stores them)."""
    close = datetime.combine(deal.close_date, time(0), UTC)
    props = {
        "dealname": deal.name,
        "amount": str(deal.amount),
        "deal_currency_code": deal.currency,
        "dealstage": deal.stage,
        "pipeline": deal.pipeline,
        "closedate": close.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "hub_order_no": deal.order_no,
        "hub_customer_no": deal.customer_no or "",
        "description": deal.description or "",
    }
    return props


class HubSpotDeals:
    """Deals in one HubSpot portal (or the CRM sandbox)."""

    def __init__(self, client: HubSpotClient, *, page_size: int = 100) -> None:
        self.client = client
        self.stream = SearchStream(
            entity="deals",
            path="/crm/v3/objects/deals/search",
            method="POST",
            primary_key="id",
            records="results",
            cursor_field="updatedAt",
            paginator=SearchPaginator(MODIFIED),
            with_cursor=since(MODIFIED),
            lookback=timedelta(0),  # the filter is strictly after the newest deal read, as for companies
            body={
                "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                "properties": list(DEAL_PROPERTIES),
                "limit": page_size,
            },
        )

    # -- the CrmDeals port ------------------------------------------------------------------------------------
    def upsert_deal(self, deal: DealSpec) -> str:
        return self.upsert(deal.quote_no, deal_properties(deal)).deal_id

    def associate_company(self, deal_id: str, company_id: str) -> None:
        body = self.client.json(
            "POST",
            "/crm/v4/associations/deals/companies/batch/create",
            json={
                "inputs": [
                    {"from": {"id": deal_id}, "to": {"id": company_id}, "types": DEAL_TO_COMPANY_PRIMARY}
                ]
            },
        )
        errors = (body or {}).get("errors") or []
        if errors:
            raise RemoteRejected(
                f"deal {deal_id} -> company {company_id}: {errors[0].get('message')}", status=404
            )

    def company_id(self, customer_no: str) -> str | None:
        """The company whose ``account_number`` is ``customer_no`` (HubSpot's unique company property)."""
        try:
            body = self.client.json(
                "GET",
                f"/crm/v3/objects/companies/{quote(customer_no, safe='')}",
                params={"idProperty": "account_number", "properties": "account_number"},
            )
        except RemoteRejected as exc:
            if exc.status == 404:
                return None
            raise
        return str(body["id"])

    # -- deals ------------------------------------------------------------------------------------------------
    def upsert(self, quote_no: str, properties: Mapping[str, Any]) -> Deal:
        """Create or update the deal whose ``hub_quote_no`` is ``quote_no``; a per-input error is raised."""
        item = {
            "idProperty": ID_PROPERTY,
            "id": quote_no,
            "properties": {**properties, ID_PROPERTY: quote_no},
        }
        body = self.client.json("POST", "/crm/v3/objects/deals/batch/upsert", json={"inputs": [item]})
        for result in body.get("results") or []:
            if (result.get("properties") or {}).get(ID_PROPERTY) == quote_no:
                return Deal.of(result, bool(result.get("new")))
        errors = body.get("errors") or [{}]
        raise RemoteRejected(
            f"deal {quote_no}: {errors[0].get('category', 'ERROR')}: {errors[0].get('message', 'no result')}",
            status=400,
            body=str(errors),
        )

    def get(self, quote_no: str) -> Deal | None:
        try:
            body = self.client.json(
                "GET",
                f"/crm/v3/objects/deals/{quote(quote_no, safe='')}",
                params={"idProperty": ID_PROPERTY, "properties": ",".join(DEAL_PROPERTIES)},
            )
        except RemoteRejected as exc:
            if exc.status == 404:
                return None
            raise
        return Deal.of(body)

    def companies(self, deal_id: str) -> list[tuple[str, bool]]:
        """(company id, primary?) of every company the deal is associated with."""
        body = self.client.json("GET", f"/crm/v4/objects/deals/{deal_id}/associations/companies")
        return [
            (str(link["toObjectId"]), any(t.get("typeId") == 5 for t in link.get("associationTypes") or []))
            for link in body.get("results") or []
        ]

    def modified_since(self, cursor: str | None, batch_size: int = 100) -> Iterator[DealBatch]:
        """Deals changed after ``cursor`` (an ISO timestamp; None: all), keyset-paged by last-modified date."""
        for batch in read_stream(self.client, self.stream, cursor, batch_size):
            yield DealBatch([Deal.of(r) for r in batch.records], batch.cursor)


def deals_for(resource: HubSpotResource) -> HubSpotDeals:
    """Deals of the portal a configured ``HubSpotResource`` points at (its token, timeouts and rate limit)."""
    return HubSpotDeals(resource.client(), page_size=resource.page_size)
