"""Products: one Tryton template with one variant per SKU (the template's code is the SKU).

Read shape: ``{id, code, name, description, list_price, cost_price, currency, default_uom, updated_at}``.
Write payload: ``{code, name, description, list_price, cost_price, currency, default_uom}``; absent or
null fields are left as they are. Only fields that differ are written, so writing the same record
again changes nothing (not even ``write_date``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.tryton import batch
from connectors.tryton.connector import RecordError, base_values, number_text, to_decimal, write_by_code
from connectors.tryton.incremental import ChangeSpec, changed_at, read_changes
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector

SPEC = ChangeSpec(
    model="product.product",
    stamps=("create_date", "write_date", "template.write_date"),
    watermarks=(
        ("product.product", "create_date"),
        ("product.product", "write_date"),
        ("product.template", "write_date"),
    ),
)
FIELDS = (
    "code",
    "template.name",
    "description",
    "list_price_used",
    "cost_price",
    "default_uom.name",
)
PRICE_PLACES = 4  # Tryton's price_digits


def read(conn: TrytonConnector, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
    currency = conn.lookups.currency

    def shape(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(row["id"]),
            "code": row.get("code"),
            "name": (row.get("template.") or {}).get("name"),
            "description": row.get("description") or None,
            "list_price": number_text(row.get("list_price_used")),
            "cost_price": number_text(row.get("cost_price")),
            "currency": currency,
            "default_uom": (row.get("default_uom.") or {}).get("name"),
            "updated_at": changed_at(row, SPEC.stamps).isoformat() + "Z",
        }

    yield from read_changes(conn.client, SPEC, FIELDS, shape, cursor, batch_size)


def _wanted(conn: TrytonConnector, record: OutboundRecord) -> dict[str, Any]:
    """The payload checked and resolved to Tryton values; raises RecordError."""
    p = record.payload
    wanted = base_values(conn, record)
    if p.get("description") is not None:
        wanted["description"] = str(p["description"])
    for field in ("list_price", "cost_price"):
        amount = to_decimal(p.get(field), field, PRICE_PLACES)
        if amount is not None:
            if amount < 0:
                raise RecordError(f"{field}: negative amount {amount}")
            wanted[field] = amount
    if p.get("default_uom") not in (None, ""):
        wanted["uom"] = conn.lookups.unit(p["default_uom"])
    return wanted


def write(conn: TrytonConnector, records: Sequence[OutboundRecord]) -> list[WriteResult]:
    return write_by_code(conn, records, _wanted, _write_chunk)


def _existing(
    conn: TrytonConnector, part: Sequence[tuple[int, OutboundRecord, dict[str, Any]]]
) -> dict[int, dict[str, Any]]:
    """Current rows of the records that already exist, by system id first, then by code."""
    ids = [int(r.system_id) for _, r, _ in part if r.system_id and str(r.system_id).isdigit()]
    codes = [w["code"] for _, _, w in part]
    rows = conn.client.search_read(
        SPEC.model, ["OR", ("code", "in", codes), ("id", "in", ids)], [*FIELDS, "template", "default_uom"]
    )
    by_id = {r["id"]: r for r in rows}
    by_code = {r["code"]: r for r in rows}
    found: dict[int, dict[str, Any]] = {}
    for index, record, wanted in part:
        sid = int(record.system_id) if record.system_id and str(record.system_id).isdigit() else None
        row = by_id.get(sid) if sid is not None else None
        row = row or by_code.get(wanted["code"])
        if row is not None:
            found[index] = row
    return found


def _write_chunk(
    conn: TrytonConnector, part: Sequence[tuple[int, OutboundRecord, dict[str, Any]]]
) -> dict[int, WriteResult]:
    existing = _existing(conn, part)
    results: dict[int, WriteResult] = {}
    creates = [(i, r, w) for i, r, w in part if i not in existing]
    updates = [(i, r, w, existing[i]) for i, r, w in part if i in existing]
    if creates:
        results.update(_create(conn, creates))
    if updates:
        results.update(_update(conn, updates))
    return results


def _create(
    conn: TrytonConnector, items: list[tuple[int, OutboundRecord, dict[str, Any]]]
) -> dict[int, WriteResult]:
    results: dict[int, WriteResult] = {}
    category = conn.lookups.account_category(conn.account_category)
    values: list[tuple[str, dict[str, Any]]] = []
    for index, record, w in items:
        if "name" not in w:
            results[index] = WriteResult(record.key, error="name: required to create a product")
            continue
        uom_id = w["uom"][0] if "uom" in w else conn.lookups.unit("Unit")[0]
        product: dict[str, Any] = {"description": w.get("description")}
        if "cost_price" in w:
            product["cost_price"] = w["cost_price"]
        values.append((w["code"], {
            "name": w["name"], "code": w["code"], "type": "goods",
            "list_price": w.get("list_price", Decimal(0)), "default_uom": uom_id,
            "salable": True, "sale_uom": uom_id, "purchasable": True, "purchase_uom": uom_id,
            "account_category": category, "products": [["create", [product]]],
        }))  # fmt: skip
    outcomes = batch.create(conn.client, "product.template", values, lambda codes: _templates(conn, codes))
    done = [o.id for o in outcomes.values() if o.id is not None]
    variants = (
        {
            t["id"]: t["products"][0]
            for t in conn.client.read("product.template", done, ["products"])
            if t["products"]
        }
        if done
        else {}
    )
    for index, record, w in items:
        if index in results:
            continue
        o = outcomes[w["code"]]
        pid = variants.get(o.id) if o.id is not None else None
        if o.error is None and pid is None:
            o = batch.Outcome(error="Tryton created the template without a variant", retriable=True)
        results[index] = WriteResult(record.key, str(pid) if pid else None, o.error, o.retriable)
    return results


def _templates(conn: TrytonConnector, codes: list[str]) -> dict[str, int]:
    rows = conn.client.search_read("product.template", [("code", "in", codes)], ["code"])
    return {r["code"]: r["id"] for r in rows}


def _update(
    conn: TrytonConnector, items: list[tuple[int, OutboundRecord, dict[str, Any], dict[str, Any]]]
) -> dict[int, WriteResult]:
    template_writes: list[tuple[str, int, dict[str, Any]]] = []
    product_writes: list[tuple[str, int, dict[str, Any]]] = []
    for index, _, w, row in items:
        tvals: dict[str, Any] = {}
        pvals: dict[str, Any] = {}
        if "name" in w and w["name"] != (row.get("template.") or {}).get("name"):
            tvals["name"] = w["name"]
        if "list_price" in w and w["list_price"] != row.get("list_price_used"):
            tvals["list_price"] = w["list_price"]
        if "uom" in w and w["uom"][0] != row.get("default_uom"):
            tvals["default_uom"] = w["uom"][0]
        if "description" in w and (w["description"] or None) != (row.get("description") or None):
            pvals["description"] = w["description"]
        if "cost_price" in w and w["cost_price"] != row.get("cost_price"):
            pvals["cost_price"] = w["cost_price"]
        template_writes.append((str(index), row["template"], tvals))
        product_writes.append((str(index), row["id"], pvals))
    outcomes = batch.write(conn.client, "product.template", template_writes)
    ok = [item for item in product_writes if outcomes[item[0]].error is None]
    outcomes.update(batch.write(conn.client, "product.product", ok))
    results: dict[int, WriteResult] = {}
    for index, record, _, row in items:
        o = outcomes[str(index)]
        results[index] = WriteResult(record.key, str(row["id"]), o.error, o.retriable)
    return results
