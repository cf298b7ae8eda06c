"""Reads and writes a Shopify shop through the Admin REST API.

Cursor of an incremental read: ``{"at": <instant>, "seen": {id: updated_at}}``. The next read asks
for ``updated_at_min=at`` (inclusive, so nothing changed in the same instant is lost) and drops the
records it already returned with the same ``updated_at``. ``at`` is never later than the server's
clock when the read began, so a record changed while the pages were being read is read again.

Writes go one record at a time (Shopify REST has no batch writes); a record the shop refuses (4xx)
fails alone, a record whose retries ran out fails as retriable, and neither stops the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from connectors.base.streams import Stream, parse_moment, read_stream
from connectors.shopify import streams
from connectors.shopify.client import ShopifyClient
from connectors.shopify.payloads import customer_payload, product_payload, tag_list, taken
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult
from hub.errors import FatalError, RecordRejected, RemoteRejected, RetriableError

ENTITIES = ("product", "customer", "order", "stock")
CLOCK_MARGIN = timedelta(seconds=2)  # the Date header is whole seconds and may be a second stale


class ShopifyConnector:
    def __init__(self, system: str, client: ShopifyClient) -> None:
        self.system, self.client = system, client
        self._skus: dict[str, dict[str, int]] | None = None  # SKU -> product, variant, inventory item

    # -- read ----------------------------------------------------------------------------------------
    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        if entity == "stock":
            return self._stock(batch_size)
        if entity not in streams.INCREMENTAL:
            raise FatalError(
                f"{self.system}: the shop connector cannot read '{entity}' ({', '.join(ENTITIES)})"
            )
        return self._changes(streams.INCREMENTAL[entity], cursor, batch_size)

    def _changes(self, stream: Stream, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        at, seen = _decode(cursor)
        stream = replace(stream, params={**stream.params, "limit": max(1, min(streams.PAGE, batch_size))})
        self.client.mark_clock()
        newest: str | None = None
        at_newest: dict[str, str] = {}  # records returned at the newest instant
        recent: dict[str, str] = {}  # records returned changed since the read began
        pending: ReadBatch | None = None
        for batch in read_stream(self.client, stream, at, batch_size):
            if pending is not None:
                yield ReadBatch(pending.records, None, pending.errors)
            start = self.client.clock - CLOCK_MARGIN if self.client.clock else None
            kept = []
            for record in batch.records:
                record_id, updated = str(record.get("id")), str(record.get("updated_at") or "")
                if _later(updated, newest):
                    newest, at_newest = updated, {}
                if updated == newest:
                    at_newest[record_id] = updated
                moment = parse_moment(updated)
                if start is not None and moment is not None and moment >= start:
                    recent[record_id] = updated
                if seen.get(record_id) != updated:
                    kept.append(record)
            pending = ReadBatch(kept, None, batch.errors)
        start = self.client.clock - CLOCK_MARGIN if self.client.clock else None
        last = parse_moment(newest)
        if last is not None and (start is None or last < start):
            final: str | None = json.dumps({"at": last.isoformat(), "seen": at_newest})
        elif start is not None:  # changed while we read (or nothing at all): from the read's start
            final = json.dumps({"at": start.isoformat(), "seen": recent})
        else:
            final = cursor
        yield ReadBatch(pending.records if pending else [], final, pending.errors if pending else [])

    def _stock(self, batch_size: int) -> Iterator[ReadBatch]:
        """Every inventory level of every location, with the SKU of its inventory item (a full read)."""
        locations = [
            loc["id"] for b in read_stream(self.client, streams.LOCATIONS, None, 250) for loc in b.records
        ]
        if not locations:
            return
        by_item = {ref["inventory_item_id"]: (sku, ref) for sku, ref in self._sku_index(refresh=True).items()}
        for batch in read_stream(self.client, streams.inventory_levels(locations), None, batch_size):
            records = []
            for level in batch.records:
                sku, ref = by_item.get(level.get("inventory_item_id"), (None, {}))
                if sku is None:
                    continue  # an inventory item without a SKU cannot be keyed by the hub
                records.append(
                    {
                        "sku": sku,
                        "location_id": level["location_id"],
                        "available": level.get("available"),
                        "inventory_item_id": level["inventory_item_id"],
                        "variant_id": ref.get("variant_id"),
                        "product_id": ref.get("product_id"),
                        "updated_at": level.get("updated_at"),
                    }
                )
            yield ReadBatch(records, None, batch.errors)

    def _sku_index(self, refresh: bool = False) -> dict[str, dict[str, int]]:
        """SKU -> ids, from one scan of the catalog (fields=id,variants); kept until refreshed."""
        if self._skus is None or refresh:
            index: dict[str, dict[str, int]] = {}
            for batch in read_stream(self.client, streams.VARIANTS, None, streams.PAGE):
                for product in batch.records:
                    for variant in product.get("variants") or []:
                        if variant.get("sku"):
                            index[str(variant["sku"])] = _ref(product["id"], variant)
            self._skus = index
        return self._skus

    # -- write ---------------------------------------------------------------------------------------
    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        writers: dict[str, Callable[[OutboundRecord], str]] = {
            "product": self._write_product,
            "customer": self._write_customer,
            "stock": self._write_stock,
            "order": self._write_order,
        }
        if entity not in writers:
            raise FatalError(f"{self.system}: the shop connector cannot write '{entity}'")
        return [_outcome(record, writers[entity]) for record in records]

    def _write_product(self, record: OutboundRecord) -> str:
        payload = product_payload(record.payload)
        if record.system_id:
            try:
                return self._update_product(int(record.system_id), payload)
            except RemoteRejected as exc:
                if exc.status != 404:
                    raise  # 404: deleted in the shop since; create it again
        sku = next((v.get("sku") for v in payload.get("variants") or [] if v.get("sku")), None)
        try:
            product = self.client.json("POST", "products.json", json={"product": payload})["product"]
        except RemoteRejected as exc:
            if exc.status != 422 or not sku or not taken(exc, "sku"):
                raise
            # a create whose answer was lost, replayed: the SKU exists, so update what is there
            ref = self._sku_index(refresh=True).get(sku)
            if ref is None:
                raise
            return self._update_product(ref["product_id"], payload)
        if self._skus is not None:
            for variant in product.get("variants") or []:
                if variant.get("sku"):
                    self._skus[str(variant["sku"])] = _ref(product["id"], variant)
        return str(product["id"])

    def _update_product(self, product_id: int, payload: dict[str, Any]) -> str:
        """PUT with the variant ids attached: variants sent without ids would replace the ones there."""
        if payload.get("variants"):
            current = self.client.json("GET", f"products/{product_id}.json", params={"fields": "id,variants"})
            ids = {v.get("sku"): v["id"] for v in current["product"].get("variants") or [] if v.get("sku")}
            payload = {
                **payload,
                "variants": [
                    {**v, "id": ids[v["sku"]]} if v.get("sku") in ids else v for v in payload["variants"]
                ],
            }
        body = {"product": {**payload, "id": product_id}}
        return str(self.client.json("PUT", f"products/{product_id}.json", json=body)["product"]["id"])

    def _write_customer(self, record: OutboundRecord) -> str:
        payload = customer_payload(record.payload)
        if record.system_id:
            try:
                return self._update_customer(int(record.system_id), payload)
            except RemoteRejected as exc:
                if exc.status != 404:
                    raise
        try:
            return str(
                self.client.json("POST", "customers.json", json={"customer": payload})["customer"]["id"]
            )
        except RemoteRejected as exc:
            email = payload.get("email")
            if exc.status != 422 or not email or not taken(exc, "email"):
                raise
            found = self.client.json("GET", "customers/search.json", params={"query": f"email:{email}"})
            matches = [
                c for c in found.get("customers") or [] if str(c.get("email", "")).lower() == email.lower()
            ]
            if not matches:
                raise
            return self._update_customer(int(matches[0]["id"]), payload)

    def _update_customer(self, customer_id: int, payload: dict[str, Any]) -> str:
        body = {"customer": {**payload, "id": customer_id}}
        return str(self.client.json("PUT", f"customers/{customer_id}.json", json=body)["customer"]["id"])

    def _write_stock(self, record: OutboundRecord) -> str:
        """``inventory_levels/set``: absolute ``available`` of one SKU at one location (idempotent)."""
        payload = record.payload
        try:
            location_id, available = int(payload["location_id"]), int(float(payload["available"]))
        except (KeyError, TypeError, ValueError):
            raise RecordRejected(
                "stock needs location_id and a numeric available", stage="write", raw=payload
            ) from None
        item_id = None
        if record.system_id and ":" in record.system_id:
            item_id = int(record.system_id.split(":", 1)[0])
        if item_id is None:
            sku = str(payload.get("sku") or "")
            ref = self._sku_index().get(sku) or self._sku_index(refresh=True).get(sku)
            if ref is None:  # the product may simply not be published yet
                raise RecordRejected(f"SKU {sku!r} is not in the shop", stage="write", retriable=True)
            item_id = ref["inventory_item_id"]
        body = {"location_id": location_id, "inventory_item_id": item_id, "available": available}
        level = self.client.json("POST", "inventory_levels/set.json", json=body)["inventory_level"]
        return f"{level['inventory_item_id']}:{level['location_id']}"

    def _write_order(self, record: OutboundRecord) -> str:
        """Orders are created by buyers; the hub only sets what Shopify lets an app change.

        ``tags`` replaces the order's tags; ``add_tags`` / ``remove_tags`` change only those (so the
        workflow's ``ready-to-ship`` never clobbers tags the shop or its staff set).
        """
        payload = record.payload
        changes = {k: payload[k] for k in ("tags", "note", "note_attributes") if k in payload}
        if isinstance(changes.get("tags"), list):
            changes["tags"] = ", ".join(str(t) for t in changes["tags"])
        order_id = record.system_id
        if not order_id:
            name = record.key if record.key.startswith("#") else f"#{record.key}"
            params = {"name": name, "status": "any", "fields": "id,name"}
            orders = self.client.json("GET", "orders.json", params=params).get("orders") or []
            if not orders:
                raise RecordRejected(f"order {name} is not in the shop", stage="write")
            order_id = str(orders[0]["id"])
        if payload.get("add_tags") or payload.get("remove_tags"):
            current = self.client.json("GET", f"orders/{order_id}.json", params={"fields": "id,tags"})[
                "order"
            ]
            tags = set(tag_list(changes.get("tags", current.get("tags"))))
            tags = (tags | set(tag_list(payload.get("add_tags")))) - set(tag_list(payload.get("remove_tags")))
            changes["tags"] = ", ".join(sorted(tags))
        body = {"order": {**changes, "id": int(order_id)}}
        return str(self.client.json("PUT", f"orders/{order_id}.json", json=body)["order"]["id"])

    def close(self) -> None:
        self.client.close()


# -- helpers -----------------------------------------------------------------------------------------
def _outcome(record: OutboundRecord, write: Callable[[OutboundRecord], str]) -> WriteResult:
    """One record's result: refused -> failed for good; retries exhausted -> failed, retriable."""
    try:
        return WriteResult(record.key, write(record))
    except RemoteRejected as exc:
        if exc.status in (401, 403):
            raise FatalError(f"shop refused the credentials: {exc}") from exc
        return WriteResult(record.key, error=str(exc), retriable=False)
    except RetriableError as exc:
        return WriteResult(record.key, error=f"gave up after retries: {exc}", retriable=True)
    except RecordRejected as exc:
        return WriteResult(record.key, error=exc.message, retriable=exc.retriable)
    except (KeyError, TypeError, ValueError) as exc:  # a payload or an answer of an unexpected shape
        return WriteResult(record.key, error=f"{type(exc).__name__}: {exc}", retriable=False)


def _decode(cursor: str | None) -> tuple[str | None, dict[str, str]]:
    """Our JSON cursor, or a bare timestamp (set by hand, or from an older connector)."""
    if not cursor:
        return None, {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return cursor, {}
    if isinstance(state, dict):
        return state.get("at"), {str(k): str(v) for k, v in (state.get("seen") or {}).items()}
    return str(state), {}


def _later(a: str | None, b: str | None) -> bool:
    """``a`` strictly after ``b`` (None is before everything)."""
    ma, mb = parse_moment(a), parse_moment(b)
    return ma is not None and (mb is None or ma > mb)


def _ref(product_id: int, variant: dict[str, Any]) -> dict[str, int]:
    return {
        "product_id": int(product_id),
        "variant_id": int(variant["id"]),
        "inventory_item_id": int(variant["inventory_item_id"]),
    }
