"""The connector contract for HubSpot customers, against the CRM sandbox; plus HubSpot-specific cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.hubspot import HubSpotConnector, HubSpotResource
from hub.engine.ports import Connector, OutboundRecord
from hub.mapping.loader import load_mapping_file
from sandbox.common import SandboxServer
from sandbox.crm import create_app
from tests.contract.base import ConnectorContract

TOKEN = "pat-sandbox-test"


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("crm") / "crm.db"
    with SandboxServer(create_app(db, TOKEN), name="crm") as server:
        yield server.url


def make_connector(url: str, **settings: Any) -> HubSpotConnector:
    values = {"base_url": url, "access_token": TOKEN, "timeout": 0.5, **settings}
    return HubSpotResource(**values).connector("crm")


@pytest.fixture
def connector(crm_url: str) -> HubSpotConnector:
    requests.post(f"{crm_url}/__sandbox/reset", timeout=5).raise_for_status()
    requests.post(f"{crm_url}/__sandbox/faults", json={"rate": 0.0}, timeout=5).raise_for_status()
    return make_connector(crm_url)


class TestHubSpotContract(ConnectorContract):
    entity = "customer"

    def payload(self, i: int) -> dict[str, Any]:
        return {
            "properties": {
                "account_number": f"C{20000 + i:05d}",
                "name": f"Account {i}",
                "email": f"billing{i}@account{i}.example",
                "phone": f"+1-555-{i:04d}",
                "segment": "wholesale",
                "tags": "b2b;net-terms",
                "lifecyclestage": "customer",
            },
            "addresses": [
                {
                    "type": "billing",
                    "street": f"{i} Main Street",
                    "city": "Springfield",
                    "state": "IL",
                    "zip": "62000",
                    "country": "US",
                },
                {
                    "type": "shipping",
                    "street": f"{i} Dock Road",
                    "city": "Springfield",
                    "state": "IL",
                    "zip": "62001",
                    "country": "US",
                },
            ],
            "contacts": [
                {
                    "firstname": "Ana",
                    "lastname": f"Buyer{i}",
                    "email": f"buyer{i}@account{i}.example",
                    "jobtitle": "Purchasing",
                    "primary": True,
                },
                {
                    "firstname": "Bo",
                    "lastname": f"Payer{i}",
                    "email": f"ap{i}@account{i}.example",
                    "jobtitle": "Accounts payable",
                    "primary": False,
                },
            ],
        }

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            **payload,
            "properties": {**payload["properties"], "name": payload["properties"]["name"] + " Ltd"},
        }

    def invalid(self) -> dict[str, Any]:
        bad = self.payload(99)
        bad["properties"]["segment"] = "galactic"  # not one of the segment options: 4xx for good
        return bad

    def key(self, payload: dict[str, Any]) -> str:
        return str(payload["properties"]["account_number"])

    def read_key(self, record: dict[str, Any]) -> str:
        return str(record["properties"]["account_number"])

    def set_faults(self, connector: Connector, rate: float) -> None:
        assert isinstance(connector, HubSpotConnector)
        config = {
            "rate": rate,
            "kinds": ["429", "500", "503", "timeout", "drop"],
            "retry_after": 0.05,
            "timeout_s": 1.0,
            "seed": 11,
        }
        requests.post(
            f"{connector.client.base_url}/__sandbox/faults", json=config, timeout=5
        ).raise_for_status()


# -- HubSpot specifics ------------------------------------------------------------------------------
contract = TestHubSpotContract()


def _records(c: HubSpotConnector, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    out, last = [], cursor
    for batch in c.read("customer", cursor, 50):
        out.extend(batch.records)
        last = batch.cursor or last
    return out, last


def test_record_shape_matches_the_customer_mapping(connector: HubSpotConnector) -> None:
    contract.write(connector, [contract.payload(1)])
    (record,), _ = _records(connector)
    assert record["properties"]["account_number"] == "C20001"
    assert record["properties"]["segment"] == "wholesale"
    assert [a["type"] for a in record["addresses"]] == ["billing", "shipping"]
    assert record["addresses"][1] == {
        "type": "shipping",
        "name": "Account 1",
        "street": "1 Dock Road",
        "street2": None,
        "city": "Springfield",
        "state": "IL",
        "zip": "62001",
        "country": "US",
    }
    primary, other = record["contacts"]
    assert (primary["email"], primary["primary"], other["primary"]) == (
        "buyer1@account1.example",
        True,
        False,
    )
    assert {"id", "updatedAt", "createdAt"} <= set(record)


def test_record_translates_with_the_hub_mapping(connector: HubSpotConnector) -> None:
    mapping = load_mapping_file(Path(__file__).resolve().parents[2] / "mappings" / "customer.yaml")
    contract.write(connector, [contract.payload(2)])
    (record,), _ = _records(connector)
    canonical = mapping.systems["crm"].translator.to_canonical(record)
    assert canonical["account_no"] == "C20002" and canonical["segment"] == "wholesale"
    assert (
        canonical["contacts"][0]["primary"] is True and canonical["addresses"][0]["line1"] == "2 Main Street"
    )


def test_contact_change_alone_brings_its_company_in_an_incremental_read(
    connector: HubSpotConnector, crm_url: str
) -> None:
    contract.write(connector, [contract.payload(i) for i in range(3)])
    _, cursor = _records(connector)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    r = requests.patch(
        f"{crm_url}/crm/v3/objects/contacts/ap1@account1.example?idProperty=email",
        json={"properties": {"jobtitle": "Controller"}},
        headers=headers,
        timeout=5,
    )
    r.raise_for_status()
    records, cursor2 = _records(connector, cursor)
    assert [r["properties"]["account_number"] for r in records] == ["C20001"]
    assert "Controller" in [c["jobtitle"] for c in records[0]["contacts"]]
    again, _ = _records(connector, cursor2)
    assert again == []


def test_search_cap_is_passed_by_reissuing_from_the_last_modified_date(tmp_path: Path) -> None:
    """A portal with more records than one search may return: every record once, no 400."""
    with SandboxServer(create_app(tmp_path / "crm.db", TOKEN, search_cap=20), name="crm-cap") as server:
        c = make_connector(server.url, page_size=10)
        payloads = [contract.payload(i) for i in range(45)]
        assert all(r.ok for r in contract.write(c, payloads))
        records, cursor = _records(c)
        keys = [r["properties"]["account_number"] for r in records]
        assert sorted(keys) == sorted(contract.key(p) for p in payloads) and cursor


def test_exhausted_retries_fail_the_batch_as_retriable_without_crashing(
    connector: HubSpotConnector, crm_url: str
) -> None:
    c = make_connector(crm_url, max_attempts=2)
    requests.post(
        f"{crm_url}/__sandbox/faults", json={"rate": 1.0, "kinds": ["503"]}, timeout=5
    ).raise_for_status()
    try:
        results = contract.write(c, [contract.payload(i) for i in range(3)])
    finally:
        requests.post(f"{crm_url}/__sandbox/faults", json={"rate": 0.0}, timeout=5).raise_for_status()
    assert [r.key for r in results] == ["C20000", "C20001", "C20002"]
    assert all(not r.ok and r.retriable for r in results), results


def test_contact_error_fails_only_its_record(connector: HubSpotConnector) -> None:
    good, bad = contract.payload(1), contract.payload(2)
    bad["contacts"][0]["email"] = "not-an-email"
    results = connector.write(
        "customer", [OutboundRecord(contract.key(p), None, p, "create") for p in (good, bad)]
    )
    assert results[0].ok and not results[1].ok and not results[1].retriable
    assert (
        "not-an-email" in (results[1].error or "") and results[1].system_id
    )  # company written, contact refused


def test_the_same_account_twice_in_one_write_is_applied_in_order(connector: HubSpotConnector) -> None:
    first, second = contract.payload(1), contract.changed(contract.payload(1))
    results = contract.write(connector, [first, second])
    assert all(r.ok for r in results) and results[0].system_id == results[1].system_id
    (record,), _ = _records(connector)
    assert record["properties"]["name"] == "Account 1 Ltd"


def test_many_small_pages_under_every_fault_kind(tmp_path: Path) -> None:
    """Enough calls that each fault kind really happens; the result is still exact."""
    with SandboxServer(create_app(tmp_path / "crm.db", TOKEN), name="crm-faults") as server:
        c = make_connector(server.url, page_size=10)
        payloads = [contract.payload(i) for i in range(60)]
        config = {"rate": 0.3, "kinds": ["429", "500", "502", "503", "timeout", "drop"], "retry_after": 0.05}
        requests.post(
            f"{server.url}/__sandbox/faults", json={**config, "timeout_s": 1.0, "seed": 3}, timeout=5
        )
        results = contract.write(c, payloads)
        found, _ = contract.read(c)
        counts = requests.post(f"{server.url}/__sandbox/faults", json={"rate": 0.0}, timeout=5).json()[
            "counts"
        ]
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert sorted(found) == sorted(contract.key(p) for p in payloads)
    assert all(len(v) == 1 for v in found.values())
    assert c.client.stats.retries >= 5 and len(set(counts) - {"ok"}) >= 4, counts
