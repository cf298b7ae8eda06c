"""A send looks up its one file name and never lists a folder (the outbox grows with every order), and it
stays idempotent: on a local folder and over SFTP, a file already there is not written again, a file
already there with other content is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox, RemoteFile
from connectors.sftp import SftpMailbox, SftpSettings
from connectors.threepl import ConflictingResend, ThreePLConnector
from sandbox.sftp import SandboxSftpServer, generate_keypair
from tests.threepl.builders import files, request

NAME = "FR_1001-3PL1-1.csv"


class CountingMailbox(LocalMailbox):
    """Counts listings: a send must make none."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.listed: list[str] = []

    def list(self, folder: str) -> list[RemoteFile]:
        self.listed.append(folder)
        return super().list(folder)


def test_a_send_and_its_replay_list_no_folder(root: Path) -> None:
    mailbox = CountingMailbox(root)
    connector = ThreePLConnector(mailbox, warehouse="3PL1")
    assert connector.send_fulfilment(request()) == NAME
    first = (root / "to_3pl" / NAME).stat().st_mtime_ns
    assert connector.send_fulfilment(request()) == NAME
    assert mailbox.listed == []
    assert files(root, "to_3pl") == [NAME] and (root / "to_3pl" / NAME).stat().st_mtime_ns == first
    assert [p.name for p in (root / "sent").rglob("*.csv")] == [NAME]


def test_a_file_already_in_the_outbox_is_not_written_again(root: Path) -> None:
    mailbox = CountingMailbox(root)
    ThreePLConnector(mailbox, warehouse="3PL1", sent=None).send_fulfilment(request())  # no ledger yet
    before = (root / "to_3pl" / NAME).stat().st_mtime_ns
    ThreePLConnector(mailbox, warehouse="3PL1").send_fulfilment(request())
    assert (root / "to_3pl" / NAME).stat().st_mtime_ns == before
    assert files(root, "to_3pl") == [NAME] and files(root, "sent/pending") == []
    assert [p.name for p in (root / "sent").rglob("*.csv")] == [NAME]
    assert mailbox.listed == []


def test_other_content_under_a_taken_name_is_still_refused(root: Path) -> None:
    mailbox = CountingMailbox(root)
    mailbox.write("to_3pl", NAME, b"something else\r\n")
    with pytest.raises(ConflictingResend, match="different content"):
        ThreePLConnector(mailbox, warehouse="3PL1").send_fulfilment(request())
    assert (root / "to_3pl" / NAME).read_bytes() == b"something else\r\n"


# -- over SFTP (the embedded server): a missing name is an answer, not a fault to retry -----------------
@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[tuple[SftpMailbox, Path]]:
    key = tmp_path / "id_ed25519"
    line = generate_keypair(key, comment="threepl-tests")
    with SandboxSftpServer(
        tmp_path / "server", host_key_path=tmp_path / "host_ed25519", authorized_keys=[line]
    ) as server:
        settings = SftpSettings(host=server.host, port=server.port, user=server.user, key_path=key,
                                host_key=server.host_key_line, root="/", connect_timeout=5, op_timeout=10,
                                retries=1, retry_wait=0.02)  # fmt: skip
        with SftpMailbox(settings) as mailbox:
            yield mailbox, server.accounts[server.user].root


def test_over_sftp_a_replay_writes_nothing_and_a_conflict_is_refused(sftp: tuple[SftpMailbox, Path]) -> None:
    mailbox, local = sftp
    connector = ThreePLConnector(mailbox, warehouse="3PL1")
    assert connector.send_fulfilment(request()) == NAME
    connects = mailbox.connects
    first = (local / "to_3pl" / NAME).stat().st_mtime_ns
    connector.send_fulfilment(request())
    assert (local / "to_3pl" / NAME).stat().st_mtime_ns == first
    assert mailbox.connects == connects  # a missing name did not cost a reconnect
    with pytest.raises(ConflictingResend):
        connector.send_fulfilment(request(lines=(("SKU-A", 9),)))
    assert files(local, "to_3pl") == [NAME] and files(local, "sent/pending") == []


def test_over_sftp_without_the_ledger_the_processed_folder_is_looked_up(
    sftp: tuple[SftpMailbox, Path],
) -> None:
    mailbox, local = sftp
    connector = ThreePLConnector(mailbox, warehouse="3PL1", sent=None)
    connector.send_fulfilment(request())
    mailbox.move("to_3pl", NAME, "to_3pl/processed")  # what the 3PL does with what it read
    connector.send_fulfilment(request())
    assert files(local, "to_3pl") == [] and files(local, "to_3pl/processed") == [NAME]
