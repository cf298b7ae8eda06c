"""The EDI flow over real SFTP (OpenSSH sshd and the embedded server): the partner drops an 850 into its mailbox,
the hub acknowledges it into the partner's inbox, a session cut mid-way loses and duplicates nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.sftp import SftpMailbox
from hub.config import EdiMailboxConfig, load_config
from hub.edi.service import EdiService
from hub.store import Store
from sandbox.edi_partner import PartnerSimulator
from sandbox.edi_partner.simulator import PoLine
from tests.conftest import ROOT
from tests.sftp.conftest import SftpTarget


def _service(target: SftpTarget, store: Store, orders: dict) -> EdiService:
    config = load_config(ROOT / "hub.yaml")
    settings = target.settings().model_dump(mode="json", exclude_none=True)
    config.edi.mailboxes["acme"] = EdiMailboxConfig(sftp=settings)
    return EdiService(config, store, orders=lambda p, os: orders.update({o.order["order_no"]: o for o in os}),
                      alert=lambda a: None)  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_850_in_and_997_back_over_sftp(sftp_target: SftpTarget, store: Store) -> None:
    orders: dict = {}
    service = _service(sftp_target, store, orders)
    partner_box = SftpMailbox(sftp_target.settings())
    partner = PartnerSimulator(partner_box, service.profiles["acme"])
    try:
        partner.send_850("PO-S1", [PoLine("012345678905", Decimal(2), Decimal("1.50"))])
        assert [f.name for f in service.pending("acme")]
        [outcome] = service.process("acme")
        assert outcome.clean and list(orders) == ["ACME-PO-S1"]
        [ack] = partner.collect()
        assert ack.status == "accepted" and ack.sets[0][0] == "997"
        assert (sftp_target.local_root / "archive").is_dir() and not list(
            (sftp_target.local_root / "outbound").iterdir()
        )
    finally:
        service.close()
        partner_box.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_session_cut_mid_transfer_loses_and_duplicates_nothing(
    embedded_target: SftpTarget, store: Store
) -> None:
    orders: dict = {}
    service = _service(embedded_target, store, orders)
    partner_box = SftpMailbox(embedded_target.settings())
    partner = PartnerSimulator(partner_box, service.profiles["acme"])
    try:
        for n in range(5):
            partner.send_850(f"PO-C{n}", [PoLine("012345678905", Decimal(1), Decimal(1))])
        assert embedded_target.embedded is not None
        embedded_target.embedded.faults.configure(cut_rate=0.3, cut_after_bytes=64, seed=3)
        for _ in range(10):  # what a sensor does on every tick until the inbox is empty
            try:
                service.process("acme")
            except Exception:  # a cut beyond the retries: the next tick goes on
                service.close()
            if not service.pending("acme"):
                break
        assert embedded_target.embedded.faults.counts["cut"] > 0  # the faults really happened
        embedded_target.embedded.faults.reset()
        assert sorted(orders) == [f"ACME-PO-C{n}" for n in range(5)]
        acks = partner.collect()
        assert len(acks) == 5  # one 997 per interchange, none twice
        docs = service.ledger.interchanges(partner="acme", direction="in")
        assert len(docs) == 5 and all(d["status"] == "processed" for d in docs)
    finally:
        service.close()
        partner_box.close()
