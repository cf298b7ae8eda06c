"""The connector alone: idempotent sends, the resend ledger, and an inbox reader that never loses a file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.threepl import ConflictingResend, ThreePLConnector
from hub.errors import RecordRejected, RetriableError
from hub.models import Address
from tests.threepl.builders import expected, files, request

SHIPMENT = (
    "shipment_no,request_id,order_no,line_no,sku,quantity_shipped,carrier,service,tracking,ship_date\r\n"
    "S1,1001-3PL1-1,1001,1,SKU-A,2,UPS,GROUND,1Z1|1Z2,2026-03-13\r\n"
    "S1,1001-3PL1-1,1001,2,SKU-B,1.5,UPS,GROUND,1Z2,2026-03-13\r\n"
)


def test_send_writes_one_file_and_a_replay_writes_nothing(connector: ThreePLConnector, root: Path) -> None:
    name = connector.send_fulfilment(request())
    outbox = root / "to_3pl" / name
    first = outbox.stat()
    assert name == "FR_1001-3PL1-1.csv"
    assert connector.send_fulfilment(request()) == name
    assert files(root, "to_3pl") == [name]
    assert outbox.stat().st_mtime_ns == first.st_mtime_ns  # not rewritten
    assert [p.name for p in (root / "sent").rglob("*.csv")] == [name]


def test_same_request_renders_same_bytes_whatever_the_decimal_scale(
    connector: ThreePLConnector, root: Path
) -> None:
    connector.send_fulfilment(request(lines=(("SKU-A", "2.000"), ("SKU-B", "1"))))
    assert connector.send_fulfilment(request(lines=(("SKU-A", 2), ("SKU-B", "1.0")))) == "FR_1001-3PL1-1.csv"
    assert "SKU-A,2," in (root / "to_3pl" / "FR_1001-3PL1-1.csv").read_text()


def test_replay_after_the_3pl_picked_the_file_up_writes_nothing(
    connector: ThreePLConnector, root: Path
) -> None:
    name = connector.send_fulfilment(request())
    (root / "to_3pl" / "processed").mkdir()
    (root / "to_3pl" / name).rename(root / "to_3pl" / "processed" / name)
    connector.send_fulfilment(request())
    assert files(root, "to_3pl") == []


def test_replay_after_the_3pl_deleted_the_file_writes_nothing(
    connector: ThreePLConnector, root: Path
) -> None:
    name = connector.send_fulfilment(request())
    (root / "to_3pl" / name).unlink()  # a 3PL that deletes what it picked up: the ledger remembers
    connector.send_fulfilment(request())
    assert files(root, "to_3pl") == []


def test_a_file_sent_without_the_ledger_is_recorded_by_the_replay(mailbox: LocalMailbox, root: Path) -> None:
    no_ledger = ThreePLConnector(mailbox, warehouse="3PL1", sent=None)
    name = no_ledger.send_fulfilment(request())
    ThreePLConnector(mailbox, warehouse="3PL1").send_fulfilment(request())
    assert [p.relative_to(root / "sent").parts[1] for p in (root / "sent").rglob("*.csv")] == [name]
    assert files(root, "to_3pl") == [name] and files(root, "sent/pending") == []


def test_without_the_ledger_the_3pl_processed_folder_is_searched(mailbox: LocalMailbox, root: Path) -> None:
    connector = ThreePLConnector(mailbox, warehouse="3PL1", sent=None)
    name = connector.send_fulfilment(request())
    mailbox.move("to_3pl", name, "to_3pl/processed")
    connector.send_fulfilment(request())
    assert files(root, "to_3pl") == []
    with pytest.raises(ConflictingResend):
        connector.send_fulfilment(request(lines=(("SKU-A", 9),)))


class CrashingMailbox(LocalMailbox):
    """The process dies on the n-th write: the half-done send a replay must finish."""

    def __init__(self, root: Path, crash_on_write: int) -> None:
        super().__init__(root)
        self.writes, self.crash_on_write = 0, crash_on_write

    def write(self, folder: str, name: str, data: bytes) -> None:
        self.writes += 1
        if self.writes == self.crash_on_write:
            raise RetriableError("killed")
        super().write(folder, name, data)


@pytest.mark.parametrize("picked_up_meanwhile", [False, True])
def test_an_interrupted_send_is_finished_once_by_the_replay(root: Path, picked_up_meanwhile: bool) -> None:
    crashing = CrashingMailbox(root, crash_on_write=2)  # the pending copy is written, the outbox is not
    with pytest.raises(RetriableError):
        ThreePLConnector(crashing, warehouse="3PL1").send_fulfilment(request())
    assert files(root, "sent/pending") == ["FR_1001-3PL1-1.csv"] and files(root, "to_3pl") == []
    mailbox = LocalMailbox(root)
    if picked_up_meanwhile:  # the outbox write had landed after all and the 3PL took it
        mailbox.write(
            "to_3pl/processed", "FR_1001-3PL1-1.csv", (root / "sent/pending/FR_1001-3PL1-1.csv").read_bytes()
        )
    ThreePLConnector(mailbox, warehouse="3PL1").send_fulfilment(request())
    assert files(root, "to_3pl") == ([] if picked_up_meanwhile else ["FR_1001-3PL1-1.csv"])
    assert files(root, "sent/pending") == []
    assert len(list((root / "sent").rglob("FR_*.csv"))) == 1


def test_same_id_with_different_content_is_refused(connector: ThreePLConnector, root: Path) -> None:
    name = connector.send_fulfilment(request())
    before = (root / "to_3pl" / name).read_bytes()
    with pytest.raises(ConflictingResend, match="different content"):
        connector.send_fulfilment(request(lines=(("SKU-A", 3),)))
    assert (root / "to_3pl" / name).read_bytes() == before


def test_expected_receipt_is_idempotent_too(connector: ThreePLConnector, root: Path) -> None:
    assert connector.send_expected_receipt(expected()) == "ER_RMA-1.csv"
    connector.send_expected_receipt(expected())
    assert files(root, "to_3pl") == ["ER_RMA-1.csv"]
    with pytest.raises(ConflictingResend):
        connector.send_expected_receipt(expected(lines=(("SKU-A", 2),)))


@pytest.mark.parametrize(
    ("request_id", "name"),
    [
        ("../../etc/passwd", "FR_..%2F..%2Fetc%2Fpasswd.csv"),
        ("#1001/A", "FR_%231001%2FA.csv"),
        (".x", "FR_.x.csv"),
    ],
)
def test_ids_cannot_escape_the_outbox(
    connector: ThreePLConnector, root: Path, request_id: str, name: str
) -> None:
    assert connector.send_fulfilment(request(request_id)) == name
    assert files(root, "to_3pl") == [name]


def test_distinct_ids_never_share_a_file(connector: ThreePLConnector) -> None:
    assert connector.send_fulfilment(request("A/1")) != connector.send_fulfilment(request("A_1"))


@pytest.mark.parametrize(
    "bad",
    [
        request(lines=()),
        request(lines=(("SKU-A", 0),)),
        request(lines=(("SKU-A", "0.0000001"),)),
        request(lines=(("SKU-A", "NaN"),)),
        request(lines=(("", 1),)),
        request(ship_to=Address(name="nul\x00byte")),
        request(""),
    ],
)
def test_requests_the_3pl_could_not_read_are_refused(connector: ThreePLConnector, root: Path, bad) -> None:
    with pytest.raises(RecordRejected):
        connector.send_fulfilment(bad)
    assert files(root, "to_3pl") == []


def test_read_inbox_parses_archives_by_date_and_keeps_the_request_id(
    connector: ThreePLConnector, root: Path
) -> None:
    (root / "from_3pl").mkdir(parents=True)
    (root / "from_3pl" / "SC_S1.csv").write_text(SHIPMENT, newline="")
    read = connector.read_inbox()
    assert read.rejected == [] and read.deferred == []
    [message] = read.messages
    shipment = message.shipment
    assert message.kind == "shipment" and message.request_id == "1001-3PL1-1"
    assert message.file == "archive/2026-03-14/SC_S1.csv"
    assert (shipment.shipment_no, shipment.order_no, shipment.warehouse) == ("S1", "1001", "3PL1")
    assert shipment.tracking_numbers == ["1Z1", "1Z2"]
    assert [(li.line_no, li.order_line_no, li.sku, li.quantity.value) for li in shipment.lines] == [
        (1, 1, "SKU-A", Decimal(2)),
        (2, 2, "SKU-B", Decimal("1.5")),
    ]
    assert files(root, "archive/2026-03-14") == ["SC_S1.csv"] and files(root, "from_3pl") == []
    assert connector.read_inbox().messages == []  # archived files are not read again


def test_one_bad_row_sends_the_whole_file_to_error(connector: ThreePLConnector, root: Path) -> None:
    (root / "from_3pl").mkdir(parents=True)
    bad = SHIPMENT.replace("SKU-B,1.5,UPS", "SKU-B,1.5,FEDEX")  # carrier differs within one shipment
    (root / "from_3pl" / "SC_S1.csv").write_text(bad, newline="")
    read = connector.read_inbox()
    assert read.messages == []
    assert read.rejected == [
        (
            "error/SC_S1.csv",
            "line 3, column 7 (carrier): 'FEDEX' differs from 'UPS' on line 2 of the same shipment 'S1'",
        )
    ]
    report = (root / "error" / "SC_S1.csv.error.txt").read_text()
    assert "kind:      shipment confirmation" in report and "nothing from this file was applied" in report


def test_several_problems_are_all_reported(connector: ThreePLConnector, root: Path) -> None:
    (root / "from_3pl").mkdir(parents=True)
    bad = SHIPMENT.replace(",2,UPS", ",two,UPS").replace("2026-03-13\r\nS1", "13/03/2026\r\nS1")
    (root / "from_3pl" / "SC_S1.csv").write_text(bad, newline="")
    [(_, reason)] = connector.read_inbox().rejected
    report = (root / "error" / "SC_S1.csv.error.txt").read_text()
    assert "line 2, column 6 (quantity_shipped): 'two' is not a number > 0" in report
    assert "line 2, column 10 (ship_date): '13/03/2026' is not a date (YYYY-MM-DD)" in report
    assert "line 3, column 10 (ship_date): '2026-03-13' differs from '13/03/2026' on line 2" in report
    assert reason.endswith("(+2 more, see the .error.txt report)")


def test_a_second_file_with_a_taken_name_keeps_both(connector: ThreePLConnector, root: Path) -> None:
    for _ in range(2):
        (root / "from_3pl").mkdir(parents=True, exist_ok=True)
        (root / "from_3pl" / "SC_X.csv").write_bytes(b"")
        connector.read_inbox()
    assert files(root, "error") == ["SC_X.1.csv", "SC_X.1.csv.error.txt", "SC_X.csv", "SC_X.csv.error.txt"]


def test_oversized_files_are_not_read(mailbox: LocalMailbox, root: Path) -> None:
    connector = ThreePLConnector(mailbox, warehouse="3PL1", max_file_bytes=100)
    (root / "from_3pl").mkdir(parents=True)
    (root / "from_3pl" / "SC_S1.csv").write_text(SHIPMENT, newline="")
    [(_, reason)] = connector.read_inbox().rejected
    assert "over the 100-byte limit" in reason


class FlakyMailbox(LocalMailbox):
    """Moves fail while ``down``: the SFTP session dropped."""

    down = True

    def move(self, folder: str, name: str, to_folder: str, new_name: str | None = None) -> str:
        if self.down:
            raise RetriableError("connection reset")
        return super().move(folder, name, to_folder, new_name)


def test_a_failed_move_keeps_the_file_and_still_delivers_at_least_once(root: Path) -> None:
    mailbox = FlakyMailbox(root)
    connector = ThreePLConnector(mailbox, warehouse="3PL1")
    (root / "from_3pl").mkdir(parents=True)
    (root / "from_3pl" / "SC_S1.csv").write_text(SHIPMENT, newline="")
    (root / "from_3pl" / "SC_S2.csv").write_text(SHIPMENT.replace("S1,", "S2,"), newline="")
    read = connector.read_inbox()
    assert [m.shipment.shipment_no for m in read.messages] == ["S1"]
    assert read.deferred == [("SC_S1.csv", "not moved, will be read again: connection reset")]
    assert files(root, "from_3pl") == ["SC_S1.csv", "SC_S2.csv"]
    mailbox.down = False
    again = connector.read_inbox()
    assert sorted(m.shipment.shipment_no for m in again.messages) == ["S1", "S2"]
    assert files(root, "from_3pl") == []


def test_sensor_path_settles_only_after_the_messages_are_applied(
    connector: ThreePLConnector, root: Path
) -> None:
    (root / "from_3pl").mkdir(parents=True)
    (root / "from_3pl" / "SC_S1.csv").write_text(SHIPMENT, newline="")
    [file] = connector.pending()
    first = connector.parse(file)  # ...the process dies before settle: nothing moved
    assert first.ok and files(root, "from_3pl") == ["SC_S1.csv"]
    [again] = connector.pending()
    assert again.run_key == file.run_key
    parsed = connector.parse(again)
    assert parsed.messages == first.messages
    assert connector.settle(parsed) == "archive/2026-03-14/SC_S1.csv"
    assert connector.pending() == []


def test_an_unsafe_inbox_name_is_left_in_place_and_reported(connector: ThreePLConnector, root: Path) -> None:
    (root / "from_3pl").mkdir(parents=True)
    (root / "from_3pl" / "SC_a\\b.csv").write_text(SHIPMENT, newline="")
    (root / "from_3pl" / "SC_S1.csv").write_text(SHIPMENT, newline="")
    read = connector.read_inbox()
    assert [m.shipment.shipment_no for m in read.messages] == ["S1"]
    assert [name for name, _ in read.deferred] == ["SC_a\\b.csv"]
    assert files(root, "from_3pl") == ["SC_a\\b.csv"]
