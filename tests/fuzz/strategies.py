"""Source records a real feed sends sooner or later, built from the paths the mappings read.

Two kinds: *shaped* records put hostile values at the paths a system's mapping reads (so they get
past the first lookup and into the transforms, the model and the rules), and *plausible* records put
values each field's transforms accept (so some reach the golden record and can be translated back).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from hub.mapping import paths
from hub.mapping.transforms import (
    Country,
    Date,
    DateTime,
    Prefix,
    Split,
    ToBool,
    ToDecimal,
    ToInt,
    Transform,
    ValueMap,
)
from hub.mapping.translate import CompiledField, Translator


def nested(depth: int) -> Any:
    """``depth`` levels of dicts and lists, deeper than any serialiser's default limit when asked."""
    value: Any = "bottom"
    for level in range(depth):
        value = {"n": value} if level % 2 else [value]
    return value


HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "N/A",
        "null",
        "\x00",
        "a\x00b",
        "\x07\x1b[2J\x1b[31m\x7f\x9b",
        "\ud800",  # a lone surrogate: stdlib json.loads makes one from "\ud800"
        "🔩👩‍👩‍👧🇩🇪 é ß ﬁ",
        "'; DROP TABLE golden_records; --",
        '<script>alert(1)</script>"',
        '=HYPERLINK("http://evil")',
        "1,5",
        "1.000,50",
        "1e400",
        "-1e-400",
        "NaN",
        "Infinity",
        "-0",
        "0x1F",
        "١٢٣",  # Arabic-Indic digits: Decimal() takes them
        "2026-13-45",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1e20",
        "99999999999999999999",
        "#",
        "account:",
        "gid://shopify/Order/1",
        "C12345",
        "  c12345  ",
        "x" * 300,
    ]
)

SMALL_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**90), max_value=2**90),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=8),  # surrogates and controls
    HOSTILE_TEXT,
)
HUGE_TEXT = st.integers(min_value=10_000, max_value=100_000).map(lambda n: "é" * n)
SCALARS = SMALL_SCALARS | HUGE_TEXT


def _json(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=10,
    )


JSON = _json(SCALARS)
SMALL_JSON = _json(SMALL_SCALARS)  # for bodies under the webhook's 2 MB limit

DEEP = st.integers(min_value=20, max_value=600).map(nested)

ANY_VALUE = st.one_of(SCALARS, JSON, DEEP)


def _leaves(fields: tuple[CompiledField, ...]) -> list[CompiledField]:
    return [f for f in fields if f.inbound and f.system_parts]


@st.composite
def shaped(draw: st.DrawFn, translator: Translator) -> dict[str, Any]:
    """A record with hostile values at some of the paths ``translator`` reads (lists where items are)."""
    record: dict[str, Any] = draw(st.dictionaries(st.text(max_size=6), SCALARS, max_size=2))
    for f in _leaves(translator.fields):
        if not draw(st.booleans()):
            continue
        parts = f.system_parts or ()
        if f.each is not None and draw(st.booleans()):
            items = draw(st.lists(_item(f.each), max_size=3))
            value: Any = items
        else:
            value = draw(ANY_VALUE)
        try:
            paths.put(record, parts, value)
        except (TypeError, ValueError, AttributeError):
            continue  # an earlier value took the path's parent (a scalar where a dict goes)
    return record


def _item(fields: tuple[CompiledField, ...]) -> st.SearchStrategy[Any]:
    @st.composite
    def item(draw: st.DrawFn) -> Any:
        if draw(st.integers(0, 9)) == 0:
            return draw(SCALARS)  # a scalar where an object is expected
        out: dict[str, Any] = {}
        for f in _leaves(fields):
            if draw(st.booleans()):
                try:
                    paths.put(out, f.system_parts or (), draw(ANY_VALUE))
                except (TypeError, ValueError, AttributeError):
                    continue
        return out

    return item()


# -- plausible values ---------------------------------------------------------------------------------
# not whitespace only: the model strips " " to "" inside list items, which reads back as absent (a known
# gap between "" and missing, docs/reliability.md); the translation fuzz still sends such values
WORDS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(str.strip)
KINDS = st.sampled_from(["billing", "Shipping", "both"])
CURRENCIES = st.sampled_from(["USD", "EUR", "gbp", " chf "])
MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.isoformat())


def _plausible_for(transforms: tuple[Transform, ...]) -> st.SearchStrategy[Any]:
    """Values the field's transforms accept: the last typed transform decides."""
    for t in reversed(transforms):
        if isinstance(t, ValueMap):
            return st.sampled_from(sorted(t.forward, key=str))
        if isinstance(t, Country):
            return st.sampled_from(["DE", "US", "GB", "FRA", "Netherlands", "usa", "UK"])
        if isinstance(t, ToDecimal):
            return st.decimals(min_value=0, max_value=10**6, places=3).map(str) | st.integers(0, 10**6)
        if isinstance(t, ToInt):
            return st.integers(min_value=1, max_value=10**9) | st.integers(1, 999).map(str)
        if isinstance(t, ToBool):
            return st.sampled_from([True, False, "yes", "no", "true", "0", "1"])
        if isinstance(t, DateTime):
            return MOMENTS
        if isinstance(t, Date):
            return st.dates().map(lambda d, fmt=t.format: d.strftime(fmt))
        if isinstance(t, Split):
            return st.lists(WORDS.filter(lambda w, sep=t.sep: sep not in w), max_size=3).map(t.sep.join)
        if isinstance(t, Prefix):
            return WORDS.map(lambda w, p=t.args.get("value", ""): f"{p}{w}")
    return WORDS


@st.composite
def plausible(draw: st.DrawFn, translator: Translator, always: frozenset[str]) -> dict[str, Any]:
    """A record whose values the transforms take; the canonical fields in ``always`` are never left out."""
    record: dict[str, Any] = {}
    for f in _leaves(translator.fields):
        parts = f.system_parts or ()
        if f.each is not None:
            value: Any = draw(st.lists(_plausible_item(f.each), min_size=1, max_size=3))
        elif f.canonical.endswith("currency"):
            value = draw(CURRENCIES)
        elif f.canonical in always or draw(st.integers(0, 4)):  # an amount without its currency is rare
            value = draw(_plausible_for(f.transforms))
        else:
            continue
        paths.put(record, parts, value)
    return record


def _plausible_item(fields: tuple[CompiledField, ...]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def item(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _leaves(fields):  # every part: items have required fields (a line's quantity)
            values = CURRENCIES if f.canonical.endswith("currency") else _plausible_for(f.transforms)
            values = KINDS if f.canonical == "kind" else values
            paths.put(out, f.system_parts or (), draw(values))
        return out

    return item()
