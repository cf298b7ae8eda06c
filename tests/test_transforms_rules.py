"""Transforms both ways and every rule kind, on small inputs."""

from __future__ import annotations

from typing import Any

import pytest

from hub.mapping.schema import RuleSpec
from hub.mapping.transforms import TransformError, build_transform
from hub.validation import evaluate

MAPS = {"units": {"kg": "KGM", "lb": "LBR"}}


@pytest.mark.parametrize(
    ("spec", "raw", "canonical", "back"),
    [
        ("trim", "  a ", "a", "a"),
        ({"decimal": {"places": 2}}, "1,234.5", "1234.50", "1234.50"),
        ({"decimal": {"decimal_comma": True}}, "1.234,5", "1234.5", "1234.5"),
        ({"unit": {"from": "lb", "to": "kg", "places": 3}}, "2", "0.907", "2.000"),
        (
            {"datetime": {"format": "%Y-%m-%d %H:%M", "tz": "America/New_York"}},
            "2026-01-15 09:30",
            "2026-01-15T14:30:00Z",
            "2026-01-15 09:30",
        ),
        ({"datetime": {}}, "2026-07-01T12:00:00+02:00", "2026-07-01T10:00:00Z", "2026-07-01T10:00:00+00:00"),
        ({"date": {"format": "%m/%d/%Y"}}, "03/31/2026", "2026-03-31", "03/31/2026"),
        ({"value_map": {"map": "units"}}, "KG", "KGM", "kg"),
        ({"country": {"out": "name"}}, "Deutschland", None, None),
        ("country", "United Kingdom", "GB", "GB"),
        ("country", "usa", "US", "US"),
        ({"split": {"sep": ";"}}, "a; b;;c", ["a", "b", "c"], "a;b;c"),
        (
            {"prefix": {"value": "gid://shop/Customer/"}},
            "gid://shop/Customer/42",
            "42",
            "gid://shop/Customer/42",
        ),
        ("bool", "Yes", True, True),
        ("int", "12", 12, 12),
        ("null_if", "N/A", None, None),
    ],
)
def test_transform_in_and_out(spec: Any, raw: Any, canonical: Any, back: Any) -> None:
    transform = build_transform(spec, MAPS)
    if spec == {"country": {"out": "name"}}:
        with pytest.raises(TransformError, match="not a known country"):
            transform.inbound(raw)
        assert build_transform(spec, MAPS).outbound("DE") == "Germany"
        return
    assert transform.inbound(raw) == canonical
    assert transform.outbound(canonical) == back


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        ("decimal", "12,3x", "not a number"),
        ("int", "1.5", "not a whole number"),
        ("bool", "maybe", "not a yes/no value"),
        ({"value_map": {"map": "units"}}, "stone", "not a known value"),
        ({"datetime": {"format": "%Y-%m-%d"}}, "31/12/2026", "not a date/time"),
    ],
)
def test_transform_rejects_with_a_reason(spec: Any, raw: str, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        build_transform(spec, MAPS).inbound(raw)


def test_transform_declaration_errors() -> None:
    with pytest.raises(ValueError, match="unknown transform"):
        build_transform("nope", MAPS)
    with pytest.raises(ValueError, match="cannot convert"):
        build_transform({"unit": {"from": "kg", "to": "cm"}}, MAPS)
    with pytest.raises(ValueError, match="unknown time zone"):
        build_transform({"datetime": {"tz": "Mars/Base"}}, MAPS)


class Keys:
    def __init__(self, known: set[str]) -> None:
        self.known, self.calls = known, 0

    def existing_keys(self, entity: str, keys: set[str]) -> set[str]:
        self.calls += 1
        return keys & self.known


def rule(**kw: Any) -> RuleSpec:
    return RuleSpec.model_validate({"id": "r", **kw})


RECORDS = [
    {"sku": "A-1", "price": {"amount": "5"}, "lines": [{"sku": "X"}, {"sku": "Y"}], "email": "a@b.co"},
    {"sku": "a 2", "price": {"amount": "-1"}, "lines": [{"sku": "X"}, {}], "email": "bad"},
    {"sku": "A-1", "lines": []},
]


@pytest.mark.parametrize(
    ("spec", "failing"),
    [
        ({"kind": "required", "field": "price.amount"}, [2]),
        ({"kind": "required", "field": "lines.*.sku"}, [1, 2]),
        ({"kind": "pattern", "field": "sku", "pattern": "^[A-Z]-\\d$"}, [1]),
        ({"kind": "range", "field": "price.amount", "min": 0}, [1]),
        ({"kind": "enum", "field": "lines.*.sku", "values": ["X"]}, [0]),
        ({"kind": "unique", "field": "sku"}, [2]),
        ({"kind": "reference", "field": "lines.*.sku", "entity": "product"}, [0]),
        ({"kind": "custom", "field": "email", "function": "hub.validation.builtin:email_shape"}, [1]),
    ],
)
def test_rule_kinds(spec: dict[str, Any], failing: list[int]) -> None:
    lookup = Keys({"X"})
    violations = evaluate([rule(**spec)], RECORDS, lookup)
    assert [v.index for v in violations] == failing
    assert all(v.message for v in violations)
    if spec["kind"] == "reference":
        assert lookup.calls == 1  # one look-up for the whole batch


def test_rule_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="needs 'pattern'"):
        rule(kind="pattern", field="sku")
    with pytest.raises(ValueError, match="needs 'min' or 'max'"):
        rule(kind="range", field="sku")
