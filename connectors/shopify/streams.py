"""Shopify collections, declared: paths, records key, cursor field, how ``updated_at_min`` goes in.

Shopify pages in id order, not change order, so the cursor may only advance after the last page
(``sorted_by_cursor=False``). No lookback: the connector's cursor remembers the records it has seen
at the cursor's instant instead (see ``connector.py``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from connectors.base.streams import LinkHeaderPaginator, Request, Stream

PAGE = 250  # Shopify's largest page


def updated_since(request: Request, cursor: str) -> Request:
    return replace(request, params={**(request.params or {}), "updated_at_min": cursor})


def _changes(entity: str, collection: str, **params: str | int) -> Stream:
    return Stream(
        entity=entity,
        path=f"{collection}.json",
        primary_key="id",
        paginator=LinkHeaderPaginator(),
        records=collection,
        cursor_field="updated_at",
        params={"limit": PAGE, **params},
        with_cursor=updated_since,
        sorted_by_cursor=False,
        lookback=timedelta(0),
    )


PRODUCTS = _changes("product", "products")
CUSTOMERS = _changes("customer", "customers")
ORDERS = _changes("order", "orders", status="any")  # default 'open' would hide closed and cancelled ones

# the SKU index: every variant's SKU, variant id and inventory item id (Shopify REST has no SKU search)
VARIANTS = Stream(
    entity="product",
    path="products.json",
    primary_key="id",
    paginator=LinkHeaderPaginator(),
    records="products",
    params={"limit": PAGE, "fields": "id,variants"},
)

LOCATIONS = Stream(
    entity="location",
    path="locations.json",
    primary_key="id",
    paginator=LinkHeaderPaginator(),
    records="locations",
)


def inventory_levels(location_ids: list[int]) -> Stream:
    return Stream(
        entity="stock",
        path="inventory_levels.json",
        primary_key="inventory_item_id",
        paginator=LinkHeaderPaginator(),
        records="inventory_levels",
        params={"limit": PAGE, "location_ids": ",".join(str(i) for i in location_ids)},
    )


INCREMENTAL = {"product": PRODUCTS, "customer": CUSTOMERS, "order": ORDERS}
