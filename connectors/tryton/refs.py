"""Resolving the hub's natural keys to Tryton records for the order-to-cash flows.

SKUs are product codes, customer numbers are party codes, warehouses are stock location codes and
currencies and countries go by their ISO codes. What the caller names but Tryton does not have is the
caller's fault: :class:`hub.errors.RemoteRejected` with the unknown keys listed. Tryton refusing a call
for good (a ``UserError``) becomes ``RemoteRejected`` too, with what was being done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import pycountry

from connectors.tryton.client import TrytonClient, TrytonRPCError
from connectors.tryton.connector import Lookups, RecordError
from hub.errors import RemoteRejected, RetriableError
from hub.models import Address

PRODUCT_FIELDS = ("code", "default_uom", "sale_uom", "list_price_used", "template.account_category", "type")


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    storage: int


@contextlib.contextmanager
def refused(what: str) -> Iterator[None]:
    """Tryton's permanent refusals become RemoteRejected naming the operation; concurrency retries."""
    try:
        yield
    except TrytonRPCError as exc:
        if exc.retriable:
            raise RetriableError(f"Tryton was busy while {what}: {exc}") from exc
        raise RemoteRejected(f"Tryton refused {what}: {exc}", body=str(exc)) from exc


def quantity(value: Decimal | float) -> float:
    """Tryton quantities are floats."""
    return float(value)


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


class Refs:
    """Look-ups one TrytonOrders needs; small reference data is read once and kept."""

    def __init__(self, client: TrytonClient) -> None:
        self.client = client
        self.lookups = Lookups(client)

    # -- company, currency, units ---------------------------------------------------------------------
    @property
    def company(self) -> int:
        return int(self.lookups.company["id"])

    @cached_property
    def _currencies(self) -> dict[str, int]:
        rows = self.client.search_read("currency.currency", [], ["code"])
        return {r["code"]: r["id"] for r in rows}

    def currency(self, code: str | None) -> int:
        """The currency id; the company's when ``code`` is None."""
        code = (code or self.lookups.currency).upper()
        if code not in self._currencies:
            raise RemoteRejected(f"currency {code} is not set up in Tryton")
        return self._currencies[code]

    @cached_property
    def currency_codes(self) -> dict[int, str]:
        return {i: c for c, i in self._currencies.items()}

    def unit(self, uom: str | None, default: int) -> int:
        """The Tryton unit for a hub unit code (EA, CS...); ``default`` when the line gives none."""
        if not uom:
            return default
        try:
            return self.lookups.unit(uom)[0]
        except RecordError:
            raise RemoteRejected(f"unit {uom!r} is not set up in Tryton") from None

    # -- warehouses -----------------------------------------------------------------------------------
    @cached_property
    def warehouses(self) -> dict[str, Warehouse]:
        return {code: Warehouse(wid, code, storage) for wid, code, storage in self.lookups.warehouses}

    def warehouse(self, code: str) -> Warehouse:
        found = self.warehouses.get(code)
        if found is None:
            known = ", ".join(sorted(self.warehouses))
            raise RemoteRejected(f"unknown warehouse {code!r} in Tryton (known: {known})")
        return found

    def warehouse_code(self, warehouse_id: int) -> str:
        return next((w.code for w in self.warehouses.values() if w.id == warehouse_id), str(warehouse_id))

    # -- products -------------------------------------------------------------------------------------
    def products(self, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Products by SKU (their code); unknown SKUs are absent."""
        wanted = sorted({s for s in skus if s})
        if not wanted:
            return {}
        rows = self.client.search_read("product.product", [("code", "in", wanted)], PRODUCT_FIELDS)
        for row in rows:
            row["account_category"] = (row.pop("template.", None) or {}).get("account_category")
        categories = sorted({r["account_category"] for r in rows if r["account_category"]})
        taxes = {
            c["id"]: c["customer_taxes_used"] or []
            for c in self.client.read("product.category", categories, ["customer_taxes_used"])
        } if categories else {}  # fmt: skip
        for row in rows:
            row["customer_taxes"] = taxes.get(row["account_category"], [])
        return {r["code"]: r for r in rows}

    def require_products(self, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
        found = self.products(skus)
        unknown = sorted({s for s in skus if s not in found})
        if unknown:
            raise RemoteRejected(f"unknown SKU(s) in Tryton: {', '.join(unknown)}")
        return found

    # -- parties and addresses ------------------------------------------------------------------------
    def party(self, code: str | None) -> dict[str, Any] | None:
        if not code:
            return None
        fields = ["code", "name", "customer_payment_term", "addresses", "sale_invoice_method"]
        if self.lookups.has_field("party.party", "sale_shipment_method"):
            fields.append("sale_shipment_method")
        if self.lookups.has_field("party.party", "sale_price_list"):
            fields.append("sale_price_list")
        rows = self.client.search_read("party.party", [("code", "=", code)], fields, limit=1)
        return rows[0] if rows else None

    def require_party(self, code: str | None) -> dict[str, Any]:
        if not code:
            raise RemoteRejected("the order has no customer number: Tryton needs a party for a sale")
        party = self.party(code)
        if party is None:
            raise RemoteRejected(f"unknown customer {code!r} in Tryton (no party with that code)")
        return party

    def _country(self, code: str | None) -> int | None:
        """The country by ISO code, added when Tryton lacks it (a fresh Tryton has no country list)."""
        if not code:
            return None
        code = code.upper()
        ids = self.client.search("country.country", [("code", "=", code)], limit=1)
        if ids:
            return ids[0]
        known = pycountry.countries.get(alpha_2=code)
        if known is None:
            raise RemoteRejected(f"unknown country code {code!r}")
        with refused(f"adding country {code}"):
            return self.client.create("country.country", [{"code": code, "name": known.name}])[0]

    @staticmethod
    def _address_values(address: Address) -> dict[str, Any]:
        street = "\n".join(p for p in (address.line1, address.line2) if p)
        name = address.company or address.name
        return {
            "party_name": name or None,
            "attn": address.name if address.company and address.name else None,
            "street_unstructured": street or None,
            "postal_code": address.postal_code or None,
            "city": address.city or None,
        }

    def address(self, party_id: int, address: Address | None, *, kind: str) -> int:
        """The party's address matching ``address`` (created when none does); without one, the
        party's first address flagged for ``kind`` (invoice/delivery), then its first address."""
        fields = ["party_name", "attn", "street_unstructured", "postal_code", "city", "country.code"]
        rows = self.client.search_read(
            "party.address", [("party", "=", party_id)], [*fields, "invoice", "delivery"],
            order=[("sequence", "ASC"), ("id", "ASC")],
        )  # fmt: skip
        if address is None or not (address.line1 or address.city or address.postal_code):
            flagged = [r for r in rows if r.get(kind)]
            if flagged or rows:
                return int((flagged or rows)[0]["id"])
            raise RemoteRejected(f"the customer has no {kind} address in Tryton and the order gives none")
        values = self._address_values(address)
        country = (address.country or "").upper()
        for row in rows:
            same = all(_norm(row.get(k)) == _norm(v) for k, v in values.items())
            if same and _norm((row.get("country.") or {}).get("code")) == _norm(country):
                return int(row["id"])
        values["country"] = self._country(country)
        values["party"] = party_id
        with refused("adding the order's address to the customer"):
            return self.client.create("party.address", [values])[0]
