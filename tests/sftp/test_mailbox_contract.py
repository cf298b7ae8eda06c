"""``SftpMailbox`` against OpenSSH and the embedded server: the ``LocalMailbox`` behaviour, over the network.

Every test runs twice (see ``sftp_target`` in conftest). Where it can, a test compares with ``LocalMailbox``
on the very folder the server serves, so "behaves like LocalMailbox" is checked, not restated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import paramiko
import pytest

from connectors.mailbox import LocalMailbox
from connectors.mailbox.base import UnsafeName
from connectors.sftp import HostKeyRejected, LoginRejected, SftpMailbox, fingerprint
from connectors.sftp.hostkeys import key_from_line
from hub.errors import RetriableError
from sandbox.common.server import free_port
from sandbox.sftp import generate_keypair
from tests.sftp.conftest import SftpTarget

UNSAFE_NAMES = ["../x", "/etc/passwd", "a/b", "bad\x00name", "tab\tname", "line\nbreak", "..", ".hidden", ""]
UNSAFE_FOLDERS = ["/etc", "../outside", "inbox/../../x", ""]


def files_on_disk(target: SftpTarget) -> set[str]:
    return {str(p.relative_to(target.local_root)) for p in target.local_root.rglob("*") if p.is_file()}


class TestSftpMailboxContract:
    def test_write_list_read_move_round_trip(self, sftp_target: SftpTarget) -> None:
        with SftpMailbox(sftp_target.settings()) as mailbox:
            assert mailbox.connected is False  # lazy: nothing happens before the first call
            mailbox.write("inbox", "po-1001.edi", b"ISA*00*...~")
            listed = mailbox.list("inbox")
            assert [(f.folder, f.name, f.size) for f in listed] == [("inbox", "po-1001.edi", 11)]
            assert abs(listed[0].mtime - (sftp_target.local_root / "inbox/po-1001.edi").stat().st_mtime) < 1
            assert mailbox.read("inbox", "po-1001.edi") == b"ISA*00*...~"
            assert mailbox.move("inbox", "po-1001.edi", "archive/2026-11-22") == "po-1001.edi"
            assert mailbox.list("inbox") == []
            assert [f.name for f in mailbox.list("archive/2026-11-22")] == ["po-1001.edi"]
            assert mailbox.connects == 1  # one session served every call
        assert mailbox.connected is False
        assert files_on_disk(sftp_target) == {"archive/2026-11-22/po-1001.edi"}
        assert (sftp_target.local_root / "archive/2026-11-22/po-1001.edi").read_bytes() == b"ISA*00*...~"

    def test_write_replaces_and_leaves_no_part(self, sftp_target: SftpTarget) -> None:
        stale = sftp_target.local_root / "outbox" / "asn.edi.part"
        stale.parent.mkdir()
        stale.write_bytes(b"a much longer half upload from a cut session" * 100)
        with SftpMailbox(sftp_target.settings()) as mailbox:
            mailbox.write("outbox", "asn.edi", b"first")
            mailbox.write("outbox", "asn.edi", b"second")
            assert mailbox.read("outbox", "asn.edi") == b"second"
        assert files_on_disk(sftp_target) == {"outbox/asn.edi"}

    def test_list_skips_part_hidden_folders_and_symlinks_oldest_first(self, sftp_target: SftpTarget) -> None:
        inbox = sftp_target.local_root / "inbox"
        inbox.mkdir()
        for name, age in [
            ("b.edi", 300),
            ("a.edi", 100),
            ("c.edi", 200),
            ("d.edi.part", 400),
            (".seen", 500),
        ]:
            (inbox / name).write_bytes(name.encode())
            os.utime(inbox / name, (time.time() - age, time.time() - age))
        (inbox / "sub").mkdir()
        (inbox / "link.edi").symlink_to(inbox / "a.edi")
        with SftpMailbox(sftp_target.settings()) as mailbox:
            listed = mailbox.list("inbox")
        assert [f.name for f in listed] == ["b.edi", "c.edi", "a.edi"]
        local = LocalMailbox(sftp_target.local_root).list("inbox")
        assert [(f.name, f.size, int(f.mtime)) for f in listed] == [
            (f.name, f.size, int(f.mtime)) for f in local
        ]

    def test_five_megabyte_round_trip(self, sftp_target: SftpTarget) -> None:
        data = os.urandom(5 * 1024 * 1024)
        with SftpMailbox(sftp_target.settings()) as mailbox:
            started = time.perf_counter()
            mailbox.write("outbound/orders", "orders.csv", data)
            written = time.perf_counter()
            assert mailbox.read("outbound/orders", "orders.csv") == data
            read = time.perf_counter()
        assert (sftp_target.local_root / "outbound/orders/orders.csv").read_bytes() == data
        print(f"{sftp_target.kind}: 5 MiB write {written - started:.2f}s, read {read - written:.2f}s")

    def test_move_never_overwrites_and_picks_the_free_name_localmailbox_picks(
        self, sftp_target: SftpTarget, tmp_path: pytest.TempPathFactory
    ) -> None:
        local = LocalMailbox(tmp_path)
        with SftpMailbox(sftp_target.settings()) as remote:
            results: dict[str, list[str]] = {"local": [], "remote": []}
            for mailbox, key in ((local, "local"), (remote, "remote")):
                for round_no in range(3):
                    mailbox.write("inbox", "850.x12", f"po {round_no}".encode())
                    results[key].append(mailbox.move("inbox", "850.x12", "archive"))
                for round_no in range(2):
                    mailbox.write("inbox", "README", f"readme {round_no}".encode())
                    results[key].append(mailbox.move("inbox", "README", "archive"))
                mailbox.write("inbox", "x.tar.gz", b"t")
                results[key].append(mailbox.move("inbox", "x.tar.gz", "archive", new_name="850.x12"))
            assert results["remote"] == [
                "850.x12",
                "850.1.x12",
                "850.2.x12",
                "README",
                "README.1",
                "850.3.x12",
            ]
            assert results["remote"] == results["local"]
            archive = sftp_target.local_root / "archive"
            assert [archive.joinpath(n).read_bytes() for n in results["remote"]] == [
                b"po 0",
                b"po 1",
                b"po 2",
                b"readme 0",
                b"readme 1",
                b"t",
            ]
            with pytest.raises(FileNotFoundError):
                remote.move("inbox", "gone.edi", "archive")
            with pytest.raises(FileNotFoundError):
                remote.read("inbox", "gone.edi")
            assert remote.connected  # a missing file is an answer, not a broken session

    @pytest.mark.parametrize("name", UNSAFE_NAMES)
    def test_unsafe_names_refused_without_touching_the_server(
        self, sftp_target: SftpTarget, name: str
    ) -> None:
        connections = sftp_target.embedded.stats["connections"] if sftp_target.embedded else 0
        mailbox = SftpMailbox(sftp_target.settings())
        calls = [
            lambda: mailbox.write("inbox", name, b"x"),
            lambda: mailbox.read("inbox", name),
            lambda: mailbox.move("inbox", name, "archive"),
        ]
        if name:  # an empty new_name means "keep the name", in LocalMailbox too
            calls.append(lambda: mailbox.move("inbox", "ok.edi", "archive", new_name=name))
        for call in calls:
            with pytest.raises(UnsafeName):
                call()
        for folder in UNSAFE_FOLDERS:
            with pytest.raises(UnsafeName):
                mailbox.list(folder)
        assert mailbox.connects == 0 and not mailbox.connected
        if sftp_target.embedded:
            assert sftp_target.embedded.stats["connections"] == connections
        assert files_on_disk(sftp_target) == set()

    def test_missing_folder_lists_empty(self, sftp_target: SftpTarget) -> None:
        (sftp_target.local_root / "not-a-folder").write_bytes(b"x")
        with SftpMailbox(sftp_target.settings()) as mailbox:
            assert mailbox.list("inbound/shipments") == []
            assert mailbox.list("not-a-folder") == []
            assert mailbox.connected

    def test_known_hosts_entry_from_ssh_keyscan_is_accepted(self, sftp_target: SftpTarget, tmp_path) -> None:
        keyscan = shutil.which("ssh-keyscan")
        if keyscan is None:
            pytest.skip("ssh-keyscan not installed")
        scanned = subprocess.run(
            [keyscan, "-p", str(sftp_target.port), "-t", "ed25519", sftp_target.host],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout  # fmt: skip
        assert f"[{sftp_target.host}]:{sftp_target.port} ssh-ed25519 " in scanned
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(scanned)
        via_file = sftp_target.settings(host_key=None, known_hosts=known_hosts)
        line = next(li for li in scanned.splitlines() if not li.startswith("#"))
        via_pin = sftp_target.settings(host_key=line)  # the whole keyscan line is accepted as a pin
        assert via_pin.host_key == sftp_target.host_key_line
        for settings in (via_file, via_pin):
            with SftpMailbox(settings) as mailbox:
                assert mailbox.list("inbox") == []

    def test_unknown_host_key_refused_before_login(self, sftp_target: SftpTarget, tmp_path) -> None:
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(f"other.example {sftp_target.host_key_line}\n")
        self._assert_refused(
            sftp_target, sftp_target.settings(host_key=None, known_hosts=known_hosts), "UNKNOWN"
        )

    def test_changed_host_key_refused_before_login(self, sftp_target: SftpTarget, tmp_path) -> None:
        other = generate_keypair(tmp_path / "other_host_key")
        pinned = sftp_target.settings(host_key=other)
        error = self._assert_refused(sftp_target, pinned, "CHANGED")
        assert error.expected == [("ssh-ed25519", fingerprint(key_from_line(other)))]
        assert fingerprint(key_from_line(other)) in str(error)
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(f"[{sftp_target.host}]:{sftp_target.port} {other}\n")
        self._assert_refused(
            sftp_target, sftp_target.settings(host_key=None, known_hosts=known_hosts), "CHANGED"
        )

    def _assert_refused(self, target: SftpTarget, settings, word: str) -> HostKeyRejected:
        stats_before = dict(target.embedded.stats) if target.embedded else {}
        mailbox = SftpMailbox(settings)
        with pytest.raises(HostKeyRejected) as caught:
            mailbox.write("outbox", "secret.edi", b"must not arrive")
        error = caught.value
        offered = fingerprint(key_from_line(target.host_key_line))
        assert word in str(error)
        assert f"{target.host}:{target.port}" in str(error) and "ssh-ed25519" in str(error)
        assert error.offered_fingerprint == offered and offered in str(error)
        assert not mailbox.connected and mailbox.connects == 0
        assert files_on_disk(target) == set()
        if target.embedded:  # one connection (no retry), and no login attempted, no SFTP session opened
            stats = target.embedded.stats
            assert stats["connections"] == stats_before.get("connections", 0) + 1
            assert stats["auth_attempts"] == stats_before.get("auth_attempts", 0)
            assert stats["sftp_sessions"] == stats_before.get("sftp_sessions", 0)
        return error

    def test_wrong_client_key_is_a_login_refusal_not_retried(self, sftp_target: SftpTarget, tmp_path) -> None:
        stranger = tmp_path / "stranger"
        generate_keypair(stranger)
        mailbox = SftpMailbox(sftp_target.settings(key_path=stranger))
        with pytest.raises(LoginRejected, match=sftp_target.user):
            mailbox.list("inbox")
        assert mailbox.connects == 0

    def test_session_dropped_by_the_server_is_retried_transparently(self, sftp_target: SftpTarget) -> None:
        with SftpMailbox(sftp_target.settings()) as mailbox:
            mailbox.write("inbox", "a.edi", b"one")
            assert sftp_target.drop_sessions() >= 1
            mailbox.write("inbox", "b.edi", b"two")
            assert [f.name for f in mailbox.list("inbox")] == ["a.edi", "b.edi"]
            sftp_target.drop_sessions()
            assert mailbox.move("inbox", "a.edi", "archive") == "a.edi"
            sftp_target.drop_sessions()
            assert mailbox.read("archive", "a.edi") == b"one"
            assert mailbox.connects == 4
        assert files_on_disk(sftp_target) == {"inbox/b.edi", "archive/a.edi"}

    def test_unreachable_server_is_retriable(self, sftp_target: SftpTarget) -> None:
        mailbox = SftpMailbox(sftp_target.settings(port=free_port(), retries=1, retry_wait=0))
        with pytest.raises(RetriableError, match="2 attempt"):
            mailbox.list("inbox")

    def test_move_whose_answer_was_lost_is_not_repeated(
        self, sftp_target: SftpTarget, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The rename happens, then the session drops before the answer: the retry must not fail or move twice."""
        original, lost = paramiko.SFTPClient.rename, []

        def rename_then_drop(client: paramiko.SFTPClient, old: str, new: str) -> None:
            original(client, old, new)
            if not lost:
                lost.append(new)
                sftp_target.drop_sessions()
                raise paramiko.SSHException("Server connection dropped: ")

        monkeypatch.setattr(paramiko.SFTPClient, "rename", rename_then_drop)
        with SftpMailbox(sftp_target.settings()) as mailbox:
            mailbox.write("inbox", "850.x12", b"po")
            (sftp_target.local_root / "archive").mkdir()
            (sftp_target.local_root / "archive" / "850.x12").write_bytes(b"older")
            assert mailbox.move("inbox", "850.x12", "archive") == "850.1.x12"
            assert lost and mailbox.connects == 2
        assert files_on_disk(sftp_target) == {"archive/850.x12", "archive/850.1.x12"}
        assert (sftp_target.local_root / "archive/850.1.x12").read_bytes() == b"po"
