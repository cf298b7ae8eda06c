"""The EDI idempotent receiver over a local mailbox: acks out, duplicates, strangers, unreadable files, resume."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.x12.partners import load_partners
from connectors.x12.translate import TranslatedOrder
from hub.alerts import Alert
from hub.edi.control import StoreControlNumbers
from hub.edi.inbox import EdiInbox
from hub.edi.ledger import EdiLedger
from hub.edi.mailboxes import PartnerMailbox
from hub.store import Store
from tests.conftest import ROOT
from tests.x12.builders import envelope, po_850, render

PROFILES = load_partners(ROOT / "mappings" / "partners")


class Harness:
    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.mailbox = LocalMailbox(root)
        self.box = PartnerMailbox(PROFILES["acme"], self.mailbox, "outbound", "inbound", str(root))
        self.orders: dict[str, TranslatedOrder] = {}
        self.alerts: list[Alert] = []
        self.inbox = EdiInbox(store, self.box, profiles=PROFILES, orders=self.sink, alert=self.alerts.append)

    def sink(self, profile: object, orders: list[TranslatedOrder]) -> None:
        for order in orders:
            self.orders[order.order["order_no"]] = order  # idempotent by order number

    def drop(self, name: str, text: str | bytes) -> None:
        self.mailbox.write("outbound", name, text if isinstance(text, bytes) else text.encode())

    def run(self) -> list:
        return [self.inbox.process(f) for f in self.inbox.pending()]

    def names(self, folder: str) -> list[str]:
        return [f.name for f in self.mailbox.list(folder)]


@pytest.fixture
def h(store: Store, tmp_path: Path) -> Harness:
    return Harness(store, tmp_path / "acme")


def test_control_numbers_are_persisted_and_never_reused(store: Store) -> None:
    acme = StoreControlNumbers(store, "acme")
    assert [acme.next("isa") for _ in range(3)] == [1, 2, 3]
    assert StoreControlNumbers(store, "northwind").next("isa") == 1  # per partner
    again = StoreControlNumbers(Store(store.url), "acme")  # another process, same store
    assert again.next("isa") == 4
    assert again.current() == {"isa": 4, "gs": 0, "st": 0}
    taken: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        numbers = StoreControlNumbers(store, "acme")
        for _ in range(10):
            value = numbers.next("gs")
            with lock:
                taken.append(value)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(1, 41))


def test_a_good_850_is_acknowledged_translated_and_archived(h: Harness) -> None:
    h.drop("po1.x12", render(envelope([po_850("PO-1"), po_850("PO-2")], control=501)))
    [outcome] = h.run()
    assert outcome.status == "archived" and outcome.moved_to.startswith("archive/")
    assert sorted(h.orders) == ["ACME-PO-1", "ACME-PO-2"]
    [ack_name] = h.names("inbound")
    ack = h.mailbox.read("inbound", ack_name).decode()
    assert ack_name == "997_000000001.x12"
    assert "AK1*PO*101" in ack and ack.count("AK5*A") == 2 and "AK9*A*2*2*2" in ack
    assert h.names("outbound") == [] and h.names("error") == []
    ledger = EdiLedger(h.store)
    [received] = ledger.interchanges(direction="in")
    assert (received["control_number"], received["status"], received["ack_control"]) == (
        "000000501",
        "processed",
        "000000001",
    )
    [sent] = ledger.interchanges(direction="out")
    assert sent["control_number"] == "000000001" and sent["file"] == ack_name
    docs = ledger.documents(direction="in")
    assert [(d["set_id"], d["reference"], d["status"]) for d in docs] == [
        ("850", "PO-1", "accepted"),
        ("850", "PO-2", "accepted"),
    ]
    assert [d["order_no"] for d in docs] == ["ACME-PO-1", "ACME-PO-2"]


def test_a_duplicate_interchange_is_not_processed_twice(h: Harness) -> None:
    text = render(envelope([po_850("PO-7")], control=777))
    h.drop("first.x12", text)
    h.run()
    h.orders.clear()
    h.drop("again.x12", text)  # the partner re-sends the same ISA13
    [outcome] = h.run()
    assert outcome.status == "error" and outcome.interchanges[0].status == "duplicate"
    assert h.orders == {}
    assert len(h.names("inbound")) == 1  # no second 997
    report = h.mailbox.read("error", "again.x12.report.txt").decode()
    assert "duplicate" in report and "first.x12" in report


def test_an_unknown_sender_goes_to_error_with_an_alert(h: Harness) -> None:
    h.drop("stranger.x12", render(envelope([po_850()], sender="STRANGER")))
    [outcome] = h.run()
    assert outcome.status == "error" and outcome.interchanges[0].status == "unknown_sender"
    assert h.orders == {} and h.names("inbound") == []
    [alert] = h.alerts
    assert alert.kind == "unknown_edi_sender" and "ZZ:STRANGER" in alert.subject
    assert "error" in alert.text
    assert "stranger.x12" in h.names("error")


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x01\x02\xff" * 50, b"hello, this is not X12\n"], ids=["empty", "binary", "text"]
)
def test_unreadable_files_go_to_error_with_a_report(h: Harness, content: bytes) -> None:
    h.drop("junk.x12", content)
    [outcome] = h.run()
    assert outcome.status == "error" and outcome.problems
    assert sorted(h.names("error")) == ["junk.x12", "junk.x12.report.txt"]
    assert h.mailbox.read("error", "junk.x12") == content  # nothing lost
    assert [a.kind for a in h.alerts] == ["edi_error_file"]


def test_a_rejected_850_gets_a_rejecting_997_and_a_report(h: Harness) -> None:
    segs = envelope([po_850("PO-BAD")], control=901)
    for seg in segs:
        if seg[0] == "SE":
            seg[1] = "99"  # wrong segment count
    h.drop("bad.x12", render(segs))
    [outcome] = h.run()
    assert outcome.status == "error"
    ack = h.mailbox.read("inbound", h.names("inbound")[0]).decode()
    assert "AK5*R" in ack
    report = h.mailbox.read("error", "bad.x12.report.txt").decode()
    assert "set 850 0001: rejected" in report and "code" in report
    assert h.orders == {}


def test_a_crash_after_the_ack_was_decided_resends_the_same_ack(h: Harness) -> None:
    text = render(envelope([po_850("PO-9")], control=909))
    h.drop("po9.x12", text)
    # first attempt dies after the ack text was stored: simulate by running the steps up to there
    ledger = EdiLedger(h.store)
    claim = ledger.claim("acme", "ZZ:ACMERETAIL", "ZZ:COMMERCEHUB", "000000909", "po9.x12")
    ledger.remember_ack(claim.row_id, "000000055", "ISA*...stored ack text~")
    [outcome] = h.run()
    assert outcome.status == "archived"
    assert h.names("inbound") == ["ACK_000000055.x12"]
    assert h.mailbox.read("inbound", h.names("inbound")[0]) == b"ISA*...stored ack text~"
    assert "ACME-PO-9" in h.orders
    assert StoreControlNumbers(h.store, "acme").current()["isa"] == 0  # no new number was taken
    # the crash came before the outbound ledger knew of the 997: the resumed run records it, once
    [sent] = ledger.interchanges(direction="out")
    assert (sent["control_number"], sent["file"]) == ("000000055", "ACK_000000055.x12")
    h.drop("po9-again.x12", text)
    h.run()
    assert len(ledger.interchanges(direction="out")) == 1


def test_a_file_name_from_a_partner_cannot_escape_the_mailbox(h: Harness, tmp_path: Path) -> None:
    from connectors.mailbox.base import UnsafeName

    for name in ("../evil.x12", "/etc/passwd", "a/b.x12", "bad\nname.x12", ".."):
        with pytest.raises(UnsafeName):
            h.mailbox.write("outbound", name, b"x")
    assert not (tmp_path / "evil.x12").exists()
