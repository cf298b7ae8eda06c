"""Hub connector and simulated warehouse on one LocalMailbox: requests out, canonical messages back."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.threepl import ReceiptLine, ThreePLConnector
from hub.models import Address, StockLevel
from sandbox.threepl import MALFORMED_KINDS
from sandbox.threepl.csvfiles import REQUEST_COLUMNS, read_csv
from tests.threepl.builders import SHIPPED_AT, expected, files, request, simulator

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+SUM(1,2)",
    "-1+1",
    "@cmd",
    "'quoted",
    'a "quoted", value',
    "two\nlines",
]


def test_request_becomes_a_canonical_shipment(
    connector: ThreePLConnector, mailbox: LocalMailbox, root: Path
) -> None:
    warehouse = simulator(mailbox, seed=7)
    connector.send_fulfilment(request(lines=(("SKU-A", 2), ("SKU-B", 1))))
    report = warehouse.tick()
    assert report.picked == ["FR_1001-3PL1-1.csv"] and report.written == ["SC_SH000001.csv"]
    assert files(root, "to_3pl/processed") == ["FR_1001-3PL1-1.csv"]
    [message] = connector.read_inbox().messages
    shipment = message.shipment
    assert message.request_id == "1001-3PL1-1"
    assert (shipment.shipment_no, shipment.order_no, shipment.status) == ("SH000001", "1001", "shipped")
    assert (shipment.carrier, shipment.service, shipment.ship_date) == ("UPS", "GROUND", SHIPPED_AT.date())
    assert shipment.tracking_numbers and all(
        t.startswith("1Z") and len(t) == 18 for t in shipment.tracking_numbers
    )
    assert [(li.order_line_no, li.sku, li.quantity.value) for li in shipment.lines] == [
        (1, "SKU-A", Decimal(2)),
        (2, "SKU-B", Decimal(1)),
    ]


def test_nothing_ships_before_the_delay(connector: ThreePLConnector, mailbox: LocalMailbox) -> None:
    warehouse = simulator(mailbox, delay_s=30)
    connector.send_fulfilment(request())
    assert warehouse.tick(now=0).written == []
    assert warehouse.tick(now=29.9).written == []
    assert connector.read_inbox().messages == []
    assert warehouse.tick(now=30).written == ["SC_SH000001.csv"]
    assert len(connector.read_inbox().messages) == 1


def test_short_stock_ships_what_is_on_hand_then_the_rest(
    connector: ThreePLConnector, mailbox: LocalMailbox
) -> None:
    warehouse = simulator(mailbox, stock={"SKU-A": 3, "SKU-B": 0})
    connector.send_fulfilment(request(lines=(("SKU-A", 5), ("SKU-B", 2))))
    warehouse.tick()
    warehouse.tick()  # nothing more on hand: no empty shipment
    warehouse.add_stock("SKU-A", 10)
    warehouse.add_stock("SKU-B", 1)
    warehouse.tick()
    warehouse.add_stock("SKU-B", 1)
    warehouse.tick()
    shipments = [m.shipment for m in connector.read_inbox().messages]
    assert [[(li.sku, li.quantity.value) for li in s.lines] for s in shipments] == [
        [("SKU-A", Decimal(3))],
        [("SKU-A", Decimal(2)), ("SKU-B", Decimal(1))],
        [("SKU-B", Decimal(1))],
    ]
    assert len({s.shipment_no for s in shipments}) == 3 and {s.order_no for s in shipments} == {"1001"}
    shipped: dict[str, Decimal] = {}
    for line in (li for s in shipments for li in s.lines):
        shipped[line.sku] = shipped.get(line.sku, Decimal(0)) + line.quantity.value
    assert shipped == {"SKU-A": Decimal(5), "SKU-B": Decimal(2)}
    assert warehouse.stock == {"SKU-A": Decimal(8), "SKU-B": Decimal(0)}


def test_partial_rate_splits_into_two_shipments_that_add_up(
    connector: ThreePLConnector, mailbox: LocalMailbox
) -> None:
    warehouse = simulator(mailbox, partial_rate=1.0, delay_s=5)
    connector.send_fulfilment(request(lines=(("SKU-A", 5), ("SKU-B", 1))))
    assert warehouse.tick(now=0).written == []  # picked up, due at 5
    assert warehouse.tick(now=5).written == ["SC_SH000001.csv"]
    first = connector.read_inbox().messages
    assert warehouse.tick(now=9).written == []
    assert warehouse.tick(now=10).written == ["SC_SH000002.csv"]
    second = connector.read_inbox().messages
    lines = [[(li.order_line_no, li.quantity.value) for li in m.shipment.lines] for m in first + second]
    assert lines == [[(1, Decimal(3)), (2, Decimal(1))], [(1, Decimal(2))]]
    assert warehouse.requests == {}


def test_expected_receipt_comes_back_as_a_receipt_with_conditions(
    connector: ThreePLConnector, mailbox: LocalMailbox
) -> None:
    warehouse = simulator(mailbox, damaged_rate=0.5, seed=3, stock={"SKU-A": 0, "SKU-B": 0})
    connector.send_expected_receipt(expected(lines=(("SKU-A", 2), ("SKU-B", 1), ("SKU-A", 4))))
    assert warehouse.tick().written == ["RR_RMA-1.csv"]
    [message] = connector.read_inbox().messages
    receipt = message.receipt
    assert message.kind == "receipt" and (receipt.rma_no, receipt.order_no, receipt.warehouse) == (
        "RMA-1",
        "1001",
        "3PL1",
    )
    assert all(isinstance(line, ReceiptLine) for line in receipt.lines)
    assert [(li.line_no, li.sku, li.quantity) for li in receipt.lines] == [
        (1, "SKU-A", Decimal(2)),
        (2, "SKU-B", Decimal(1)),
        (3, "SKU-A", Decimal(4)),
    ]
    conditions = [li.condition for li in receipt.lines]
    assert set(conditions) <= {"new", "damaged"}
    back: dict[str, Decimal] = {"SKU-A": Decimal(0), "SKU-B": Decimal(0)}
    for line in receipt.lines:
        if line.condition == "new":
            back[line.sku] += line.quantity
    assert warehouse.stock == back  # only goods in new condition went back on the shelf


def test_inventory_snapshot_becomes_stock_levels(connector: ThreePLConnector, mailbox: LocalMailbox) -> None:
    warehouse = simulator(mailbox, stock={"SKU-A": 10, "SKU-B": "2.5"}, delay_s=60)
    connector.send_fulfilment(request(lines=(("SKU-A", 4),)))
    warehouse.tick(now=0)  # picked up, not shipped: reserved
    name = warehouse.send_inventory()
    assert name == "INV_3PL1_000001.csv"
    [message] = connector.read_inbox().messages
    assert message.kind == "inventory"
    as_of = SHIPPED_AT.replace(microsecond=0)
    assert list(message.inventory) == [
        StockLevel(
            sku="SKU-A",
            warehouse="3PL1",
            on_hand={"value": 10},
            reserved={"value": 4},
            available={"value": 6},
            as_of=as_of,
        ),
        StockLevel(
            sku="SKU-B",
            warehouse="3PL1",
            on_hand={"value": "2.5"},
            reserved={"value": 0},
            available={"value": "2.5"},
            as_of=as_of,
        ),
    ]


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
def test_malformed_file_goes_to_error_and_good_files_around_it_are_read(
    kind: str, connector: ThreePLConnector, mailbox: LocalMailbox, root: Path
) -> None:
    warehouse = simulator(mailbox, stock={"SKU-A": 10})
    connector.send_fulfilment(request("R-1", lines=(("SKU-A", 1),)))
    warehouse.tick()
    bad = warehouse.send_malformed(kind)
    connector.send_fulfilment(request("R-2", lines=(("SKU-A", 2),)))
    warehouse.tick()
    warehouse.send_inventory()
    read = connector.read_inbox()
    assert sorted(m.kind for m in read.messages) == ["inventory", "shipment", "shipment"]
    assert [where for where, _ in read.rejected] == [f"error/{bad}"]
    assert files(root, "error") == [bad, f"{bad}.error.txt"]
    assert files(root, "from_3pl") == []
    assert len(files(root, "archive/2026-03-14")) == 3
    report = (root / "error" / f"{bad}.error.txt").read_text()
    assert "nothing from this file was applied" in report
    if kind not in ("empty",):
        assert "line " in report  # located


def test_hostile_values_round_trip_exactly(
    connector: ThreePLConnector, mailbox: LocalMailbox, root: Path
) -> None:
    address = Address(
        name=HOSTILE[0],
        company=HOSTILE[1],
        line1=HOSTILE[5],
        line2=HOSTILE[6],
        city=HOSTILE[3],
        phone="+1 555 0100",
    )
    lines = tuple((sku, 1) for sku in HOSTILE)
    connector.send_fulfilment(
        request("=R|1", order_no='@1001,"x"', lines=lines, ship_to=address, carrier="-UPS")
    )
    name = files(root, "to_3pl")[0]
    data = (root / "to_3pl" / name).read_bytes()
    raw = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(raw) == 1 + len(HOSTILE)
    assert all(cell[:1] not in ("=", "+", "-", "@") for row in raw for cell in row)
    # the warehouse's own reader (written from the docs) gets every value back
    rows = read_csv(data, REQUEST_COLUMNS)
    assert [r["sku"] for r in rows] == HOSTILE
    assert (rows[0]["request_id"], rows[0]["order_no"], rows[0]["carrier"]) == ("=R|1", '@1001,"x"', "-UPS")
    assert [rows[0][f"ship_to_{f}"] for f in ("name", "company", "line1", "line2", "city", "phone")] == [
        address.name,
        address.company,
        address.line1,
        address.line2,
        address.city,
        address.phone,
    ]
    simulator(mailbox).tick()
    [message] = connector.read_inbox().messages
    assert message.request_id == "=R|1" and message.shipment.order_no == '@1001,"x"'
    assert message.shipment.carrier == "-UPS"
    assert [li.sku for li in message.shipment.lines] == HOSTILE


def test_the_simulator_is_deterministic_given_a_seed(tmp_path: Path) -> None:
    def run(seed: int) -> dict[str, bytes]:
        root = tmp_path / f"run-{seed}-{len(list(tmp_path.iterdir()))}"
        mailbox = LocalMailbox(root)
        connector = ThreePLConnector(mailbox, warehouse="3PL1")
        warehouse = simulator(mailbox, seed=seed, partial_rate=0.5, stock={"SKU-A": 20, "SKU-B": 20})
        for n in range(8):
            connector.send_fulfilment(request(f"R-{n}", carrier=None, service=None))
        connector.send_expected_receipt(expected())
        for now in range(3):
            warehouse.tick(now=now)
        warehouse.send_inventory()
        return {p.name: p.read_bytes() for p in sorted((root / "from_3pl").iterdir())}

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert any(b"FEDEX" in data or b"DHL" in data or b"USPS" in data for data in first.values())


def test_background_thread_ships_without_ticks(
    connector: ThreePLConnector, mailbox: LocalMailbox, root: Path
) -> None:
    warehouse = simulator(mailbox, clock=time.monotonic, wallclock=lambda: datetime.now(UTC))
    with warehouse.start(interval_s=0.01):
        connector.send_fulfilment(request())
        deadline = time.monotonic() + 5
        while not files(root, "from_3pl") and time.monotonic() < deadline:
            time.sleep(0.01)
    assert warehouse.errors == []
    assert [m.kind for m in connector.read_inbox().messages] == ["shipment"]
