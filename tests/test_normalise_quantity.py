"""The fast path for nested quantities (``Quantity``: a Decimal and a unit) gives what pydantic gives."""

from __future__ import annotations

import itertools

from hub.engine.normalise import normalise
from hub.models import Product
from tests.test_engine_fastpaths import _outcome, reference_normalise

VALUES = [
    "1.5",
    "1.50",
    "007.5",
    "1E+3",
    "1e3",
    "0.0000001",
    "-0",
    "+1.5",
    " 1.5",
    "1_000",
    "NaN",
    "Infinity",
    "-Infinity",
    "\uff11\uff12",  # full-width digits
    "1.5\n",
    "",
    "1.",
    ".5",
    "123456789012345678901.5",
    3,
    1.5,
    None,
    True,
]
UNITS = ["KGM", " KGM", "KGM ", "", "ABCDEFGHI", "ABCDEFGH", "K\x1f", "kg\u00a0", "é", None, 5]


def test_quantity_fast_path_matches_pydantic_field_for_field_and_in_order() -> None:
    checked = 0
    for value, unit in itertools.product(VALUES, UNITS):
        for weight in (
            {"value": value, "uom": unit},
            {"uom": unit, "value": value},
            {"value": value},
            {"value": value, "uom": unit, "x": 1},
        ):
            record = {"sku": "A", "weight": weight}
            for _ in range(2):  # the second time through the memo
                fast, slow = (
                    _outcome(normalise, Product, record),
                    _outcome(reference_normalise, Product, record),
                )
                assert fast == slow, record
                if fast[0] == "ok" and "weight" in fast[1]:
                    assert list(fast[1]["weight"]) == list(slow[1]["weight"])
                    checked += 1
    assert checked > 20
