"""The PIM sandbox speaks Akeneo's REST dialect: OAuth2, search on ``updated``, paging, collection PATCH.

Raw HTTP on purpose (not the connector), so these tests pin the server's behaviour that any Akeneo
client relies on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.akeneo import AkeneoResource
from hub.engine.ports import OutboundRecord
from sandbox.common import SandboxServer
from sandbox.pim import create_app, sample

CLIENT = ("hub", "s3cret")
USER = {"username": "sync", "password": "pa55"}
API = "/api/rest/v1"
COLLECTION = "application/vnd.akeneo.collection+json"


class Pim:
    """A running sandbox plus a logged-in session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def grant(self, **body: Any) -> requests.Response:
        return requests.post(f"{self.url}/api/oauth/v1/token", auth=CLIENT, json=body, timeout=5)

    def login(self) -> dict[str, Any]:
        token = self.grant(grant_type="password", **USER).json()
        self.session.headers["Authorization"] = f"Bearer {token['access_token']}"
        return token

    def get(self, path: str, **params: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.url}{API}{path}"
        return self.session.get(url, params=params, timeout=5)

    def patch(self, identifier: str, body: Any) -> requests.Response:
        return self.session.patch(f"{self.url}{API}/products/{identifier}", json=body, timeout=5)

    def patch_many(self, items: list[Any], raw: list[str] | None = None) -> tuple[int, list[dict[str, Any]]]:
        lines = [json.dumps(i) for i in items] + (raw or [])
        response = self.session.patch(
            f"{self.url}{API}/products",
            data="\n".join(lines),
            headers={"Content-Type": COLLECTION},
            timeout=5,
        )
        statuses = [json.loads(line) for line in response.text.splitlines()] if response.ok else []
        return response.status_code, statuses

    def search(self, **filters: Any) -> list[str]:
        body = self.get("/products", search=json.dumps(filters), limit=100).json()
        return [item["identifier"] for item in body["_embedded"]["items"]]


def product(sku: str, name: str = "Hammer", **extra: Any) -> dict[str, Any]:
    return {
        "identifier": sku,
        "family": "tools",
        "values": {
            "name": [{"locale": "en_US", "scope": None, "data": name}],
            "weight": [{"locale": None, "scope": None, "data": {"amount": 1.2, "unit": "KILOGRAM"}}],
        },
        **extra,
    }


