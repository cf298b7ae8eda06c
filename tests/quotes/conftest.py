"""The real CRM sandbox (HubSpot-style, on loopback) for the deal contract tests and the quote flow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.deals import HubSpotDeals, deals_for
from connectors.hubspot.resource import HubSpotResource
from sandbox.common import SandboxServer
from sandbox.crm import create_app

TOKEN = "pat-quotes-test"


class Crm:
    """Raw calls to the sandbox, to set up companies and to check what the connector wrote."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        r = requests.request(
            method, self.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5, **kwargs
        )
        r.raise_for_status()
        return r.json()

    def company(self, account: str, name: str = "Acme") -> str:
        body = self.call(
            "POST",
            "/crm/v3/objects/companies",
            json={"properties": {"account_number": account, "name": name}},
        )
        return str(body["id"])

    def deals(self, **filters: str) -> list[dict[str, Any]]:
        group = [{"propertyName": k, "operator": "EQ", "value": v} for k, v in filters.items()]
        body = self.call(
            "POST",
            "/crm/v3/objects/deals/search",
            json={"filterGroups": [{"filters": group}] if group else [], "limit": 100,
                  "properties": ["hub_quote_no", "amount", "dealstage", "dealname", "closedate"]},
        )  # fmt: skip
        return list(body["results"])

    def faults(self, **config: Any) -> dict[str, Any]:
        r = requests.post(f"{self.url}/__sandbox/faults", json=config, timeout=5)
        r.raise_for_status()
        return dict(r.json())


@pytest.fixture(scope="session")
def crm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(create_app(tmp_path_factory.mktemp("crm") / "crm.db", TOKEN), name="crm-quotes") as s:
        yield s


@pytest.fixture
def crm(crm_server: SandboxServer) -> Crm:
    requests.post(f"{crm_server.url}/__sandbox/reset", timeout=5).raise_for_status()
    sandbox = Crm(crm_server.url)
    sandbox.faults(rate=0.0, latency_ms=0, reset_counts=True)
    return sandbox


def deals_client(url: str, **settings: Any) -> HubSpotDeals:
    values: dict[str, Any] = {"timeout": 0.5, **settings}
    page_size = values.pop("page_size", 100)
    return HubSpotDeals(HubSpotClient(url, TOKEN, **values), page_size=page_size)


@pytest.fixture
def deals(crm: Crm) -> HubSpotDeals:
    """Built as the hub builds it: from the HubSpot resource's settings."""
    return deals_for(HubSpotResource(base_url=crm.url, access_token=TOKEN, timeout=0.5))
