"""Orders found by name in the shop sandbox: the look-up reads the name's index (not every order), and
answers exactly what the full scan answered, whatever the number of orders and the other filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.common import SandboxServer
from sandbox.shop import create_app

TOKEN, SECRET = "shpat_sandbox", "whsec_sandbox"
HEADERS = {"X-Shopify-Access-Token": TOKEN}
ORDERS = 300  # more than one scan chunk (250): the name must be found past the first


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = Path(tmp_path_factory.mktemp("shop")) / "shop.db"
    app = create_app(db, TOKEN, SECRET, leak_rate=1000.0, webhook_backoff=(0.1, 0.2, 0.4))
    with SandboxServer(app, name="shop") as running:
        requests.post(f"{running.url}/__sandbox/limits", json={"burst": 1000, "leak_rate": 1000.0},
                      timeout=5).raise_for_status()  # fmt: skip
        api = f"{running.url}/admin/api/2024-10"
        session = requests.Session()
        for n in range(ORDERS):
            body = {"order": {"email": f"buyer{n}@example.com", "line_items": [{"sku": f"S-{n}", "quantity": 1,
                                                                                "price": "2.00"}]}}  # fmt: skip
            session.post(f"{api}/orders.json", json=body, headers=HEADERS, timeout=5).raise_for_status()
        yield api


def orders(api: str, **params: Any) -> requests.Response:
    return requests.get(f"{api}/orders.json", params=params, headers=HEADERS, timeout=5)


@pytest.mark.parametrize("number", [1001, 1150, 1000 + ORDERS])
def test_an_order_is_found_by_name_among_many(shop: str, number: int) -> None:
    found = orders(shop, status="any", name=f"#{number}").json()["orders"]
    assert [o["name"] for o in found] == [f"#{number}"]
    assert found[0]["email"] == f"buyer{number - 1001}@example.com"
    assert found[0]["order_number"] == number


def test_an_unknown_name_finds_nothing(shop: str) -> None:
    assert orders(shop, status="any", name="#99999").json()["orders"] == []
    assert orders(shop, status="any", name="1001").json()["orders"] == []  # names keep their '#'


def test_the_other_filters_still_apply_to_the_named_order(shop: str) -> None:
    one = orders(shop, status="any", name="#1002", fields="id,name").json()["orders"]
    assert one == [{"id": one[0]["id"], "name": "#1002"}]
    assert orders(shop, status="closed", name="#1002").json()["orders"] == []
    assert orders(shop, status="any", name="#1002", ids=str(one[0]["id"] + 1)).json()["orders"] == []
    later = orders(shop, status="any", name="#1002", updated_at_min="2999-01-01T00:00:00Z")
    assert later.json()["orders"] == []


def test_a_named_look_up_has_no_next_page(shop: str) -> None:
    got = orders(shop, status="any", name="#1003", limit=1)
    assert [o["name"] for o in got.json()["orders"]] == ["#1003"]
    assert "Link" not in got.headers


def test_without_a_name_every_order_is_still_listed_in_pages(shop: str) -> None:
    names: list[str] = []
    url: str | None = f"{shop}/orders.json?status=any&limit=250&fields=name"
    while url:
        got = requests.get(url, headers=HEADERS, timeout=5)
        names += [o["name"] for o in got.json()["orders"]]
        url = got.links.get("next", {}).get("url")
    assert names == [f"#{1001 + n}" for n in range(ORDERS)]
