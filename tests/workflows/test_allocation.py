"""Allocation rules: examples for each rule, and properties that hold for any lines and stock."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.workflows.allocation import RULES, LineRequest, allocate, plan_from_json, plan_to_json, summary

D = Decimal


def _where(plan) -> list[tuple[str, Decimal]]:
    return [(a.warehouse, a.quantity) for a in plan.allocations]


def test_priority_takes_the_first_warehouse_that_has_the_whole_line() -> None:
    stock = {"A": {"EAST": D(3), "WEST": D(10), "SOUTH": D(50)}}
    (plan,) = allocate([LineRequest(1, "A", D(5))], stock, "priority", ["EAST", "WEST"])
    assert _where(plan) == [("WEST", D(5))] and plan.backordered == 0 and plan.status == "accepted"


def test_priority_without_a_whole_line_takes_the_first_with_stock_and_backorders_the_rest() -> None:
    stock = {"A": {"EAST": D(3), "WEST": D(2)}}
    (plan,) = allocate([LineRequest(1, "A", D(5))], stock, "priority", ["EAST", "WEST"])
    assert _where(plan) == [("EAST", D(3))] and plan.backordered == D(2) and plan.status == "backordered"


def test_most_stock_picks_the_fullest_warehouse() -> None:
    stock = {"A": {"EAST": D(3), "WEST": D(9), "SOUTH": D(4)}}
    (plan,) = allocate([LineRequest(1, "A", D(12))], stock, "most_stock", ["EAST"])
    assert _where(plan) == [("WEST", D(9))] and plan.backordered == D(3)


def test_split_fills_from_several_warehouses_in_priority_order() -> None:
    stock = {"A": {"EAST": D(3), "WEST": D(2), "SOUTH": D(10)}}
    (plan,) = allocate([LineRequest(1, "A", D(8))], stock, "split", ["WEST", "EAST"])
    assert _where(plan) == [("WEST", D(2)), ("EAST", D(3)), ("SOUTH", D(3))] and plan.backordered == 0


def test_two_lines_of_one_sku_do_not_count_the_same_units_twice() -> None:
    stock = {"A": {"EAST": D(5)}}
    first, second = allocate([LineRequest(1, "A", D(4)), LineRequest(2, "A", D(4))], stock, "split")
    assert _where(first) == [("EAST", D(4))]
    assert _where(second) == [("EAST", D(1))] and second.backordered == D(3)
    assert stock == {"A": {"EAST": D(5)}}  # the input is not changed


def test_unknown_sku_and_negative_stock_are_backordered() -> None:
    plans = allocate([LineRequest(1, "X", D(2)), LineRequest(2, "A", D(1))], {"A": {"EAST": D(-4)}})
    assert [p.backordered for p in plans] == [D(2), D(1)] and all(not p.allocations for p in plans)


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown allocation rule"):
        allocate([], {}, "random")  # type: ignore[arg-type]


def test_plan_round_trips_through_json() -> None:
    plans = allocate([LineRequest(1, "A", D("2.5"))], {"A": {"E": D(1), "W": D(1)}}, "split")
    assert plan_from_json(plan_to_json(plans)) == plans


WAREHOUSES = ["E", "W", "S", "N"]
stock_strategy = st.dictionaries(
    st.sampled_from(["A", "B", "C"]),
    st.dictionaries(st.sampled_from(WAREHOUSES), st.integers(min_value=-5, max_value=30).map(Decimal)),
)
lines_strategy = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(min_value=1, max_value=50).map(Decimal)),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_strategy,
    stock=stock_strategy,
    rule=st.sampled_from(RULES),
    priority=st.lists(st.sampled_from(WAREHOUSES), unique=True),
)
def test_allocation_properties(lines, stock, rule, priority) -> None:
    requests = [LineRequest(i, sku, qty) for i, (sku, qty) in enumerate(lines, 1)]
    plans = allocate(requests, stock, rule, priority)
    assert [p.line_no for p in plans] == [r.line_no for r in requests]
    used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for request, plan in zip(requests, plans, strict=True):
        allocated = sum((a.quantity for a in plan.allocations), Decimal(0))
        # allocated + backordered == ordered, nothing negative
        assert allocated + plan.backordered == request.quantity
        assert plan.backordered >= 0 and all(a.quantity > 0 for a in plan.allocations)
        assert (plan.status == "backordered") == (plan.backordered > 0)
        if rule != "split":
            assert len(plan.allocations) <= 1  # only 'split' serves a line from two warehouses
        for a in plan.allocations:
            used[(a.sku, a.warehouse)] += a.quantity
    # never more than there is
    for (sku, warehouse), quantity in used.items():
        assert quantity <= max(Decimal(0), stock.get(sku, {}).get(warehouse, Decimal(0)))
    # split backorders only what no warehouse has left
    if rule == "split":
        for sku in {r.sku for r in requests}:
            short = sum((p.backordered for p in plans if p.sku == sku), Decimal(0))
            have = sum((max(Decimal(0), q) for q in stock.get(sku, {}).values()), Decimal(0))
            ordered = sum((r.quantity for r in requests if r.sku == sku), Decimal(0))
            assert short == max(Decimal(0), ordered - have)
    totals = summary(plans)
    assert totals["allocated"] + totals["backordered"] == totals["ordered"]
