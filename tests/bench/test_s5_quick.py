"""S5 connector efficiency, small: the call counting works and the counts follow the dialects' batch sizes.

Runs the scenario with tiny N against the sandboxes at the demo's fast limits (a few seconds). The
client-side counts are checked against the sandboxes' own request counters, and against what each
connector's batching implies (e.g. 250 CRM accounts = 3 company batch upserts). Tryton runs in its
own test (slow: it starts trytond); it skips when Tryton cannot run, unless ``HUB_REQUIRE_TRYTON=1``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest

from bench import s5_connectors as s5

N, SHOP_N = 250, 30


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, str], dict[str, Any]]:
    result = s5.run(N, shop_n=SHOP_N, quick=True, erp=False, systems=("shop", "crm", "pim"))
    assert result["target_met"] and not result["skipped"]
    assert result["machine"]["cores"] and len(result["machine"]["load_average"]) == 3
    return {(r["connector"], r["entity"]): r for r in result["rows"]}


def test_every_record_is_written_and_read_back_once(rows: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert set(rows) == {("crm", "customer"), ("pim", "product"), ("shop", "product"), ("shop", "customer")}
    for row in rows.values():
        assert row["failed"] == 0, row
        assert row["n_read"] == row["n_written"] == (SHOP_N if row["connector"] == "shop" else N)
        assert row["idle_read_records"] == 0, row


def test_client_counts_agree_with_the_sandboxes_own_counters(
    rows: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for row in rows.values():
        phases = row["write_calls"] + row["read_calls"] + row["idle_read_calls"]
        assert row["client_calls"] == phases == row["server_requests"], row
        assert row["write_calls"] > 0 and row["read_calls"] > 0 and row["idle_read_calls"] > 0
        assert row["per_1k_written"] == round(row["write_calls"] * 1000 / row["n_written"], 1)
        assert row["per_1k_read"] == round(row["read_calls"] * 1000 / row["n_read"], 1)


def test_crm_writes_in_batches_of_100(rows: dict[tuple[str, str], dict[str, Any]]) -> None:
    crm = rows["crm", "customer"]
    writes = crm["write_endpoints"]
    assert writes["POST /crm/v3/objects/companies/batch/upsert"] == 3  # 250 accounts
    assert writes["POST /crm/v3/objects/contacts/batch/upsert"] == 5  # 500 contacts: 200 + 200 + 100
    assert crm["write_calls"] == crm["expected_calls"]["write"] == 16
    reads = crm["read_endpoints"]
    assert reads["POST /crm/v3/objects/companies/search"] == 3  # pages of 100
    assert crm["read_calls"] == crm["expected_calls"]["read"]
    assert set(crm["idle_endpoints"]) == {
        "POST /crm/v3/objects/companies/search",
        "POST /crm/v3/objects/contacts/search",
    }


def test_pim_patches_collections_of_100(rows: dict[tuple[str, str], dict[str, Any]]) -> None:
    pim = rows["pim", "product"]
    assert pim["write_endpoints"]["PATCH /api/rest/v1/products"] == math.ceil(N / 100)
    assert pim["write_endpoints"]["POST /api/oauth/v1/token"] == 1  # one grant for the whole run
    assert pim["read_endpoints"] == {"GET /api/rest/v1/products": math.ceil(N / 100)}
    assert pim["write_calls"] == pim["expected_calls"]["write"]


def test_shop_writes_one_call_per_record_and_reads_pages(rows: dict[tuple[str, str], dict[str, Any]]) -> None:
    products, customers = rows["shop", "product"], rows["shop", "customer"]
    assert products["write_endpoints"] == {"POST /products.json": SHOP_N}
    assert customers["write_endpoints"] == {"POST /customers.json": SHOP_N}
    assert products["read_endpoints"] == {"GET /products.json": 1}
    assert products["http_429"] == products["retries"] == 0  # 30 calls fit the 40-call bucket


def test_429s_and_retries_are_counted_and_lose_nothing() -> None:
    """A client at 20 calls/s against a shop leaking 2/s: the bucket overflows, 429s are retried."""
    case = s5.Case("shop", "product", 46, s5.STANDARD_FAST_CLIENT)
    with s5.sandboxes(s5.FAST.crm_window_s, erp=False) as (urls, _, _):
        row = s5.measure(case, s5.probe_for(case, urls, None), batch_size=500)
    assert row["failed"] == 0 and row["n_read"] == 46
    assert row["http_429"] >= 1 and row["retries"] == row["http_429"], row
    assert row["outcomes"]["429"] == row["http_429"]
    refused_writes = row["write_outcomes"].get("429", 0)
    assert row["write_calls"] == 46 + refused_writes == row["write_endpoints"]["POST /products.json"]
    assert row["write_outcomes"]["201"] == 46
    assert row["client_calls"] == row["server_requests"]  # refused calls reach the server too


@pytest.mark.slow
def test_tryton_counts() -> None:
    result = s5.run(60, quick=True, systems=("erp",))
    if result["skipped"]:
        assert os.environ.get("HUB_REQUIRE_TRYTON") != "1", result["skipped"]
        pytest.skip(f"Tryton cannot run here: {result['skipped'][0]['reason']}")
    rows = {r["entity"]: r for r in result["rows"]}
    products, customers = rows["product"], rows["customer"]
    for row in (products, customers):
        assert row["failed"] == 0 and row["n_read"] == row["n_written"] == 60, row
        assert row["write_calls"] == row["expected_calls"]["write"], row["write_endpoints"]
        assert row["server_requests"] is None and row["client_calls"] > row["write_calls"]
    assert products["write_endpoints"]["model.product.template.create"] == 2  # chunks of 50
    assert customers["write_endpoints"]["model.party.party.create"] == 2
    assert products["write_endpoints"]["common.db.login"] == 1
