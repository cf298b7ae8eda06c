"""EDI end to end over a mailbox with the partner simulator: 850 in, 997 back, our documents out, their 997s
reconciled, broken files to error/ with a report and the right acknowledgment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.x12.outbound.builders import build_855
from connectors.x12.outbound.documents import OrderAcknowledgment
from hub.config import load_config
from hub.edi.ledger import EdiLedger
from hub.edi.outbound import EdiSender
from hub.edi.service import EdiService
from hub.models import Order
from hub.store import Store
from sandbox.edi_partner import PartnerSimulator
from sandbox.edi_partner.simulator import MALFORMED, PoLine
from tests.conftest import ROOT


class Flow:
    def __init__(self, store: Store, tmp: Path) -> None:
        config = load_config(ROOT / "hub.yaml")
        config.edi.mailboxes["acme"].folder = str(tmp / "acme")  # type: ignore[misc]
        self.orders: dict[str, dict] = {}
        self.alerts: list = []
        self.service = EdiService(config, store, orders=self.sink, alert=self.alerts.append)
        self.box = self.service.mailbox("acme")
        self.partner = PartnerSimulator(LocalMailbox(tmp / "acme"), self.service.profiles["acme"])
        self.store = store

    def sink(self, profile: object, orders: list) -> None:
        for o in orders:
            self.orders[o.order["order_no"]] = o.canonical()


@pytest.fixture
def flow(store: Store, tmp_path: Path) -> Flow:
    return Flow(store, tmp_path)


def test_po_in_ack_back_855_out_and_its_997_reconciled(flow: Flow) -> None:
    lines = [
        PoLine("012345678905", Decimal(4), Decimal("9.50")),
        PoLine("ACME-55502", Decimal(2), Decimal(3), "BP"),
    ]
    flow.partner.send_850("PO-100", lines)
    [outcome] = flow.service.process("acme")
    assert outcome.clean, outcome
    order = Order.model_validate(flow.orders["ACME-PO-100"])
    assert [(line.sku, line.quantity.value) for line in order.lines] == [("SKU-1001", 4), ("SKU-1002", 2)]
    [ack] = flow.partner.collect()
    assert ack.status == "accepted" and ack.sets[0][0] == "997" and ack.acked_with is None
    # the hub acknowledges the PO with an 855 (line 2 partly backordered)
    doc = OrderAcknowledgment.from_order(order, ack_date=date(2026, 11, 22), backordered={2: Decimal(1)})
    sent = EdiSender(flow.store, flow.box).send([build_855(doc, flow.box.profile)], order_no=order.order_no)
    assert sent.sent == ["PO-100"]
    [got] = flow.partner.collect()
    assert got.status == "accepted", got.text
    assert [s[0] for s in got.sets] == ["855"] and got.acked_with
    [back] = flow.service.process("acme")  # their 997 for our 855
    assert back.clean and back.interchanges[0].reconciled == 1
    ledger = EdiLedger(flow.store)
    docs = ledger.documents(order_no="ACME-PO-100")
    assert [(d["direction"], d["set_id"], d["status"], d["ack_status"]) for d in docs] == [
        ("in", "850", "accepted", None),
        ("out", "855", "acknowledged", "accepted"),
    ]
    assert flow.service.check_overdue() == []


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_files_go_to_error_with_a_report_and_nothing_is_lost(flow: Flow, kind: str) -> None:
    name = flow.partner.send_malformed(kind)
    sent = flow.box.mailbox.read("outbound", name)
    [outcome] = flow.service.process("acme")
    assert outcome.status == "error"
    assert flow.box.mailbox.read("error", name) == sent  # kept byte for byte
    report = flow.box.mailbox.read("error", f"{name}.report.txt").decode()
    assert name in report and "validation:" in report
    acks = [f.name for f in flow.box.mailbox.list("inbound")]
    if kind in ("empty", "binary"):
        assert acks == [] and [a.kind for a in flow.alerts] == ["edi_error_file"]
    else:
        [ack_name] = acks  # a 997 rejecting the set, or a TA1 for the envelope
        text = flow.box.mailbox.read("inbound", ack_name).decode()
        assert "AK5*R" in text or "TA1*" in text or "AK9*R" in text, text
    assert flow.orders == {}


def test_855_856_810_follow_the_order_and_every_997_reconciles(flow: Flow) -> None:
    from hub.edi.notify import EdiNotifier
    from hub.lineage import record_lineage
    from hub.models import Shipment
    from hub.workflows.ports import ErpInvoice, LinePlan

    flow.partner.send_850("PO-200", [PoLine("012345678905", Decimal(5), Decimal("2.00"))])
    flow.service.process("acme")
    flow.partner.collect()  # their copy of our 997
    order = Order.model_validate(flow.orders["ACME-PO-200"])
    notify = EdiNotifier(flow.service)
    today = date(2026, 11, 22)
    plan = [LinePlan(1, "SKU-1001", Decimal(5), backordered=Decimal(2))]
    shipment = Shipment.model_validate(
        {
            "shipment_no": "SH-1",
            "order_no": order.order_no,
            "carrier": "UPS",
            "tracking_numbers": ["1Z999"],
            "ship_date": "2026-11-23",
            "lines": [{"line_no": 1, "sku": "SKU-1001", "quantity": {"value": 3}, "order_line_no": 1}],
        }
    )
    invoice = ErpInvoice(7, "INV-7", order.order_no, "posted", Decimal(6), Decimal(0), "USD", today)
    assert notify.acknowledged(order, plan, today).sent == ["PO-200"]
    assert notify.shipped(order, shipment, today).sent == ["SH-1"]
    assert notify.invoiced(order, invoice, shipment).sent == ["INV-7"]
    assert notify.invoiced(order, invoice, shipment).sent == []  # a replayed event sends nothing
    got = flow.partner.collect()
    assert [(r.sets[0][0], r.status) for r in got] == [
        ("855", "accepted"),
        ("856", "accepted"),
        ("810", "accepted"),
    ]
    assert "ACK*IA*3" in got[0].text and "ACK*IB*2" in got[0].text
    assert "REF*CN*1Z999" in got[1].text and "MAN*GM*00" in got[1].text
    assert "TDS*600" in got[2].text
    outcomes = flow.service.process("acme")  # their three 997s
    assert sum(i.reconciled for o in outcomes for i in o.interchanges) == 3
    lineage = record_lineage(flow.store, "order", order.order_no)
    assert lineage is not None
    edi = [(d["direction"], d["set_id"], d["status"], d["ack_status"]) for d in lineage["edi"]]
    assert edi == [
        ("in", "850", "accepted", None),
        ("out", "855", "acknowledged", "accepted"),
        ("out", "856", "acknowledged", "accepted"),
        ("out", "810", "acknowledged", "accepted"),
    ]
    assert all(d["isa13"] and d["gs06"] and d["st02"] for d in lineage["edi"])
