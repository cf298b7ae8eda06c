"""Builders for 3PL tests: requests, receipts, a simulator on fixed clocks, folder listings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from connectors.mailbox import LocalMailbox
from hub.models import Address
from hub.workflows.ports import ExpectedReceipt, FulfilmentLine, FulfilmentRequest
from sandbox.threepl import ThreePLSimulator

READ_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SHIPPED_AT = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)


def simulator(mailbox: LocalMailbox, **options: object) -> ThreePLSimulator:
    options.setdefault("wallclock", lambda: SHIPPED_AT)
    options.setdefault("clock", lambda: 0.0)
    return ThreePLSimulator(mailbox, **options)  # type: ignore[arg-type]


def request(
    request_id: str = "1001-3PL1-1",
    *,
    order_no: str = "1001",
    lines: tuple[tuple[str, int | str], ...] = (("SKU-A", 2), ("SKU-B", 1)),
    ship_to: Address | None = None,
    carrier: str | None = "UPS",
    service: str | None = "GROUND",
) -> FulfilmentRequest:
    return FulfilmentRequest(
        request_id=request_id,
        order_no=order_no,
        warehouse="3PL1",
        ship_to=ship_to
        or Address(
            name="Ada Buyer", line1="1 Main St", city="Springfield", postal_code="12345", country="US"
        ),
        lines=tuple(FulfilmentLine(n, sku, Decimal(q)) for n, (sku, q) in enumerate(lines, 1)),
        carrier=carrier,
        service=service,
    )


def expected(rma_no: str = "RMA-1", lines: tuple[tuple[str, int], ...] = (("SKU-A", 1),)) -> ExpectedReceipt:
    return ExpectedReceipt(
        rma_no=rma_no,
        order_no="1001",
        warehouse="3PL1",
        lines=tuple(FulfilmentLine(n, sku, Decimal(q)) for n, (sku, q) in enumerate(lines, 1)),
    )


def files(root: Path, folder: str) -> list[str]:
    path = root / folder
    return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []
