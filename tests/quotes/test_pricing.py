"""Pricing rules: base price, price lists, volume breaks, rounding, explanations; and their properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hub.workflows.pricing import (
    BasePrice,
    LineRequest,
    PricedQuote,
    PriceList,
    PricingFacts,
    PricingPolicy,
    VolumeBreak,
    VolumeBreaks,
    base_prices,
    price_line,
    price_quote,
    round_money,
)

D = Decimal
POLICY = PricingPolicy.model_validate(
    {
        "segments": {
            "wholesale": {"percent_off": "10", "prices": {"SKU-FIX": "7.00"}},
            "retail": {},
        },
        "customers": {
            "C-NET": {"prices": {"SKU-1": "8.00"}, "net": True},
            "C-PCT": {"percent_off": "20"},
        },
        "volume_breaks": {
            "skus": {"SKU-1": [{"min_qty": 100, "percent_off": 5}, {"min_qty": 10, "percent_off": 2}]},
            "categories": {"bolts": [{"min_qty": 50, "percent_off": "12.5"}]},
        },
    }
)


def facts(customer: str | None = None, segment: str | None = None, **base: str) -> PricingFacts:
    return PricingFacts(
        customer_no=customer,
        segment=segment,
        base={sku.replace("_", "-"): BasePrice(D(p), "erp") for sku, p in base.items()},
        categories={"SKU-2": "bolts"},
    )


def line(sku: str, qty: str | int, no: int = 1) -> LineRequest:
    return LineRequest(no, sku, D(qty))


# -- the rules, one by one ------------------------------------------------------------------------------------
def test_base_price_only_when_no_rule_applies() -> None:
    priced = price_line(line("SKU-1", 3), facts(SKU_1="12.345"), POLICY)
    assert priced.unit_price == D("12.35") and priced.line_total == D("37.05")  # half up, to cents
    assert priced.rule == "base:erp" and len(priced.steps) == 1


def test_segment_percentage_and_fixed_price() -> None:
    pct = price_line(line("SKU-1", 1), facts(segment="wholesale", SKU_1="20.00"), POLICY)
    assert (pct.unit_price, pct.rule) == (D("18.00"), "segment:wholesale:percent")
    fixed = price_line(line("SKU-FIX", 1), facts(segment="wholesale", SKU_FIX="20.00"), POLICY)
    assert (fixed.unit_price, fixed.rule) == (D("7.00"), "segment:wholesale:fixed")
    # a segment without a list entry for the SKU and no percentage leaves the base price
    plain = price_line(line("SKU-1", 1), facts(segment="retail", SKU_1="20.00"), POLICY)
    assert (plain.unit_price, plain.rule) == (D("20.00"), "base:erp")


def test_the_customer_list_wins_over_the_segment_and_a_net_list_gets_no_volume_break() -> None:
    net = price_line(line("SKU-1", 500), facts("C-NET", "wholesale", SKU_1="20.00"), POLICY)
    assert (net.unit_price, net.rule) == (D("8.00"), "customer:C-NET:fixed")
    # the same customer's list does not price SKU-FIX: the segment's fixed price does
    other = price_line(line("SKU-FIX", 1), facts("C-NET", "wholesale", SKU_FIX="20.00"), POLICY)
    assert other.rule == "segment:wholesale:fixed"
    # C-PCT: 20% off wins over the segment's 10%, then the SKU's volume break on top
    pct = price_line(line("SKU-1", 10), facts("C-PCT", "wholesale", SKU_1="50.00"), POLICY)
    assert pct.unit_price == D("39.20")  # 50 * 0.8 * 0.98
    assert [s.rule for s in pct.steps] == ["base:erp", "customer:C-PCT:percent", "volume:sku:SKU-1>=10"]


def test_volume_breaks_by_sku_then_by_category() -> None:
    at = {q: price_line(line("SKU-1", q), facts(SKU_1="10.00"), POLICY) for q in (9, 10, 99, 100, 1000)}
    assert [at[q].unit_price for q in (9, 10, 99, 100, 1000)] == [
        D("10.00"),
        D("9.80"),
        D("9.80"),
        D("9.50"),
        D("9.50"),
    ]
    assert at[100].rule == "volume:sku:SKU-1>=100"
    bolts = price_line(line("SKU-2", 50), facts(SKU_2="3.99"), POLICY)
    assert (bolts.unit_price, bolts.rule) == (D("3.49"), "volume:category:bolts>=50")  # 3.49125
    assert "12.5% off from 50 units" in bolts.steps[-1].detail


def test_lines_without_a_price_or_a_sane_quantity_say_why() -> None:
    quote = price_quote(
        [line("SKU-1", 2, 1), line("NOPE", 1, 2), line("SKU-1", 0, 3), line("NEG", 1, 4)],
        PricingFacts(
            "C1",
            None,
            {"SKU-1": BasePrice(D("5"), "golden"), "NEG": BasePrice(D("-1"), "erp")},
            missing={"NOPE": "no base price from the ERP"},
        ),
        POLICY,
        "USD",
    )
    assert quote.total == D("10.00")
    assert quote.problems == [
        "line 2 NOPE: no base price from the ERP",
        "line 3 SKU-1: quantity 0 is not a positive number",
        "line 4 NEG: base price -1 from the ERP list price is negative",
    ]
    assert quote.lines[0].steps[0].detail == "5 from the product"


def test_base_price_sources_and_currencies() -> None:
    golden = {
        "A": {"price": {"amount": "4.50", "currency": "USD"}},
        "B": {"price": {"amount": "1", "currency": "EUR"}},
    }
    erp = {"A": D("5.00")}
    found, missing = base_prices(["A", "B", "C"], erp, golden, PricingPolicy(), "USD")
    assert found == {"A": BasePrice(D("5.00"), "erp")}
    assert missing["B"] == "the product's price is in EUR, the quote in USD" and "C" in missing
    found, _ = base_prices(["A"], erp, golden, PricingPolicy(base="golden"), "USD")
    assert found["A"] == BasePrice(D("4.50"), "golden")
    found, missing = base_prices(["A"], {}, golden, PricingPolicy(base="erp"), "USD")
    assert not found and missing["A"] == "no base price from the ERP"
    customer = PricingPolicy(erp_customer_prices=True)
    assert base_prices(["A"], erp, {}, customer, "USD")[0]["A"].source == "erp_customer"


def test_the_policy_refuses_ladders_where_more_costs_more_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="more would cost more per unit"):
        VolumeBreaks(
            skus={
                "X": [
                    VolumeBreak(min_qty=D(10), percent_off=D(5)),
                    VolumeBreak(min_qty=D(20), percent_off=D(3)),
                ]
            }
        )
    with pytest.raises(ValidationError, match="two volume breaks"):
        VolumeBreaks(categories={"c": [VolumeBreak(min_qty=D(10), percent_off=D(5))] * 2})
    with pytest.raises(ValidationError):
        PriceList(percent_off=D(101))
    with pytest.raises(ValidationError, match="0 or more"):
        PriceList(prices={"X": D("-0.01")})
    with pytest.raises(ValidationError, match="extra"):
        PricingPolicy.model_validate({"segments": {}, "discount": 5})


def test_round_money() -> None:
    assert round_money(D("0.005")) == D("0.01") and round_money(D("0.005"), "half_even") == D("0.00")
    assert round_money(D("2.675")) == D("2.68") and round_money(D("7")) == D("7.00")


# -- properties -----------------------------------------------------------------------------------------------
money = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)
percent = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
quantity = st.decimals(
    min_value=D("0.001"), max_value=100_000, places=3, allow_nan=False, allow_infinity=False
)


@st.composite
def ladders(draw: st.DrawFn) -> list[VolumeBreak]:
    """A valid ladder: thresholds ascending, discounts never decreasing."""
    thresholds = sorted(draw(st.sets(st.integers(1, 50_000), max_size=5)))
    discounts = sorted(draw(st.lists(percent, min_size=len(thresholds), max_size=len(thresholds))))
    return [VolumeBreak(min_qty=D(t), percent_off=p) for t, p in zip(thresholds, discounts, strict=True)]


@st.composite
def price_lists(draw: st.DrawFn) -> PriceList:
    fixed = draw(st.dictionaries(st.sampled_from(["S1", "S2"]), money, max_size=1))
    return PriceList(percent_off=draw(st.none() | percent), prices=fixed, net=draw(st.booleans()))


@st.composite
def policies(draw: st.DrawFn) -> PricingPolicy:
    return PricingPolicy(
        segments={"seg": draw(price_lists())} if draw(st.booleans()) else {},
        customers={"C1": draw(price_lists())} if draw(st.booleans()) else {},
        volume_breaks=VolumeBreaks(
            skus={"S1": draw(ladders())} if draw(st.booleans()) else {},
            categories={"cat": draw(ladders())},
        ),
        rounding=draw(st.sampled_from(["half_up", "half_even"])),
    )


def _facts(base: Decimal, sku: str) -> PricingFacts:
    return PricingFacts("C1", "seg", {sku: BasePrice(base, "erp")}, {"S1": "cat", "S2": "cat"})


@settings(max_examples=300, deadline=None)
@given(policy=policies(), base=money, qty=quantity, sku=st.sampled_from(["S1", "S2", "S3"]))
def test_a_price_is_never_negative(policy: PricingPolicy, base: Decimal, qty: Decimal, sku: str) -> None:
    priced = price_line(LineRequest(1, sku, qty), _facts(base, sku), policy)
    assert priced.unit_price is not None and priced.line_total is not None
    assert priced.unit_price >= 0 and priced.line_total >= 0


@settings(max_examples=300, deadline=None)
@given(policy=policies(), base=money, a=quantity, b=quantity, sku=st.sampled_from(["S1", "S2", "S3"]))
def test_a_bigger_quantity_never_costs_more_per_unit(
    policy: PricingPolicy, base: Decimal, a: Decimal, b: Decimal, sku: str
) -> None:
    small, big = sorted((a, b))
    facts_ = _facts(base, sku)
    unit_small = price_line(LineRequest(1, sku, small), facts_, policy).unit_price
    unit_big = price_line(LineRequest(1, sku, big), facts_, policy).unit_price
    assert unit_small is not None and unit_big is not None and unit_big <= unit_small


@settings(max_examples=300, deadline=None)
@given(policy=policies(), base=money, qty=quantity, sku=st.sampled_from(["S1", "S2"]))
def test_rounding_is_stable(policy: PricingPolicy, base: Decimal, qty: Decimal, sku: str) -> None:
    facts_ = _facts(base, sku)
    quote = price_quote([LineRequest(1, sku, qty)], facts_, policy, "USD")
    again = price_quote([LineRequest(1, sku, qty)], facts_, policy, "USD")
    assert quote == again  # deterministic
    priced = quote.lines[0]
    assert priced.unit_price is not None and priced.line_total is not None
    assert priced.unit_price.as_tuple().exponent == -2 and priced.line_total.as_tuple().exponent == -2
    assert round_money(priced.unit_price, policy.rounding) == priced.unit_price
    assert priced.line_total == round_money(priced.unit_price * qty, policy.rounding)
    assert quote.total == priced.line_total
    # the rounded price as a base, with no rule on top, prices the same
    plain = price_line(LineRequest(1, sku, qty), PricingFacts(None, None, {sku: BasePrice(priced.unit_price, "golden")}),
                       PricingPolicy(rounding=policy.rounding))  # fmt: skip
    assert plain.unit_price == priced.unit_price and plain.line_total == priced.line_total
    # a stored quote reads back equal
    assert PricedQuote.from_json(quote.to_json()) == quote
