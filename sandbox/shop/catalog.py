"""Products with variants (SKU, price, barcode, weight, inventory item), locations and inventory levels.

SKUs are unique across the shop here (a real shop allows duplicates, but a hub keyed by SKU needs
them unique, and a 422 on a duplicate is what lets a replayed create be detected).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.common.docstore import now_iso
from sandbox.shop.common import ShopError, body_of, ids, invalid, money, page, public, respond, tags
from sandbox.shop.state import ShopState

PRODUCT_FIELDS = ("title", "body_html", "vendor", "product_type", "status", "tags", "handle", "images")
VARIANT_FIELDS = ("sku", "price", "compare_at_price", "barcode", "weight", "weight_unit", "title")
STATUSES = ("active", "draft", "archived")
WEIGHT_UNITS = ("g", "kg", "oz", "lb")


class Catalog:
    def __init__(self, state: ShopState) -> None:
        self.state, self.store = state, state.store

    # -- products ------------------------------------------------------------------------------------
    def _fields(self, data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in PRODUCT_FIELDS:
            if name in data:
                out[name] = data[name]
        if current is None or "title" in out:
            if not str(out.get("title") or "").strip():
                raise invalid("title", "can't be blank")
            out["title"] = str(out["title"]).strip()
        if "status" in out and out["status"] not in STATUSES:
            raise invalid("status", f"must be one of {', '.join(STATUSES)}")
        if "tags" in out:
            out["tags"] = tags(out["tags"])
        if "images" in out:
            images = out["images"] or []
            out["images"] = [
                {"position": i + 1, **({"src": img} if isinstance(img, str) else dict(img))}
                for i, img in enumerate(images if isinstance(images, list) else [])
            ]
        if current is None:
            title = out["title"]
            out = {
                "body_html": None,
                "vendor": None,
                "product_type": "",
                "status": "active",
                "tags": "",
            } | out
            out.setdefault("handle", "-".join(title.lower().split()))
            out.setdefault("images", [])
        return out

    def _variant(self, data: Any, current: dict[str, Any] | None, position: int) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise invalid("variants", "must be objects")
        base = current or {
            "title": "Default Title",
            "price": "0.00",
            "compare_at_price": None,
            "barcode": None,
            "weight": 0.0,
            "weight_unit": "kg",
        }
        out = {**base, **{k: data[k] for k in VARIANT_FIELDS if k in data}, "position": position}
        out["sku"] = str(out["sku"]).strip() if out.get("sku") not in (None, "") else None
        out["price"] = money(out["price"], "price")
        if out.get("compare_at_price") not in (None, ""):
            out["compare_at_price"] = money(out["compare_at_price"], "compare_at_price")
        out["barcode"] = str(out["barcode"]) if out.get("barcode") not in (None, "") else None
        try:
            out["weight"] = float(out["weight"] or 0)
        except (TypeError, ValueError):
            raise invalid("weight", "is not a number") from None
        if out["weight_unit"] not in WEIGHT_UNITS:
            raise invalid("weight_unit", f"must be one of {', '.join(WEIGHT_UNITS)}")
        return out

    def _sku_free(self, sku: str | None, variant_id: int | None) -> None:
        if sku is None:
            return
        owner = self.store.by_key("variants", sku)
        if owner is not None and owner["id"] != variant_id:
            raise invalid("variants.sku", f"'{sku}' has already been taken")

    def _variants(self, product_id: int | None, given: Any, current: list[dict[str, Any]]) -> list[dict]:
        """Shopify semantics: the variants sent are the product's variants (matched by id, then SKU)."""
        if not isinstance(given, list) or not given:
            raise invalid("variants", "must be a non-empty list")
        by_id = {v["id"]: v for v in current}
        by_sku = {v["sku"]: v for v in current if v.get("sku")}
        skus = [str(v.get("sku")).strip() for v in given if isinstance(v, dict) and v.get("sku")]
        if len(skus) != len(set(skus)):
            raise invalid("variants.sku", "must be unique within the product")
        planned: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        for position, data in enumerate(given, 1):
            old = by_id.get(data.get("id")) if isinstance(data, dict) else None
            if isinstance(data, dict) and data.get("id") is not None and old is None:
                raise invalid("variants.id", f"{data['id']} is not a variant of this product")
            old = old or (by_sku.get(str(data.get("sku")).strip()) if isinstance(data, dict) else None)
            new = self._variant(data, old, position)
            self._sku_free(new["sku"], old["id"] if old else None)
            planned.append((old, new))
        kept = {old["id"] for old, _ in planned if old}
        for gone in (v for v in current if v["id"] not in kept):
            self.store.delete("variants", gone["id"])
        out = []
        for old, new in planned:
            if old is None:
                index = self.store.insert(
                    "variants", {"sku": new["sku"], "product_id": product_id}, new["sku"]
                )
                item = self.store.insert("inventory_items", {"variant_id": index["id"], "sku": new["sku"]})
                stamp = index["created_at"]
                new |= {"id": index["id"], "inventory_item_id": item["id"], "created_at": stamp}
                new |= {"updated_at": stamp, "inventory_management": "shopify"}
            else:
                if old["sku"] != new["sku"]:
                    self.store.set_key("variants", old["id"], new["sku"])
                    self.store.update("inventory_items", old["inventory_item_id"], {"sku": new["sku"]})
                if new != old:
                    new["updated_at"] = now_iso()
            new["product_id"] = product_id
            out.append(new)
        return out

    def create_product(self, data: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(data, None)
        variants = self._variants(None, data.get("variants") or [{}], [])
        doc = self.store.insert("products", {**fields, "variants": []})
        for variant in variants:
            variant["product_id"] = doc["id"]
            self.store.update("variants", variant["id"], {"product_id": doc["id"]})
        doc = self.store.update("products", doc["id"], {"variants": variants}) or doc
        self.state.notify("products/create", public(doc))
        return doc

    def update_product(self, product_id: int, data: dict[str, Any]) -> dict[str, Any]:
        current = self.store.get("products", product_id)
        if current is None:
            raise ShopError(404, "Not Found")
        changes = self._fields(data, current)
        if "variants" in data:
            changes["variants"] = self._variants(product_id, data["variants"], current["variants"])
        doc = self.store.update("products", product_id, changes) or current
        if doc["updated_at"] != current["updated_at"]:
            self.state.notify("products/update", public(doc))
        return doc

    async def products(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            return respond({"product": public(self.create_product(await body_of(request, "product")))}, 201)

        def filters(query: dict[str, str]) -> dict[str, Any]:
            return self.state.time_filters(query) | {"ids": sorted(ids(query.get("ids"), "ids") or [])}

        def keep(doc: dict[str, Any], f: dict[str, Any]) -> bool:
            return self.state.in_window(doc, f) and (not f.get("ids") or doc["id"] in f["ids"])

        docs, headers = page(request, self.store, "products", filters, keep)
        fields = request.query_params.get("fields")
        return respond({"products": [public(d, fields) for d in docs]}, headers=headers)

    async def product(self, request: Request) -> JSONResponse:
        product_id = int(request.path_params["id"])
        if request.method == "PUT":
            doc = self.update_product(product_id, await body_of(request, "product"))
        else:
            doc = self.store.get("products", product_id)
            if doc is None:
                raise ShopError(404, "Not Found")
        return respond({"product": public(doc, request.query_params.get("fields"))})

    async def product_count(self, request: Request) -> JSONResponse:
        return respond({"count": self.store.count("products")})

    # -- locations and inventory ---------------------------------------------------------------------
    async def locations(self, request: Request) -> JSONResponse:
        return respond({"locations": self.state.locations})

    def set_level(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            location_id, item_id = int(data["location_id"]), int(data["inventory_item_id"])
            available = int(data["available"])
        except (KeyError, TypeError, ValueError):
            raise ShopError(
                422, {"errors": ["location_id, inventory_item_id and available are required"]}
            ) from None
        if location_id not in {loc["id"] for loc in self.state.locations}:
            raise invalid("location_id", f"{location_id} is not a location of this shop")
        if self.store.get("inventory_items", item_id) is None:
            raise invalid("inventory_item_id", f"{item_id} does not exist")
        key = f"{item_id}:{location_id}"
        level = {"inventory_item_id": item_id, "location_id": location_id, "available": available}
        current = self.store.by_key("inventory_levels", key)
        if current is None:
            doc = self.store.insert("inventory_levels", level, key)
        else:
            doc = self.store.update("inventory_levels", current["id"], level) or current
        if current is None or doc["updated_at"] != current["updated_at"]:
            self.state.notify("inventory_levels/update", _level(doc))
        return doc

    async def set_inventory(self, request: Request) -> JSONResponse:
        return respond({"inventory_level": _level(self.set_level(await body_of(request, None)))})

    async def inventory_levels(self, request: Request) -> JSONResponse:
        def filters(query: dict[str, str]) -> dict[str, Any]:
            locations = ids(query.get("location_ids"), "location_ids")
            items = ids(query.get("inventory_item_ids"), "inventory_item_ids")
            if not locations and not items:
                raise ShopError(422, {"errors": "location_ids or inventory_item_ids is required"})
            time = self.state.time_filters(query)
            return time | {"locations": sorted(locations or []), "items": sorted(items or [])}

        def keep(doc: dict[str, Any], f: dict[str, Any]) -> bool:
            return (
                self.state.in_window(doc, f)
                and (not f["locations"] or doc["location_id"] in f["locations"])
                and (not f["items"] or doc["inventory_item_id"] in f["items"])
            )

        docs, headers = page(request, self.store, "inventory_levels", filters, keep)
        return respond({"inventory_levels": [_level(d) for d in docs]}, headers=headers)


def _level(doc: dict[str, Any]) -> dict[str, Any]:
    """Inventory levels have no id of their own at Shopify: (inventory item, location) is the key."""
    return {k: doc[k] for k in ("inventory_item_id", "location_id", "available", "updated_at")}
