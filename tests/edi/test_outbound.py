"""Sending EDI documents once: natural keys, resume after a failed upload, acks reconcile, overdue alerts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.x12.outbound.interchange import TransactionSet
from connectors.x12.partners import load_partners
from hub.alerts import Alert
from hub.config import load_config
from hub.edi.control import StoreControlNumbers
from hub.edi.ledger import EdiLedger
from hub.edi.mailboxes import PartnerMailbox
from hub.edi.outbound import EdiSender
from hub.edi.service import EdiService
from hub.engine.stats import utcnow
from hub.errors import RetriableError
from hub.store import Store
from tests.conftest import ROOT
from tests.x12.builders import inventory_846

PROFILES = load_partners(ROOT / "mappings" / "partners")


def _846(reference: str) -> TransactionSet:
    return TransactionSet("846", inventory_846(), reference=reference)


@pytest.fixture
def box(tmp_path: Path) -> PartnerMailbox:
    return PartnerMailbox(PROFILES["acme"], LocalMailbox(tmp_path / "acme"), "outbound", "inbound", "test")


def test_a_document_is_sent_once_per_reference(store: Store, box: PartnerMailbox) -> None:
    sender = EdiSender(store, box)
    first = sender.send([_846("2026-11-22")])
    assert first.sent == ["2026-11-22"] and first.file == "acme_846_000000001.x12"
    text = box.mailbox.read("inbound", first.file).decode()
    assert text.startswith("ISA*00*") and "ST*846*0001" in text and "IEA*1*000000001" in text
    again = sender.send([_846("2026-11-22"), _846("2026-11-23")])
    assert again.skipped == ["2026-11-22"] and again.sent == ["2026-11-23"]
    assert sorted(f.name for f in box.mailbox.list("inbound")) == [
        "acme_846_000000001.x12",
        "acme_846_000000002.x12",
    ]
    docs = EdiLedger(store).documents(direction="out")
    assert [(d["reference"], d["status"], d["interchange"]) for d in docs] == [
        ("2026-11-22", "sent", "000000001"),
        ("2026-11-23", "sent", "000000002"),
    ]
    assert all(d["ack_due_at"] is not None for d in docs)


def test_a_failed_upload_is_resent_with_the_same_text_and_numbers(store: Store, box: PartnerMailbox) -> None:
    real_write = box.mailbox.write
    calls = {"n": 0}

    def flaky(folder: str, name: str, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RetriableError("connection dropped mid-upload")
        real_write(folder, name, data)

    box.mailbox.write = flaky  # type: ignore[method-assign]
    sender = EdiSender(store, box)
    with pytest.raises(RetriableError):
        sender.send([_846("D1")])
    assert box.mailbox.list("inbound") == []
    [doc] = EdiLedger(store).documents(direction="out")
    assert doc["status"] == "prepared"
    numbers_before = StoreControlNumbers(store, "acme").current()
    result = sender.send([_846("D1")])  # the retry: resumes, builds nothing new
    assert result.sent == [] and result.skipped == ["D1"]
    [file] = box.mailbox.list("inbound")
    assert file.name == doc["file"]
    assert StoreControlNumbers(store, "acme").current() == numbers_before
    [doc] = EdiLedger(store).documents(direction="out")
    assert doc["status"] == "sent"


def test_overdue_acknowledgments_raise_one_alert_per_partner_until_reconciled(
    store: Store, box: PartnerMailbox
) -> None:
    long_ago = utcnow() - timedelta(days=2)
    sender = EdiSender(store, box, clock=lambda: long_ago)
    sent = sender.send([_846("OLD-1"), _846("OLD-2")])
    alerts: list[Alert] = []
    service = EdiService(load_config(ROOT / "hub.yaml"), store, orders=lambda p, o: None, alert=alerts.append)
    overdue = service.check_overdue()
    assert {r["reference"] for r in overdue} == {"OLD-1", "OLD-2"}
    [alert] = alerts
    assert alert.kind == "overdue_997" and alert.subject == "acme" and "OLD-1" in alert.text
    [doc, _] = EdiLedger(store).documents(direction="out")
    EdiLedger(store).acknowledge("acme", doc["group_control"], "IB", {}, "A")
    assert service.check_overdue() == [] and len(alerts) == 1
    assert sent.isa_control == doc["interchange"]


def test_a_partially_accepted_group_accepts_the_sets_it_does_not_list(
    store: Store, box: PartnerMailbox
) -> None:
    from connectors.x12.outbound.ack_reader import AckInterchange, GroupAck, SetAck
    from hub.edi.reconcile import reconcile

    sent = EdiSender(store, box).send([_846("A"), _846("B")])
    ledger = EdiLedger(store)
    docs = ledger.documents(direction="out")
    group = docs[0]["group_control"]
    rejected = SetAck("846", docs[1]["set_control"], status="R")
    ack = AckInterchange(("ZZ", "ACMERETAIL"), ("ZZ", "COMMERCEHUB"), "000000777", "00401", "", "",
                         groups=[GroupAck("IB", group, status="P", sets=[rejected])])  # fmt: skip
    assert reconcile(ledger, "acme", ack) == 2
    assert [d["ack_status"] for d in ledger.documents(direction="out")] == ["accepted", "rejected"]
    assert sent.isa_control == docs[0]["interchange"]
