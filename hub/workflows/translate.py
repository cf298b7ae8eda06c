"""From an inbox event's body to the canonical ``Order``: the shop's JSON through mappings/order.yaml,
or an order that is canonical already (EDI 850s translated by the partner profile)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hub.engine.merge import normalise
from hub.errors import RecordRejected
from hub.mapping import Translator
from hub.models import Order


def to_order(translators: dict[str, Translator], system: str, fmt: str, raw: Any) -> Order:
    """The canonical order, or ``RecordRejected`` (stage translate) saying what is wrong."""
    if not isinstance(raw, dict):
        raise RecordRejected("the order is not a JSON object", stage="translate", rule="shape")
    if fmt == "canonical":
        record = raw
    else:
        translator = translators.get(system)
        if translator is None:
            raise RecordRejected(f"no order mapping for system {system!r}", stage="translate", rule="mapping")
        record = normalise(Order, translator.to_canonical(raw))
    try:
        return Order.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordRejected(
            f"{where}: {first['msg']}", stage="translate", rule="schema", field=where
        ) from None


def order_no_of(translators: dict[str, Translator], system: str, fmt: str, raw: Any) -> str | None:
    """The order number of a body that does not translate as a whole (to file its failure under)."""
    if not isinstance(raw, dict):
        return None
    if fmt == "canonical":
        value = raw.get("order_no")
        return str(value) if value else None
    translator = translators.get(system)
    try:
        value = translator.to_canonical(raw, only=("order_no",)).get("order_no") if translator else None
    except RecordRejected:
        return None
    return str(value) if value else None