def _serve(path: Path, **kwargs: Any) -> Iterator[str]:
    app = create_app(path, CLIENT[0], CLIENT[1], USER["username"], USER["password"], **kwargs)
    with SandboxServer(app, name="pim") as server:
        yield server.url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("pim") / "pim.db")


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sandbox whose access tokens last half a second."""
    yield from _serve(tmp_path_factory.mktemp("pim-short") / "pim.db", token_ttl_s=0.5)


@pytest.fixture
def pim(server: str) -> Pim:
    requests.post(f"{server}/__sandbox/reset", timeout=5).raise_for_status()
    client = Pim(server)
    client.login()
    return client


# -- OAuth2 ----------------------------------------------------------------------------------------------
def test_password_grant_returns_tokens_and_refuses_bad_credentials(server: str) -> None:
    pim = Pim(server)
    token = pim.grant(grant_type="password", **USER).json()
    assert set(token) >= {"access_token", "expires_in", "refresh_token", "token_type"}
    assert token["expires_in"] == 3600 and token["token_type"] == "bearer"
    assert pim.grant(grant_type="password", username="sync", password="nope").status_code == 422
    assert pim.grant(grant_type="password").status_code == 422
    wrong_client = requests.post(
        f"{server}/api/oauth/v1/token",
        auth=("hub", "bad"),
        json={"grant_type": "password", **USER},
        timeout=5,
    )
    assert wrong_client.status_code == 422 and "client_id" in wrong_client.json()["message"]
    form = requests.post(
        f"{server}/api/oauth/v1/token", auth=CLIENT, data={"grant_type": "password", **USER}, timeout=5
    )
    assert form.status_code == 200, "form-encoded grants work too"


def test_api_needs_a_valid_bearer_token(pim: Pim) -> None:
    assert requests.get(f"{pim.url}{API}/products", timeout=5).status_code == 401
    bad = requests.get(f"{pim.url}{API}/products", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json() == {
        "code": 401,
        "message": "The access token provided is invalid.",
    }
    assert pim.get("/products").status_code == 200


def test_tokens_expire_and_refresh_tokens_are_single_use(short_lived: str) -> None:
    pim = Pim(short_lived)
    token = pim.login()
    assert pim.get("/products").status_code == 200
    time.sleep(0.6)
    expired = pim.get("/products")
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    renewed = pim.grant(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert renewed.status_code == 200
    pim.session.headers["Authorization"] = f"Bearer {renewed.json()['access_token']}"
    assert pim.get("/products").status_code == 200
    reused = pim.grant(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert reused.status_code == 422


def test_connector_renews_its_token_across_expiry(short_lived: str) -> None:
    connector = AkeneoResource(
        base_url=short_lived, client_id=CLIENT[0], secret=CLIENT[1], **USER, backoff=0.01
    ).connector("pim")
    assert all(r.ok for r in connector.write("product", _outbound([product("SKU-1")])))
    time.sleep(0.6)
    batches = list(connector.read("product", None, 10))
    assert [r["identifier"] for b in batches for r in b.records] == ["SKU-1"]
    assert connector.client.token_grants["refresh_token"] >= 1
    assert 401 not in connector.client.stats.by_status, "renewed before expiry, not after a refusal"
    connector.close()


def _outbound(items: list[dict[str, Any]]) -> list[OutboundRecord]:
    return [OutboundRecord(i["identifier"], None, i, "create") for i in items]


# -- search on updated -----------------------------------------------------------------------------------
def test_search_on_updated(pim: Pim) -> None:
    assert pim.patch_many([product(f"SKU-{i}") for i in range(3)])[0] == 200
    first = {i["identifier"]: i["updated"] for i in pim.get("/products").json()["_embedded"]["items"]}
    mark = max(first.values())
    time.sleep(0.01)
    assert (
        pim.patch(
            "SKU-1", {"values": {"brand": [{"locale": None, "scope": None, "data": "Acme"}]}}
        ).status_code
        == 204
    )
    assert pim.search(updated=[{"operator": ">", "value": mark}]) == ["SKU-1"]
    assert pim.search(updated=[{"operator": "<", "value": mark}]) == ["SKU-0"]
    assert sorted(pim.search(updated=[{"operator": "BETWEEN", "value": [min(first.values()), mark]}])) == [
        "SKU-0",
        "SKU-2",
    ]
    assert len(pim.search(updated=[{"operator": "SINCE LAST N DAYS", "value": 1}])) == 3
    # Akeneo's own format has whole seconds: "> this second" means from the next second on
    whole = mark[:19].replace("T", " ")
    assert pim.search(updated=[{"operator": ">", "value": whole}]) == []
    assert len(pim.search(updated=[{"operator": ">", "value": "2000-01-01 00:00:00"}])) == 3
    assert (
        pim.search(
            updated=[{"operator": ">", "value": mark}], family=[{"operator": "IN", "value": ["safety"]}]
        )
        == []
    )


def test_identical_patch_does_not_move_updated(pim: Pim) -> None:
    assert pim.patch("SKU-1", product("SKU-1")).status_code == 201
    before = pim.get("/products/SKU-1").json()
    same = product("SKU-1")
    same["values"]["weight"][0]["data"]["amount"] = "1.20"  # same number, other spelling
    assert pim.patch("SKU-1", same).status_code == 204
    assert pim.get("/products/SKU-1").json() == before
    renamed = pim.patch(
        "SKU-1", {"values": {"name": [{"locale": "fr_FR", "scope": None, "data": "Marteau"}]}}
    )
    assert renamed.status_code == 204
    after = pim.get("/products/SKU-1").json()
    assert after["updated"] > before["updated"]
    assert [v["locale"] for v in after["values"]["name"]] == ["en_US", "fr_FR"], "values merge per locale"


def test_bad_search_is_refused(pim: Pim) -> None:
    assert pim.get("/products", search="{not json").status_code == 400
    wrong_op = pim.get("/products", search=json.dumps({"updated": [{"operator": "LIKE", "value": "x"}]}))
    assert wrong_op.status_code == 422
    bad_date = pim.get("/products", search=json.dumps({"updated": [{"operator": ">", "value": "yesterday"}]}))
    assert bad_date.status_code == 422
    assert pim.get("/products", limit=101).status_code == 422


# -- pagination -------------------------------------------------------------------------------------------
def test_search_after_pages_follow_next_links(pim: Pim) -> None:
    assert pim.patch_many([product(f"SKU-{i:02d}") for i in range(25)])[0] == 200
    seen, pages = [], 0
    body = pim.get("/products", pagination_type="search_after", limit=10).json()
    while True:
        pages += 1
        assert "current_page" not in body
        seen += [i["identifier"] for i in body["_embedded"]["items"]]
        if "next" not in body["_links"]:
            break
        assert "search_after=" in body["_links"]["next"]["href"]
        body = pim.get(body["_links"]["next"]["href"]).json()
    assert pages == 3 and seen == [f"SKU-{i:02d}" for i in range(25)]


def test_page_pagination_has_current_page_and_count(pim: Pim) -> None:
    assert pim.patch_many([product(f"SKU-{i:02d}") for i in range(12)])[0] == 200
    first = pim.get("/products", limit=5, with_count="true").json()
    assert first["current_page"] == 1 and first["items_count"] == 12 and "next" in first["_links"]
    last = pim.get(first["_links"]["next"]["href"].replace("page=2", "page=3")).json()
    assert last["current_page"] == 3 and len(last["_embedded"]["items"]) == 2
    assert "next" not in last["_links"] and "previous" in last["_links"]


# -- collection PATCH and validation --------------------------------------------------------------------
def test_collection_patch_reports_one_status_per_line(pim: Pim) -> None:
    assert pim.patch("SKU-OLD", product("SKU-OLD")).status_code == 201
    status, lines = pim.patch_many(
        [
            product("SKU-NEW"),
            product("SKU-OLD", name="Hammer XL"),
            product("SKU-OLD", name="Hammer XL"),  # unchanged: still 204
            product("SKU-BAD", family="unknown"),
            {"family": "tools"},
        ],
        raw=["{broken"],
    )
    assert status == 200
    assert [(s["line"], s["status_code"]) for s in lines] == [
        (1, 201),
        (2, 204),
        (3, 204),
        (4, 422),
        (5, 422),
        (6, 400),
    ]
    assert lines[3]["identifier"] == "SKU-BAD" and lines[3]["errors"][0]["property"] == "family"
    assert pim.get("/products/SKU-BAD").status_code == 404


def test_collection_patch_limits_and_content_type(pim: Pim) -> None:
    assert pim.patch_many([product(f"SKU-{i}") for i in range(101)])[0] == 413
    wrong = pim.session.patch(f"{pim.url}{API}/products", json=product("SKU-1"), timeout=5)
    assert wrong.status_code == 415


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"family": "spaceships"}, "family"),
        ({"values": {"colour": [{"locale": None, "scope": None, "data": "red"}]}}, "values"),
        (
            {"values": {"weight": [{"locale": None, "scope": None, "data": {"amount": 1, "unit": "STONE"}}]}},
            "values",
        ),
        ({"values": {"name": [{"locale": None, "scope": None, "data": "no locale"}]}}, "values"),
        ({"values": {"brand": [{"locale": "en_US", "scope": None, "data": "a locale"}]}}, "values"),
        ({"values": {"ean": [{"locale": None, "scope": None, "data": "12AB"}]}}, "values"),
        ({"values": {"pack_size": [{"locale": None, "scope": None, "data": 2.5}]}}, "values"),
        ({"enabled": "yes"}, "enabled"),
        ({"colour": "red"}, "colour"),
        ({"identifier": "OTHER"}, "identifier"),
    ],
)
def test_invalid_products_get_422_with_errors(pim: Pim, change: dict[str, Any], prop: str) -> None:
    response = pim.patch("SKU-1", {**product("SKU-1"), **change})
    body = response.json()
    assert response.status_code == 422 and body["code"] == 422 and body["message"]
    assert prop in [e["property"] for e in body["errors"]], body
    assert pim.get("/products/SKU-1").status_code == 404, "nothing stored"


def test_products_are_shaped_like_akeneo(pim: Pim) -> None:
    assert pim.patch("SKU-1", product("SKU-1", categories=["tools"])).status_code == 201
    item = pim.get("/products/SKU-1").json()
    assert {"identifier", "family", "categories", "enabled", "values", "created", "updated"} <= set(item)
    assert item["values"]["weight"] == [
        {"locale": None, "scope": None, "data": {"amount": "1.2000", "unit": "KILOGRAM"}}
    ]
    assert item["updated"].endswith("+00:00") and item["enabled"] is True


def test_families_and_attributes_are_seeded(pim: Pim) -> None:
    families = [f["code"] for f in pim.get("/families", limit=100).json()["_embedded"]["items"]]
    assert "tools" in families and "fasteners" in families
    attributes = {a["code"]: a for a in pim.get("/attributes", limit=100).json()["_embedded"]["items"]}
    assert attributes["name"]["localizable"] and attributes["description"]["scopable"]
    assert attributes["weight"]["type"] == "pim_catalog_metric"
    assert attributes["images"]["type"] == "pim_catalog_text_collection"
    assert pim.get("/families/tools").json()["attribute_as_label"] == "name"
    assert pim.get("/attributes/nope").status_code == 404


def test_seed_endpoint_and_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "pim.db"
    for url in _serve(db):
        seeded = requests.post(
            f"{url}/__sandbox/seed", json={"products": [product("SKU-1")]}, timeout=5
        ).json()
        assert seeded["count"] == 1 and seeded["products"][0]["status_code"] == 201
    for url in _serve(db):
        pim = Pim(url)
        pim.login()
        assert pim.get("/products/SKU-1").status_code == 200


def test_sample_catalogue_seeds_in_akeneo_shape(server: str) -> None:
    requests.post(f"{server}/__sandbox/reset", timeout=5).raise_for_status()
    folder = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "pim" / "product"
    records = list(sample.read_jsonl(folder))
    result = sample.seed(server, records)
    statuses = [p["status_code"] for p in result["products"]]
    assert len(statuses) == len(records) and statuses.count(201) == result["count"] > len(records) // 2
    refused = {p["identifier"] for p in result["products"] if p["status_code"] == 422}
    spaced = {r["identifier"] for r in records if r["identifier"] != r["identifier"].strip()}
    assert spaced and spaced <= refused, "identifiers with spaces are refused, as Akeneo does"
    assert "SKU-1015" in refused, "a weight in stone is not a unit of Akeneo's Weight family"
