"""A 3PL warehouse on a mailbox: picks up requests, ships (partially when it must), receives returns.

Time is the simulator's clock (``time.monotonic`` unless given), so tests drive ``tick(now=...)`` without
sleeping. Everything random (carriers, tracking numbers, which requests are split, damaged returns) comes
from one seeded generator, and work is done in file-name order, so a seed replays the same files.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from urllib.parse import quote

from connectors.mailbox import LocalMailbox, Mailbox
from sandbox.threepl import malformed
from sandbox.threepl.csvfiles import (
    EXPECTED_COLUMNS,
    INVENTORY_COLUMNS,
    RECEIPT_COLUMNS,
    REQUEST_COLUMNS,
    SHIPMENT_COLUMNS,
    read_csv,
    write_csv,
)

log = logging.getLogger(__name__)

CARRIERS = {"UPS": "GROUND", "FEDEX": "HOME", "DHL": "EXPRESS", "USPS": "PRIORITY"}


@dataclass
class OpenRequest:
    """A fulfilment request not yet fully shipped; ``remaining`` is line_no -> (sku, quantity)."""

    request_id: str
    order_no: str
    warehouse: str
    carrier: str
    service: str
    remaining: dict[int, tuple[str, Decimal]]
    due: float
    split: bool = False
    shipments: list[str] = field(default_factory=list)


@dataclass
class OpenReceipt:
    rma_no: str
    order_no: str
    warehouse: str
    lines: list[tuple[int, str, Decimal]]
    due: float


@dataclass
class TickReport:
    """What one tick did: files picked up from to_3pl/, refused there, and written to from_3pl/."""

    picked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


class ThreePLSimulator:
    """Plays the warehouse on the other side of a ``ThreePLConnector``'s mailbox."""

    def __init__(
        self,
        mailbox: Mailbox | str | Path,
        *,
        warehouse: str = "3PL1",
        delay_s: float = 0.0,
        partial_rate: float = 0.0,
        damaged_rate: float = 0.0,
        seed: int = 0,
        stock: Mapping[str, Decimal | int | str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], datetime] = lambda: datetime.now(UTC),
        outbox: str = "to_3pl",
        inbox: str = "from_3pl",
        processed: str = "to_3pl/processed",
        refused: str = "to_3pl/refused",
    ) -> None:
        """``stock=None`` ships everything; with stock it ships at most what is on hand and the rest
        (a second shipment) once ``add_stock`` brings more. ``partial_rate`` splits that share of requests
        into two shipments ``delay_s`` apart even with stock."""
        self.mailbox = LocalMailbox(mailbox) if isinstance(mailbox, str | Path) else mailbox
        self.warehouse, self.delay_s = warehouse, delay_s
        self.partial_rate, self.damaged_rate = partial_rate, damaged_rate
        self.random = random.Random(seed)
        self.stock = None if stock is None else {sku: Decimal(str(q)) for sku, q in stock.items()}
        self.clock, self.wallclock = clock, wallclock
        self.outbox, self.inbox, self.processed, self.refused = outbox, inbox, processed, refused
        self.requests: dict[str, OpenRequest] = {}
        self.receipts: dict[str, OpenReceipt] = {}
        self.seen: set[str] = set()
        self.errors: list[BaseException] = []
        self._shipment_seq = self._file_seq = 0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the warehouse's work ---------------------------------------------------------------------
    def tick(self, now: float | None = None) -> TickReport:
        """Pick up new files, then ship and receive whatever is due."""
        with self._lock:
            now = self.clock() if now is None else now
            report = TickReport()
            self._pick_up(now, report)
            for request in sorted(self.requests.values(), key=lambda r: r.request_id):
                if request.due <= now:
                    self._ship(request, now, report)
            for receipt in sorted(self.receipts.values(), key=lambda r: r.rma_no):
                if receipt.due <= now:
                    self._receive(receipt, report)
            return report

    def add_stock(self, sku: str, quantity: Decimal | int) -> None:
        """Goods arrive: backordered lines ship on the next tick."""
        with self._lock:
            if self.stock is None:
                raise ValueError("this simulator ships without stock; give stock= to track it")
            self.stock[sku] = self.stock.get(sku, Decimal(0)) + Decimal(quantity)

    def send_inventory(self) -> str:
        """An inventory snapshot of every SKU: on hand, and reserved = demand of open requests."""
        with self._lock:
            if self.stock is None:
                raise ValueError("no stock to report; give stock= to the simulator")
            demand: dict[str, Decimal] = {}
            for request in self.requests.values():
                for sku, quantity in request.remaining.values():
                    demand[sku] = demand.get(sku, Decimal(0)) + quantity
            as_of = self.wallclock().isoformat(timespec="seconds")
            rows = [
                [self.warehouse, sku, _num(on_hand), _num(min(on_hand, demand.get(sku, Decimal(0)))), as_of]
                for sku, on_hand in sorted(self.stock.items())
            ]
            self._file_seq += 1
            name = f"INV_{_token(self.warehouse)}_{self._file_seq:06d}.csv"
            self.mailbox.write(self.inbox, name, write_csv(INVENTORY_COLUMNS, rows))
            return name

    def send_malformed(self, kind: str) -> str:
        """Drop a broken file into from_3pl/ (kinds: ``malformed.KINDS``); returns its name."""
        with self._lock:
            self._file_seq += 1
            name, data = malformed.build(kind, self._file_seq, self.random)
            self.mailbox.write(self.inbox, name, data)
            return name

    # -- background --------------------------------------------------------------------------------
    def start(self, interval_s: float = 0.2) -> ThreePLSimulator:
        """Tick every ``interval_s`` in a daemon thread until ``stop``; faults are kept in ``errors``."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), name="3pl-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ThreePLSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.tick()
            except Exception as exc:  # keep ticking; tests look at errors
                log.exception("3PL simulator tick failed")
                self.errors.append(exc)

    # -- internals ---------------------------------------------------------------------------------
    def _pick_up(self, now: float, report: TickReport) -> None:
        for file in sorted(self.mailbox.list(self.outbox), key=lambda f: f.name):
            data = self.mailbox.read(self.outbox, file.name)
            try:
                if file.name.startswith("FR_"):
                    self._take_request(read_csv(data, REQUEST_COLUMNS), now)
                elif file.name.startswith("ER_"):
                    self._take_receipt(read_csv(data, EXPECTED_COLUMNS), now)
                else:
                    raise ValueError("not a request")
            except (ValueError, ArithmeticError) as exc:
                log.warning("3PL simulator refused %s: %s", file.name, exc)
                self.mailbox.move(self.outbox, file.name, self.refused)
                report.refused.append(file.name)
                continue
            self.mailbox.move(self.outbox, file.name, self.processed)
            report.picked.append(file.name)

    def _take_request(self, rows: list[dict[str, str]], now: float) -> None:
        head = rows[0]
        if f"FR:{head['request_id']}" in self.seen:
            return  # a re-sent request is shipped once
        carrier = head["carrier"] or self.random.choice(sorted(CARRIERS))
        self.requests[head["request_id"]] = OpenRequest(
            request_id=head["request_id"],
            order_no=head["order_no"],
            warehouse=head["warehouse"] or self.warehouse,
            carrier=carrier,
            service=head["service"] or CARRIERS.get(carrier, "STANDARD"),
            remaining={int(r["line_no"]): (r["sku"], Decimal(r["quantity"])) for r in rows},
            due=now + self.delay_s,
            split=self.random.random() < self.partial_rate,
        )
        self.seen.add(f"FR:{head['request_id']}")

    def _take_receipt(self, rows: list[dict[str, str]], now: float) -> None:
        head = rows[0]
        if f"ER:{head['rma_no']}" in self.seen:
            return
        lines = [(int(r["line_no"]), r["sku"], Decimal(r["quantity"])) for r in rows]
        warehouse = head["warehouse"] or self.warehouse
        self.receipts[head["rma_no"]] = OpenReceipt(
            head["rma_no"], head["order_no"], warehouse, lines, now + self.delay_s
        )
        self.seen.add(f"ER:{head['rma_no']}")

    def _ship(self, request: OpenRequest, now: float, report: TickReport) -> None:
        plan: dict[int, Decimal] = {}
        for line_no, (sku, quantity) in sorted(request.remaining.items()):
            wanted = quantity
            if request.split and not request.shipments:
                wanted = min(quantity, (quantity / 2).to_integral_value(ROUND_CEILING))
            if self.stock is not None:
                wanted = min(wanted, max(self.stock.get(sku, Decimal(0)), Decimal(0)))
            if wanted > 0:
                plan[line_no] = wanted
        if not plan:
            return  # waiting for stock
        self._shipment_seq += 1
        shipment_no = f"SH{self._shipment_seq:06d}"
        tracking = "|".join(self._tracking(request.carrier) for _ in range(1 + (self.random.random() < 0.3)))
        ship_date = self.wallclock().date().isoformat()
        rows = []
        for line_no, quantity in plan.items():
            sku, left = request.remaining[line_no]
            request.remaining[line_no] = (sku, left - quantity)
            if self.stock is not None:
                self.stock[sku] -= quantity
            rows.append(
                [
                    shipment_no,
                    request.request_id,
                    request.order_no,
                    str(line_no),
                    sku,
                    _num(quantity),
                    request.carrier,
                    request.service,
                    tracking,
                    ship_date,
                    request.warehouse,
                ]
            )
        request.remaining = {n: (s, q) for n, (s, q) in request.remaining.items() if q > 0}
        request.shipments.append(shipment_no)
        name = f"SC_{shipment_no}.csv"
        self.mailbox.write(self.inbox, name, write_csv(SHIPMENT_COLUMNS, rows))
        report.written.append(name)
        if request.remaining:
            request.due = now + self.delay_s  # the rest later, in another shipment
        else:
            del self.requests[request.request_id]

    def _receive(self, receipt: OpenReceipt, report: TickReport) -> None:
        rows = []
        for line_no, sku, quantity in receipt.lines:
            condition = "damaged" if self.random.random() < self.damaged_rate else "new"
            if condition == "new" and self.stock is not None:
                self.stock[sku] = self.stock.get(sku, Decimal(0)) + quantity
            rows.append([receipt.rma_no, receipt.order_no, receipt.warehouse, str(line_no), sku])
            rows[-1] += [_num(quantity), condition]
        name = f"RR_{_token(receipt.rma_no)}.csv"
        self.mailbox.write(self.inbox, name, write_csv(RECEIPT_COLUMNS, rows))
        report.written.append(name)
        del self.receipts[receipt.rma_no]

    def _tracking(self, carrier: str) -> str:
        digits = "0123456789"
        if carrier == "UPS":
            return "1Z" + "".join(self.random.choice(digits + "ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
        length = {"FEDEX": 12, "DHL": 10, "USPS": 22}.get(carrier, 14)
        return "".join(self.random.choice(digits) for _ in range(length))


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _token(value: str) -> str:
    return quote(value, safe="-_.")
