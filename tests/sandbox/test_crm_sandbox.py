"""The CRM sandbox speaks HubSpot: search paging and sort, rate limit, batch upsert, validation, auth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.common import SandboxServer
from sandbox.crm import create_app

TOKEN = "pat-crm-sandbox"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
COMPANIES = "/crm/v3/objects/companies"
CONTACTS = "/crm/v3/objects/contacts"


class Crm:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("headers", AUTH)
        return requests.request(method, self.url + path, timeout=5, **kwargs)

    def company(self, i: int, **props: Any) -> dict[str, Any]:
        r = self.call(
            "POST",
            COMPANIES,
            json={"properties": {"account_number": f"C{i:05d}", "name": f"Co {i}", **props}},
        )
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    app = create_app(
        tmp_path_factory.mktemp("crm") / "crm.db", TOKEN, rate_max=1000, rate_window_s=1.0, search_cap=30
    )
    with SandboxServer(app, name="crm") as running:
        yield running


@pytest.fixture
def crm(server: SandboxServer) -> Crm:
    requests.post(f"{server.url}/__sandbox/reset", timeout=5).raise_for_status()
    return Crm(server.url)


def _search(crm: Crm, kind: str = "companies", **body: Any) -> dict[str, Any]:
    r = crm.call("POST", f"/crm/v3/objects/{kind}/search", json=body)
    assert r.status_code == 200, r.text
    return r.json()


# -- auth -------------------------------------------------------------------------------------------
def test_requests_without_the_bearer_token_are_refused(crm: Crm) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = crm.call("GET", COMPANIES, headers=headers)
        assert r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"
    assert crm.call("GET", COMPANIES).status_code == 200
    assert requests.get(f"{crm.url}/__sandbox/faults", timeout=5).status_code == 200  # control: no auth


# -- objects, validation, uniqueness ----------------------------------------------------------------
def test_create_get_and_patch_move_the_modified_date_only_on_real_change(crm: Crm) -> None:
    made = crm.company(1, segment="retail", credit_limit=5000)
    assert made["properties"]["credit_limit"] == "5000"  # HubSpot returns every value as a string
    path = f"{COMPANIES}/{made['id']}"
    same = crm.call("PATCH", path, json={"properties": {"segment": "retail"}}).json()
    assert same["updatedAt"] == made["updatedAt"]
    time.sleep(0.002)
    moved = crm.call("PATCH", path, json={"properties": {"segment": "wholesale"}}).json()
    assert moved["updatedAt"] > made["updatedAt"]
    assert moved["properties"]["hs_lastmodifieddate"] == moved["updatedAt"]
    got = crm.call("GET", path, params={"properties": "segment,account_number"}).json()
    assert got["properties"]["segment"] == "wholesale" and "name" not in got["properties"]
    by_key = crm.call("GET", f"{COMPANIES}/C00001", params={"idProperty": "account_number"})
    assert by_key.json()["id"] == made["id"]
    assert crm.call("GET", f"{COMPANIES}/999").status_code == 404


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"segment": "galactic"}, "INVALID_OPTION"),
        ({"payment_terms": "net45"}, "INVALID_OPTION"),
        ({"credit_limit": "lots"}, "INVALID_FLOAT"),
        ({"email": "nobody-at-example"}, "INVALID_EMAIL"),
        ({"no_such_property": "x"}, "PROPERTY_DOESNT_EXIST"),
        ({"hs_lastmodifieddate": "2020-01-01"}, "READ_ONLY_VALUE"),
    ],
)
def test_invalid_property_values_are_400_validation_errors(
    crm: Crm, props: dict[str, Any], code: str
) -> None:
    r = crm.call("POST", COMPANIES, json={"properties": {"account_number": "C00009", **props}})
    body = r.json()
    assert r.status_code == 400 and body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == code and body["message"]
    assert _search(crm)["total"] == 0


def test_unique_properties_conflict_with_409(crm: Crm) -> None:
    crm.company(1)
    r = crm.call("POST", COMPANIES, json={"properties": {"account_number": "C00001"}})
    assert r.status_code == 409 and r.json()["category"] == "CONFLICT"
    assert crm.call("POST", CONTACTS, json={"properties": {"email": "Ana@Example.com"}}).status_code == 201
    r = crm.call("POST", CONTACTS, json={"properties": {"email": "ana@example.com"}})  # emails are case-blind
    assert r.status_code == 409 and "Existing ID" in r.json()["message"]


def test_list_pages_with_after_and_caps_the_limit(crm: Crm) -> None:
    for i in range(5):
        crm.company(i)
    seen, after = [], None
    while True:
        body = crm.call("GET", COMPANIES, params={"limit": 2, **({"after": after} if after else {})}).json()
        seen += [r["id"] for r in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert len(seen) == len(set(seen)) == 5
    assert crm.call("GET", COMPANIES, params={"limit": 101}).status_code == 400


# -- search ------------------------------------------------------------------------------------------
def test_search_sorts_by_modified_date_pages_with_after_and_filters(crm: Crm) -> None:
    made = [crm.company(i, segment="retail" if i % 2 else "wholesale") for i in range(12)]
    time.sleep(0.002)
    crm.call("PATCH", f"{COMPANIES}/{made[0]['id']}", json={"properties": {"name": "Co 0 renamed"}})
    sort = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    rows, after = [], None
    while True:
        body = _search(crm, sorts=sort, limit=5, properties=["name"], **({"after": after} if after else {}))
        assert body["total"] == 12
        rows += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    stamps = [r["properties"]["hs_lastmodifieddate"] for r in rows]
    assert stamps == sorted(stamps) and rows[-1]["id"] == made[0]["id"] and len(rows) == 12
    # lastmodifieddate GT (epoch ms or ISO), and EQ on a property
    cut = rows[5]["updatedAt"]
    gt = [{"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": cut}]
    assert {r["id"] for r in _search(crm, filterGroups=[{"filters": gt}], limit=100)["results"]} == {
        r["id"] for r in rows if r["updatedAt"] > cut
    }
    eq = [{"propertyName": "segment", "operator": "EQ", "value": "retail"}]
    assert _search(crm, filterGroups=[{"filters": eq}])["total"] == 6
    lt = [{"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": "0"}]
    assert _search(crm, filterGroups=[{"filters": lt}])["total"] == 0


def test_search_refuses_to_page_past_its_cap(crm: Crm) -> None:
    body = {
        "inputs": [{"idProperty": "account_number", "id": f"C{i:05d}", "properties": {}} for i in range(35)]
    }
    assert crm.call("POST", f"{COMPANIES}/batch/upsert", json=body).status_code == 200
    assert _search(crm, limit=10, after="20")["paging"]["next"]["after"] == "30"
    r = crm.call("POST", f"{COMPANIES}/search", json={"limit": 10, "after": "30"})  # this sandbox's cap: 30
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"


# -- batch upsert / read -----------------------------------------------------------------------------
def test_batch_upsert_creates_updates_and_reports_bad_inputs_with_207(crm: Crm) -> None:
    def upsert(*items: tuple[str, dict[str, Any]]) -> requests.Response:
        inputs = [{"idProperty": "account_number", "id": k, "properties": p} for k, p in items]
        return crm.call("POST", f"{COMPANIES}/batch/upsert", json={"inputs": inputs})

    first = upsert(("C00001", {"name": "One"}), ("C00002", {"name": "Two"}))
    assert first.status_code == 200 and all(r["new"] for r in first.json()["results"])
    again = upsert(("C00001", {"name": "One"}), ("C00002", {"name": "Two 2"}))
    by_name = {r["properties"]["name"]: r for r in again.json()["results"]}
    old = {r["properties"]["name"]: r for r in first.json()["results"]}
    assert not by_name["One"]["new"] and by_name["One"]["updatedAt"] == old["One"]["updatedAt"]
    assert by_name["Two 2"]["updatedAt"] > old["Two"]["updatedAt"]
    mixed = upsert(("C00003", {"name": "Three"}), ("C00004", {"segment": "galactic"}))
    body = mixed.json()
    assert mixed.status_code == 207 and body["numErrors"] == 1 and len(body["results"]) == 1
    assert (
        body["errors"][0]["context"]["ids"] == ["C00004"]
        and body["errors"][0]["category"] == "VALIDATION_ERROR"
    )
    assert _search(crm)["total"] == 3
    dup = upsert(("C00005", {}), ("C00005", {}))
    assert dup.status_code == 400 and "Duplicate" in dup.json()["message"]
    big = crm.call(
        "POST",
        f"{COMPANIES}/batch/upsert",
        json={"inputs": [{"idProperty": "account_number", "id": f"X{i}"} for i in range(101)]},
    )
    assert big.status_code == 400
    wrong = crm.call(
        "POST",
        f"{COMPANIES}/batch/upsert",
        json={"inputs": [{"idProperty": "name", "id": "x", "properties": {}}]},
    )
    assert wrong.status_code == 207 and wrong.json()["errors"][0]["category"] == "VALIDATION_ERROR"


def test_batch_read_returns_found_and_reports_missing(crm: Crm) -> None:
    a = crm.company(1)
    r = crm.call(
        "POST",
        f"{COMPANIES}/batch/read",
        json={"properties": ["name"], "inputs": [{"id": a["id"]}, {"id": "404"}]},
    )
    assert r.status_code == 207 and [x["id"] for x in r.json()["results"]] == [a["id"]]
    assert r.json()["errors"][0]["context"]["ids"] == ["404"]


# -- associations -----------------------------------------------------------------------------------
def test_associations_v4(crm: Crm) -> None:
    company = crm.company(1)
    contact = crm.call("POST", CONTACTS, json={"properties": {"email": "a@b.example"}}).json()
    put = crm.call(
        "PUT", f"/crm/v4/objects/companies/{company['id']}/associations/default/contacts/{contact['id']}"
    )
    assert put.status_code == 200
    listed = crm.call("GET", f"/crm/v4/objects/companies/{company['id']}/associations/contacts").json()
    assert listed["results"][0]["toObjectId"] == int(contact["id"])
    assert listed["results"][0]["associationTypes"][0]["typeId"] == 280
    primary = {
        "inputs": [
            {
                "from": {"id": company["id"]},
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 2}],
            }
        ]
    }
    assert (
        crm.call("POST", "/crm/v4/associations/companies/contacts/batch/create", json=primary).status_code
        == 200
    )
    back = crm.call(
        "POST", "/crm/v4/associations/contacts/companies/batch/read", json={"inputs": [{"id": contact["id"]}]}
    ).json()
    assert {t["typeId"] for t in back["results"][0]["to"][0]["associationTypes"]} == {1, 279}
    # a new association is a change of the company (num_associated_contacts), as in HubSpot
    after = crm.call(
        "GET", f"{COMPANIES}/{company['id']}", params={"properties": "num_associated_contacts"}
    ).json()
    assert after["properties"]["num_associated_contacts"] == "1"


# -- rate limit -------------------------------------------------------------------------------------
def test_rate_limit_headers_and_429_with_retry_after(tmp_path: Path) -> None:
    with SandboxServer(
        create_app(tmp_path / "crm.db", TOKEN, rate_max=5, rate_window_s=0.5), name="crm-rate"
    ) as s:
        crm = Crm(s.url)
        first = crm.call("GET", COMPANIES)
        assert first.headers["X-HubSpot-RateLimit-Max"] == "5"
        assert first.headers["X-HubSpot-RateLimit-Remaining"] == "4"
        assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "500"
        answers = [crm.call("GET", COMPANIES) for _ in range(5)]
        limited = answers[-1]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
        assert (
            0 < float(limited.headers["Retry-After"]) <= 0.5
            and limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        )
        time.sleep(float(limited.headers["Retry-After"]) + 0.05)
        assert crm.call("GET", COMPANIES).status_code == 200


def test_seed_loads_the_sample_companies(crm: Crm) -> None:
    report = crm.call("POST", "/__sandbox/seed", headers={}).json()
    assert report["created"] >= 10 and not report["errors"]
    assert _search(crm)["total"] == report["created"]
