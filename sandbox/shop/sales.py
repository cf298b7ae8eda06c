"""Customers (unique email, tags, note, addresses) and orders with line items, tags and fulfilments."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.shop.common import ShopError, body_of, ids, invalid, money, page, public, respond, tags
from sandbox.shop.state import ShopState

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_FIELDS = ("email", "first_name", "last_name", "phone", "tags", "note", "addresses", "metafields")
ORDER_UPDATABLE = ("tags", "note", "email", "note_attributes", "shipping_address", "po_number")
ORDER_STATUSES = ("open", "closed", "cancelled", "any")


class Sales:
    def __init__(self, state: ShopState) -> None:
        self.state, self.store = state, state.store

    # -- customers -----------------------------------------------------------------------------------
    def _customer_fields(self, data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        out = {k: data[k] for k in CUSTOMER_FIELDS if k in data}
        if "email" in out:
            out["email"] = str(out["email"] or "").strip().lower() or None
            if out["email"] and not EMAIL.match(out["email"]):
                raise invalid("email", "is invalid")
            owner = self.store.by_key("customers", out["email"]) if out["email"] else None
            if owner is not None and (current is None or owner["id"] != current["id"]):
                raise invalid("email", "has already been taken")
        email = out.get("email", current and current.get("email"))
        phone = out.get("phone", current and current.get("phone"))
        if not email and not phone:
            raise invalid("email", "can't be blank")
        if "tags" in out:
            out["tags"] = tags(out["tags"])
        if "metafields" in out:  # stored, but (like Shopify) not shown in the customer JSON
            out["_metafields"] = {
                f"{m.get('namespace')}.{m.get('key')}": m.get("value")
                for m in out.pop("metafields") or []
                if isinstance(m, dict)
            }
            out["_metafields"] = {**((current or {}).get("_metafields") or {}), **out["_metafields"]}
        if "addresses" in out:
            out["addresses"] = self._addresses(out["addresses"], current)
            out["default_address"] = next((a for a in out["addresses"] if a["default"]), None)
        if current is None:
            out = {"first_name": None, "last_name": None, "phone": None, "tags": "", "note": None} | out
            out |= {"state": "disabled", "verified_email": True, "currency": "USD"}
            out.setdefault("addresses", [])
            out.setdefault("default_address", None)
        return out

    @staticmethod
    def _addresses(given: Any, current: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Merged by position into the addresses there are (a simplification of Shopify's ids)."""
        if not isinstance(given, list) or not all(isinstance(a, dict) for a in given):
            raise invalid("addresses", "must be a list of objects")
        old = (current or {}).get("addresses") or []
        out = []
        for i, address in enumerate(given):
            base = old[i] if i < len(old) else {"id": None}
            merged = {**base, **{k: v for k, v in address.items() if k != "id"}, "default": i == 0}
            out.append(merged)
        return out

    def _finish_addresses(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """Addresses get ids (customer id x 1000 + n) and the customer id once it is known."""
        addresses = [
            {**a, "id": a.get("id") or doc["id"] * 1000 + i + 1, "customer_id": doc["id"]}
            for i, a in enumerate(doc.get("addresses") or [])
        ]
        if addresses == doc.get("addresses"):
            return None
        default = next((a for a in addresses if a["default"]), None)
        return {"addresses": addresses, "default_address": default}

    def create_customer(self, data: dict[str, Any]) -> dict[str, Any]:
        fields = self._customer_fields(data, None)
        doc = self.store.insert("customers", fields, fields.get("email"))
        doc = self.store.update("customers", doc["id"], self._finish_addresses(doc) or {}) or doc
        self.state.notify("customers/create", public(doc))
        return doc

    def update_customer(self, customer_id: int, data: dict[str, Any]) -> dict[str, Any]:
        current = self.store.get("customers", customer_id)
        if current is None:
            raise ShopError(404, "Not Found")
        changes = self._customer_fields(data, current)
        merged = {**current, **changes}
        changes |= self._finish_addresses(merged) or {}
        doc = self.store.update("customers", customer_id, changes) or current
        if doc.get("email") != current.get("email"):
            self.store.set_key("customers", customer_id, doc.get("email"))
        if doc["updated_at"] != current["updated_at"]:
            self.state.notify("customers/update", public(doc))
        return doc

    async def customers(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            doc = self.create_customer(await body_of(request, "customer"))
            return respond({"customer": public(doc)}, 201)

        def filters(query: dict[str, str]) -> dict[str, Any]:
            return self.state.time_filters(query) | {"ids": sorted(ids(query.get("ids"), "ids") or [])}

        def keep(doc: dict[str, Any], f: dict[str, Any]) -> bool:
            return self.state.in_window(doc, f) and (not f.get("ids") or doc["id"] in f["ids"])

        docs, headers = page(request, self.store, "customers", filters, keep)
        fields = request.query_params.get("fields")
        return respond({"customers": [public(d, fields) for d in docs]}, headers=headers)

    async def customer(self, request: Request) -> JSONResponse:
        customer_id = int(request.path_params["id"])
        if request.method == "PUT":
            doc = self.update_customer(customer_id, await body_of(request, "customer"))
        else:
            doc = self.store.get("customers", customer_id)
            if doc is None:
                raise ShopError(404, "Not Found")
        return respond({"customer": public(doc)})

    async def search_customers(self, request: Request) -> JSONResponse:
        """Only the ``email:`` query is understood: enough to find an account by its natural key."""
        query = request.query_params.get("query", "")
        found = re.fullmatch(r"\s*email:\s*\"?([^\"\s]+)\"?\s*", query)
        if not found:
            raise ShopError(400, {"query": "sandbox supports only email:<address>"})
        doc = self.store.by_key("customers", found.group(1).lower())
        return respond({"customers": [public(doc)] if doc else []})

    # -- orders --------------------------------------------------------------------------------------
    def _line_items(
        self, given: Any, order_id: int, currency: str, strict: bool = True
    ) -> list[dict[str, Any]]:
        if not isinstance(given, list) or not given:
            raise invalid("line_items", "must have at least one line")
        out = []
        for n, item in enumerate(given, 1):
            if not isinstance(item, dict):
                raise invalid("line_items", "must be objects")
            try:
                quantity = int(item.get("quantity", 0))
            except (TypeError, ValueError):
                quantity = 0
            if quantity < 1 and strict:
                raise invalid("line_items.quantity", "must be greater than 0")
            price = money(item.get("price", "0"), "line_items.price")
            sku = item.get("sku")
            variant = self.store.by_key("variants", str(sku)) if sku else None
            shop_money = {"amount": price, "currency_code": currency}
            out.append(
                {
                    "id": item.get("id") or order_id * 1000 + n,
                    "sku": sku,
                    "title": item.get("title") or sku,
                    "quantity": quantity,
                    "price": price,
                    "price_set": {"shop_money": shop_money, "presentment_money": shop_money},
                    "variant_id": variant["id"] if variant else item.get("variant_id"),
                    "product_id": variant["product_id"] if variant else item.get("product_id"),
                    "fulfillable_quantity": quantity,
                    "fulfillment_status": None,
                }
            )
        return out

    def create_order(self, data: dict[str, Any], strict: bool = True) -> dict[str, Any]:
        """``strict=False`` (seeding only) lets defective sample orders in, so the hub can show it rejects them."""
        email = str(data.get("email") or "").strip().lower() or None
        if email and not EMAIL.match(email):
            raise invalid("email", "is invalid")
        currency = str(data.get("currency") or "USD").upper()
        self._line_items(data.get("line_items"), 0, currency, strict)  # validate before anything is stored
        number = 1001 + self.store.count("orders")
        name = str(data.get("name") or f"#{number}")
        if self.store.by_key("orders", name) is not None:
            raise invalid("name", "has already been taken")
        skip = ("id", "line_items", "tags", "email", "created_at", "updated_at")
        passthrough = {k: v for k, v in data.items() if k not in skip}
        doc = self.store.insert("orders", {}, name)
        lines = self._line_items(data["line_items"], doc["id"], currency, strict)
        total = sum(Decimal(li["price"]) * li["quantity"] for li in lines)
        customer = data.get("customer")
        known = self.store.by_key("customers", email) if email and not customer else None
        if known:
            customer = {k: known.get(k) for k in ("id", "email", "first_name", "last_name", "note", "tags")}
        order = {
            "financial_status": "pending",
            "total_price": f"{total:.2f}",
            "note": None,
            **passthrough,
            "name": name,
            # like Shopify's order import: created_at is the shop's, processed_at may be given
            "processed_at": data.get("processed_at") or data.get("created_at") or doc["created_at"],
            "order_number": int(name.lstrip("#")) if name.lstrip("#").isdigit() else number,
            "email": email,
            "currency": currency,
            "tags": tags(data.get("tags")),
            "customer": customer,
            "line_items": lines,
            "fulfillment_status": None,
            "fulfillments": [],
            "closed_at": None,
            "cancelled_at": None,
        }
        doc = self.store.update("orders", doc["id"], order) or doc
        self.state.notify("orders/create", public(doc))
        return doc

    def update_order(self, order_id: int, data: dict[str, Any]) -> dict[str, Any]:
        current = self.store.get("orders", order_id)
        if current is None:
            raise ShopError(404, "Not Found")
        changes = {k: data[k] for k in ORDER_UPDATABLE if k in data}
        if "tags" in changes:
            changes["tags"] = tags(changes["tags"])
        doc = self.store.update("orders", order_id, changes) or current
        if doc["updated_at"] != current["updated_at"]:
            self.state.notify("orders/updated", public(doc))
        return doc

    async def orders(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            return respond({"order": public(self.create_order(await body_of(request, "order")))}, 201)

        def filters(query: dict[str, str]) -> dict[str, Any]:
            status = query.get("status", "open")
            if status not in ORDER_STATUSES:
                raise ShopError(400, {"status": f"must be one of {', '.join(ORDER_STATUSES)}"})
            found = {"status": status, "ids": sorted(ids(query.get("ids"), "ids") or [])}
            return self.state.time_filters(query) | found | {"name": query.get("name")}

        def keep(doc: dict[str, Any], f: dict[str, Any]) -> bool:
            status = f["status"]
            state = "cancelled" if doc.get("cancelled_at") else "closed" if doc.get("closed_at") else "open"
            return (
                self.state.in_window(doc, f)
                and (status == "any" or status == state)
                and (not f["ids"] or doc["id"] in f["ids"])
                and (not f["name"] or doc.get("name") == f["name"])
            )

        def named(f: dict[str, Any]) -> list[dict[str, Any]] | None:
            """Names are unique (the store's key): a look-up by name reads one document, not them all."""
            if not f.get("name"):
                return None
            doc = self.store.by_key("orders", str(f["name"]))
            return [doc] if doc is not None else []

        docs, headers = page(request, self.store, "orders", filters, keep, named)
        fields = request.query_params.get("fields")
        return respond({"orders": [public(d, fields) for d in docs]}, headers=headers)

    async def order(self, request: Request) -> JSONResponse:
        order_id = int(request.path_params["id"])
        if request.method == "PUT":
            doc = self.update_order(order_id, await body_of(request, "order"))
        else:
            doc = self.store.get("orders", order_id)
            if doc is None:
                raise ShopError(404, "Not Found")
        return respond({"order": public(doc)})

    # -- fulfilments ---------------------------------------------------------------------------------
    def fulfil(self, order_id: int, data: dict[str, Any]) -> dict[str, Any]:
        order = self.store.get("orders", order_id)
        if order is None:
            raise ShopError(404, "Not Found")
        lines = {li["id"]: dict(li) for li in order["line_items"]}
        wanted = data.get("line_items") or [
            {"id": li["id"], "quantity": li["fulfillable_quantity"]}
            for li in lines.values()
            if li["fulfillable_quantity"]
        ]
        if not wanted:
            raise invalid("line_items", "the order is already fulfilled")
        shipped = []
        for item in wanted:
            line = lines.get(item.get("id")) if isinstance(item, dict) else None
            if line is None:
                raise invalid("line_items", f"{item} is not a line item of this order")
            quantity = int(item.get("quantity") or line["fulfillable_quantity"])
            if not 0 < quantity <= line["fulfillable_quantity"]:
                raise invalid("line_items.quantity", f"line {line['id']}: {quantity} is more than is open")
            line["fulfillable_quantity"] -= quantity
            line["fulfillment_status"] = "fulfilled" if not line["fulfillable_quantity"] else "partial"
            shipped.append({**line, "quantity": quantity})
        number = data.get("tracking_number")
        fulfillment = {
            "order_id": order_id,
            "status": "success",
            "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
            "tracking_company": data.get("tracking_company"),
            "tracking_number": number,
            "tracking_numbers": data.get("tracking_numbers") or ([number] if number else []),
            "tracking_url": data.get("tracking_url"),
            "location_id": data.get("location_id"),
            "line_items": shipped,
        }
        fulfillment = self.store.insert("fulfillments", fulfillment)
        open_left = any(li["fulfillable_quantity"] for li in lines.values())
        changes = {
            "line_items": list(lines.values()),
            "fulfillments": [*order["fulfillments"], fulfillment],
            "fulfillment_status": "partial" if open_left else "fulfilled",
        }
        doc = self.store.update("orders", order_id, changes) or order
        self.state.notify("fulfillments/create", fulfillment)
        self.state.notify("orders/updated", public(doc))
        if not open_left:
            self.state.notify("orders/fulfilled", public(doc))
        return fulfillment

    async def fulfillments(self, request: Request) -> JSONResponse:
        order_id = int(request.path_params["id"])
        if request.method == "POST":
            fulfillment = self.fulfil(order_id, await body_of(request, "fulfillment"))
            return respond({"fulfillment": fulfillment}, 201)
        order = self.store.get("orders", order_id)
        if order is None:
            raise ShopError(404, "Not Found")
        return respond({"fulfillments": order["fulfillments"]})
