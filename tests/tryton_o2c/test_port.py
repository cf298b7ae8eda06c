"""TrytonOrders offers every ErpOrders operation with the port's parameters (no server needed)."""

from __future__ import annotations

import inspect

import pytest

from connectors.tryton.sales import TrytonOrders
from hub.workflows.ports import ErpOrders

PORT_METHODS = sorted(
    name for name, member in vars(ErpOrders).items() if callable(member) and not name.startswith("_")
)


@pytest.mark.parametrize("name", PORT_METHODS)
def test_signature_matches_the_port(name: str) -> None:
    port = inspect.signature(getattr(ErpOrders, name))
    ours = inspect.signature(getattr(TrytonOrders, name))
    assert list(ours.parameters) == list(port.parameters)
    for param in port.parameters.values():
        mine = ours.parameters[param.name]
        assert (mine.kind, mine.default) == (param.kind, param.default), name


def test_every_port_method_is_covered() -> None:
    assert len(PORT_METHODS) == 12


def test_an_unknown_invoice_method_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="invoice_method"):
        TrytonOrders(None, invoice_method="weekly")  # type: ignore[arg-type]
