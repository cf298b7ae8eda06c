"""The connector contract for Akeneo products, against the PIM sandbox over real HTTP.

One sandbox server per module (starting uvicorn is the slow part); each test resets its state through
``/__sandbox/reset``, which also revokes every token, so each test also exercises a fresh OAuth2 grant.
Run twice: with Akeneo's own value lists, and with the flat one-locale shape.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.akeneo import AkeneoConnector, AkeneoResource
from connectors.akeneo import values as akeneo_values
from sandbox.common import SandboxServer
from sandbox.pim import create_app
from tests.contract.base import ConnectorContract

CREDENTIALS = {"client_id": "hub", "secret": "s3cret", "username": "sync", "password": "pa55"}


@pytest.fixture(scope="module")
def pim_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(tmp_path_factory.mktemp("pim") / "pim.db", **CREDENTIALS)
    with SandboxServer(app, name="pim") as server:
        yield server.url


def _gtin(i: int) -> str:
    body = f"400{i:09d}"
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class TestAkeneoProductContract(ConnectorContract):
    entity = "product"
    values_format = "akeneo"

    @pytest.fixture
    def connector(self, pim_url: str) -> Iterator[AkeneoConnector]:
        requests.post(f"{pim_url}/__sandbox/reset", timeout=5).raise_for_status()
        requests.post(f"{pim_url}/__sandbox/faults", json={"rate": 0.0}, timeout=5).raise_for_status()
        resource = AkeneoResource(
            base_url=pim_url,
            **CREDENTIALS,
            values_format=self.values_format,
            timeout=1.0,
            backoff=0.05,
            max_attempts=10,
            requests_per_second=200,
        )
        connector = resource.connector("pim")
        yield connector
        connector.close()

    def payload(self, i: int) -> dict[str, Any]:
        return {
            "identifier": f"SKU-{i:04d}",
            "family": "tools",
            "enabled": True,
            "categories": ["tools"],
            "values": {
                "name": [{"locale": "en_US", "scope": None, "data": f"Utility knife {i}"}],
                "description": [{"locale": "en_US", "scope": "ecommerce", "data": f"Knife number {i}."}],
                "brand": [{"locale": None, "scope": None, "data": "Northwind"}],
                "ean": [{"locale": None, "scope": None, "data": _gtin(i)}],
                "weight": [{"locale": None, "scope": None, "data": {"amount": "0.25", "unit": "KILOGRAM"}}],
                "images": [{"locale": None, "scope": None, "data": [f"https://cdn.example.com/{i}.jpg"]}],
            },
        }

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(payload)
        out["values"]["name"][0]["data"] += " (new)"
        return out

    def invalid(self) -> dict[str, Any]:
        out = self.payload(999)
        out["values"]["weight"][0]["data"]["unit"] = "STONE"  # not a unit of the Weight family
        return out

    def key(self, payload: dict[str, Any]) -> str:
        return str(payload["identifier"])

    def read_key(self, record: dict[str, Any]) -> str:
        return str(record["identifier"])

    def set_faults(self, connector: AkeneoConnector, rate: float) -> None:  # type: ignore[override]
        faults = {
            "rate": rate,
            "kinds": ["429", "500", "503", "timeout", "drop"],
            "retry_after": 0.1,
            "timeout_s": 1.5,  # longer than the client's 1 s timeout
            "seed": 7,  # the collection PATCH meets 429 + 3 drops, the read a timeout + 429
        }
        requests.post(
            f"{connector.client.base_url}/__sandbox/faults", json=faults, timeout=5
        ).raise_for_status()

    # -- Akeneo specifics on top of the contract ---------------------------------------------------------
    def test_records_come_back_in_akeneo_shape(self, connector: AkeneoConnector) -> None:
        assert all(r.ok for r in self.write(connector, [self.payload(1)]))
        found, cursor = self.read(connector)
        record = found["SKU-0001"][0]
        assert set(record) >= {
            "identifier",
            "family",
            "categories",
            "enabled",
            "values",
            "created",
            "updated",
        }
        assert "_links" not in record
        assert cursor and cursor.endswith("+00:00")
        self.check_values(record["values"])

    def check_values(self, values: dict[str, Any]) -> None:
        assert values["name"] == [{"locale": "en_US", "scope": None, "data": "Utility knife 1"}]
        assert values["weight"][0]["data"] == {"amount": "0.2500", "unit": "KILOGRAM"}

    def test_more_than_one_collection_call(self, connector: AkeneoConnector) -> None:
        payloads = [self.payload(i) for i in range(150)]
        connector.client.access_token()
        connector.attributes()  # read once (flat writes need it); not per batch
        before = connector.client.stats.calls
        results = self.write(connector, payloads)
        assert all(r.ok for r in results) and len(results) == 150
        assert connector.client.stats.calls - before == 2  # 2 collection PATCH of at most 100 lines

    def test_token_revoked_mid_run_is_renewed(self, connector: AkeneoConnector) -> None:
        assert all(r.ok for r in self.write(connector, [self.payload(1)]))
        requests.post(f"{connector.client.base_url}/__sandbox/reset", timeout=5)  # also drops tokens
        assert all(r.ok for r in self.write(connector, [self.payload(2)]))
        assert connector.client.token_grants["password"] == 2
        assert connector.client.stats.by_status.get(401) == 1


class TestAkeneoFlatProductContract(TestAkeneoProductContract):
    """The same contract with ``values_format='flat'``: plain values for one locale and channel."""

    values_format = "flat"

    def payload(self, i: int) -> dict[str, Any]:
        out = super().payload(i)
        out["values"] = {code: entries[0]["data"] for code, entries in out["values"].items()}
        return out

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(payload)
        out["values"]["name"] += " (new)"
        return out

    def invalid(self) -> dict[str, Any]:
        out = self.payload(999)
        out["values"]["weight"]["unit"] = "STONE"
        return out

    def check_values(self, values: dict[str, Any]) -> None:
        assert values["name"] == "Utility knife 1"
        assert values["description"] == "Knife number 1."
        assert values["weight"] == {"amount": "0.2500", "unit": "KILOGRAM"}
        assert values["images"] == ["https://cdn.example.com/1.jpg"]


def test_flatten_prefers_the_exact_locale_and_channel() -> None:
    values = {
        "name": [
            {"locale": "de_DE", "scope": None, "data": "Messer"},
            {"locale": "en_US", "scope": None, "data": "Knife"},
        ],
        "description": [
            {"locale": "en_US", "scope": "print", "data": "print text"},
            {"locale": "en_US", "scope": "ecommerce", "data": "web text"},
        ],
        "brand": [{"locale": None, "scope": None, "data": "Northwind"}],
        "material": [{"locale": "fr_FR", "scope": None, "data": "acier"}],
    }
    assert akeneo_values.flatten(values, "en_US", "ecommerce") == {
        "name": "Knife",
        "description": "web text",
        "brand": "Northwind",
    }
    attributes = {"name": {"localizable": True}, "description": {"localizable": True, "scopable": True}}
    lifted = akeneo_values.lift(
        {"name": "Knife", "description": "x", "brand": "B"}, attributes, "en_US", "print"
    )
    assert lifted == {
        "name": [{"locale": "en_US", "scope": None, "data": "Knife"}],
        "description": [{"locale": "en_US", "scope": "print", "data": "x"}],
        "brand": [{"locale": None, "scope": None, "data": "B"}],
    }


def test_faults_are_injected_and_retried(pim_url: str) -> None:
    """Small pages make many calls, so every kind of fault really happens; nothing is lost or doubled."""
    requests.post(f"{pim_url}/__sandbox/reset", timeout=5).raise_for_status()
    resource = AkeneoResource(
        base_url=pim_url,
        **CREDENTIALS,
        page_size=5,
        timeout=0.5,
        backoff=0.02,
        max_attempts=12,
        requests_per_second=500,
    )
    connector, contract = resource.connector("pim"), TestAkeneoProductContract()
    faults = {
        "rate": 0.35,
        "kinds": ["429", "500", "503", "timeout", "drop"],
        "retry_after": 0.05,
        "timeout_s": 0.8,
        "seed": 9,
    }
    before = requests.post(f"{pim_url}/__sandbox/faults", json=faults, timeout=5).json()["counts"]
    try:
        results = contract.write(connector, [contract.payload(i) for i in range(40)])
        found, _ = contract.read(connector)
        after = requests.get(f"{pim_url}/__sandbox/faults", timeout=5).json()["counts"]
        counts = {k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}  # cumulative
    finally:
        requests.post(f"{pim_url}/__sandbox/faults", json={"rate": 0.0}, timeout=5)
        connector.close()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert sorted(found) == [f"SKU-{i:04d}" for i in range(40)] and all(len(v) == 1 for v in found.values())
    assert {"429", "500", "503", "timeout", "drop"} <= set(counts), counts
    assert connector.client.stats.retries == sum(v for k, v in counts.items() if k != "ok")
