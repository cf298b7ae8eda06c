"""Which warehouse serves which order line: pure functions over the lines and the stock there is.

Three rules (``orders.allocation.rule`` in hub.yaml):

- ``priority``: the first warehouse in the priority list that has the whole line; if none has, the
  first one with any stock gives what it has. A line never comes from two warehouses.
- ``most_stock``: the warehouse with the most stock of the SKU (ties: priority order); no split.
- ``split``: take from the warehouses in priority order until the line is served.

Whatever no warehouse can give is backordered. Stock is consumed line by line, so two lines of one
SKU never count the same units twice. Warehouses not in the priority list come after the listed ones,
most stock first, then by code (deterministic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from hub.workflows.ports import Allocation, LinePlan

Rule = Literal["priority", "most_stock", "split"]
RULES: tuple[Rule, ...] = ("priority", "most_stock", "split")
ZERO = Decimal(0)


@dataclass(frozen=True)
class LineRequest:
    """One order line to allocate."""

    line_no: int
    sku: str
    quantity: Decimal


Stock = Mapping[str, Mapping[str, Decimal]]  # SKU -> warehouse -> available


def allocate(
    lines: Sequence[LineRequest],
    stock: Stock,
    rule: Rule = "priority",
    priority: Sequence[str] = (),
) -> list[LinePlan]:
    """One ``LinePlan`` per line, in line order: allocations per warehouse and the backordered rest.

    Negative stock counts as none. The input ``stock`` is not changed.
    """
    if rule not in RULES:
        raise ValueError(f"unknown allocation rule {rule!r} (one of {', '.join(RULES)})")
    left: dict[str, dict[str, Decimal]] = {
        sku: {wh: max(ZERO, Decimal(qty)) for wh, qty in per_wh.items()} for sku, per_wh in stock.items()
    }
    plans = []
    for line in lines:
        available = left.setdefault(line.sku, {})
        takes = _choose(line.quantity, available, rule, priority) if line.quantity > 0 else []
        allocations = []
        for warehouse, quantity in takes:
            available[warehouse] -= quantity
            allocations.append(Allocation(line.line_no, line.sku, warehouse, quantity))
        short = max(ZERO, line.quantity - sum((a.quantity for a in allocations), ZERO))
        plans.append(
            LinePlan(
                line_no=line.line_no,
                sku=line.sku,
                ordered=line.quantity,
                allocations=tuple(allocations),
                backordered=short,
                status="backordered" if short > 0 else "accepted",
            )
        )
    return plans


def _ranked(available: Mapping[str, Decimal], priority: Sequence[str]) -> list[str]:
    """Warehouses in order of preference: the priority list, then the rest by most stock, then code."""
    listed = [wh for wh in dict.fromkeys(priority) if wh in available]
    rest = sorted((wh for wh in available if wh not in listed), key=lambda wh: (-available[wh], wh))
    return listed + rest


def _choose(
    wanted: Decimal, available: Mapping[str, Decimal], rule: Rule, priority: Sequence[str]
) -> list[tuple[str, Decimal]]:
    ranked = [wh for wh in _ranked(available, priority) if available[wh] > 0]
    if not ranked:
        return []
    if rule == "split":
        takes, need = [], wanted
        for wh in ranked:
            if need <= 0:
                break
            take = min(need, available[wh])
            takes.append((wh, take))
            need -= take
        return takes
    if rule == "most_stock":
        best = max(ranked, key=lambda wh: available[wh])  # max keeps the first of equals: priority order
        return [(best, min(wanted, available[best]))]
    whole = next((wh for wh in ranked if available[wh] >= wanted), None)
    if whole is not None:
        return [(whole, wanted)]
    return [(ranked[0], available[ranked[0]])]


def summary(plans: Sequence[LinePlan]) -> dict[str, Decimal]:
    """Ordered, allocated and backordered quantity over all lines."""
    ordered = sum((p.ordered for p in plans), ZERO)
    allocated = sum((a.quantity for p in plans for a in p.allocations), ZERO)
    backordered = sum((p.backordered for p in plans), ZERO)
    return {"ordered": ordered, "allocated": allocated, "backordered": backordered}


def plan_to_json(plans: Sequence[LinePlan]) -> list[dict[str, object]]:
    return [
        {
            "line_no": p.line_no,
            "sku": p.sku,
            "ordered": str(p.ordered),
            "backordered": str(p.backordered),
            "status": p.status,
            "allocations": [{"warehouse": a.warehouse, "quantity": str(a.quantity)} for a in p.allocations],
        }
        for p in plans
    ]


def plan_from_json(items: Sequence[Mapping[str, object]]) -> list[LinePlan]:
    out = []
    for item in items:
        line_no, sku = int(str(item["line_no"])), str(item["sku"])
        allocations = tuple(
            Allocation(line_no, sku, str(a["warehouse"]), Decimal(str(a["quantity"])))
            for a in item.get("allocations") or []  # type: ignore[union-attr]
        )
        out.append(
            LinePlan(
                line_no=line_no,
                sku=sku,
                ordered=Decimal(str(item["ordered"])),
                allocations=allocations,
                backordered=Decimal(str(item["backordered"])),
                status=item.get("status", "accepted"),  # type: ignore[arg-type]
            )
        )
    return out
