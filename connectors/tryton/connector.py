"""Tryton ERP connector: products, customers (parties) and stock levels over JSON-RPC.

Entity logic lives in ``products``, ``customers`` and ``stock``; this module dispatches and holds the
reference data every entity resolves names against (units, payment terms, warehouses, the company's
currency), loaded once per connector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from connectors.tryton.client import TrytonClient
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult
from hub.errors import FatalError, RetriableError

# Common unit codes (UN/CEFACT and plain words) -> Tryton unit names, so hub units resolve.
UNIT_ALIASES = {
    "ea": "Unit", "each": "Unit", "unit": "Unit", "pc": "Unit", "pcs": "Unit", "u": "Unit",
    "kgm": "Kilogram", "grm": "Gram", "lbr": "Pound", "onz": "Ounce", "ltr": "Liter", "mtr": "Meter",
}  # fmt: skip


class RecordError(ValueError):
    """One outbound record cannot be written as it is (permanent until the data changes)."""


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


Prepared = tuple[int, OutboundRecord, dict[str, Any]]


def base_values(conn: TrytonConnector, record: OutboundRecord) -> dict[str, Any]:
    """What products and parties check alike: a code, the company's currency, a name."""
    p = record.payload
    code = str(p.get("code") or record.key or "").strip()
    if not code:
        raise RecordError("code: required")
    currency = p.get("currency")
    if currency and str(currency).strip().upper() != conn.lookups.currency:
        raise RecordError(f"currency: {currency} differs from the company currency {conn.lookups.currency}")
    wanted: dict[str, Any] = {"code": code}
    if p.get("name") not in (None, ""):
        wanted["name"] = str(p["name"])
    return wanted


def write_by_code(
    conn: TrytonConnector,
    records: Sequence[OutboundRecord],
    wanted: Callable[[TrytonConnector, OutboundRecord], dict[str, Any]],
    write_chunk: Callable[[TrytonConnector, Sequence[Prepared]], dict[int, WriteResult]],
) -> list[WriteResult]:
    """The write loop products and parties share: check each record, refuse a code twice in a batch,
    write in chunks; a chunk Tryton never answered becomes retriable failures, not a crash."""
    results: dict[int, WriteResult] = {}
    prepared: list[Prepared] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        try:
            values = wanted(conn, record)
            if values["code"] in seen:
                raise RecordError(f"code: {values['code']} appears twice in one batch")
            seen.add(values["code"])
        except RecordError as exc:
            results[index] = WriteResult(record.key, record.system_id, error=str(exc))
            continue
        prepared.append((index, record, values))
    for part in chunks(prepared, conn.create_batch):
        try:
            results.update(write_chunk(conn, part))
        except RetriableError as exc:  # Tryton unreachable even after retries: try these again later
            for index, record, _ in part:
                results[index] = WriteResult(record.key, record.system_id, f"Tryton unavailable: {exc}", True)
    return [results[i] for i in range(len(records))]


def to_decimal(value: Any, field: str, places: int) -> Decimal | None:
    """Payload amounts (str, int, float, Decimal) as Tryton stores them, or None when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RecordError(f"{field}: not a number: {value!r}") from None
    if not number.is_finite():
        raise RecordError(f"{field}: not a finite number: {value!r}")
    return number.quantize(Decimal(1).scaleb(-places))


def number_text(value: Any) -> str | None:
    """Decimals and floats as plain text (``"12.5"``, ``"1341"``): exact and stable for hashing."""
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _norm(name: str) -> str:
    return "".join(str(name).lower().split())


class Lookups:
    """Reference data read once per connector (it changes rarely and is small)."""

    def __init__(self, client: TrytonClient) -> None:
        self.client = client

    @cached_property
    def company(self) -> dict[str, Any]:
        if not self.client.context:
            self.client.login()
        company_id = self.client.context.get("company")
        if not company_id:
            raise FatalError("the Tryton user has no current company")
        (row,) = self.client.read("company.company", [company_id], ["party", "currency.code"])
        return {"id": company_id, "party": row["party"], "currency": row["currency."]["code"]}

    @property
    def currency(self) -> str:
        return str(self.company["currency"])

    @cached_property
    def _units(self) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for row in self.client.search_read("product.uom", [], ["name", "symbol"]):
            out.setdefault(_norm(row["symbol"]), (row["id"], row["name"]))
            out[_norm(row["name"])] = (row["id"], row["name"])
        return out

    def unit(self, name: Any) -> tuple[int, str]:
        key = _norm(name)
        found = self._units.get(key) or self._units.get(_norm(UNIT_ALIASES.get(key, key)))
        if found is None:
            raise RecordError(f"default_uom: unknown unit {name!r} in Tryton")
        return found

    @cached_property
    def _terms(self) -> dict[str, tuple[int, str]]:
        rows = self.client.search_read("account.invoice.payment_term", [], ["name"])
        return {_norm(r["name"]): (r["id"], r["name"]) for r in rows}

    def payment_term(self, name: Any) -> tuple[int, str]:
        found = self._terms.get(_norm(name))
        if found is None:
            raise RecordError(f"payment_term: unknown payment term {name!r} in Tryton")
        return found

    @cached_property
    def warehouses(self) -> list[tuple[int, str, int]]:
        """(id, code, storage zone id) of every warehouse."""
        rows = self.client.search_read(
            "stock.location",
            [("type", "=", "warehouse")],
            ["code", "name", "storage_location"],
            order=[("code", "ASC")],
        )
        return [(r["id"], r["code"] or r["name"], r["storage_location"]) for r in rows]

    def account_category(self, name: str) -> int:
        ids = self.client.search(
            "product.category", [("name", "=", name), ("accounting", "=", True)], limit=1
        )
        if not ids:
            raise FatalError(f"Tryton has no accounting product category named {name!r}")
        return ids[0]

    def has_field(self, model: str, field: str) -> bool:
        return field in self._fields(model)

    def _fields(self, model: str) -> dict[str, Any]:
        cache: dict[str, dict[str, Any]] = self.__dict__.setdefault("_fields_cache", {})
        if model not in cache:
            cache[model] = self.client.call(f"model.{model}.fields_get", [])
        return cache[model]


class TrytonConnector:
    """The engine's view of one Tryton database."""

    ENTITIES = ("product", "customer", "stock")

    def __init__(
        self, system: str, client: TrytonClient, *, account_category: str = "Goods", create_batch: int = 50
    ) -> None:
        self.system = system
        self.client = client
        self.lookups = Lookups(client)
        self.account_category = account_category
        self.create_batch = max(1, min(create_batch, 50))  # bigger creates stall SQLite-backed servers

    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        from connectors.tryton import customers, products, stock

        readers = {"product": products.read, "customer": customers.read, "stock": stock.read}
        if entity not in readers:
            raise FatalError(f"{self.system}: Tryton connector cannot read '{entity}'")
        yield from readers[entity](self, cursor, max(1, batch_size))

    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        from connectors.tryton import customers, products

        writers = {"product": products.write, "customer": customers.write}
        if entity not in writers:
            raise FatalError(f"{self.system}: Tryton connector cannot write '{entity}'")
        if not records:
            return []
        return writers[entity](self, records)
