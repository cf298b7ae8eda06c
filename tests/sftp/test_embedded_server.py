"""The embedded server's own guarantees (chroot, persisted host key, logins) and SftpMailbox under its faults."""

from __future__ import annotations

import base64
import os
import socket
import stat
import time

import paramiko
import pytest

from connectors.sftp import HostKeyRejected, LoginRejected, SftpMailbox, SftpSettings
from hub.errors import RetriableError
from sandbox.sftp import SandboxSftpServer, generate_keypair
from sandbox.sftp.chroot import CuttableHandle
from tests.sftp.conftest import ClientKey, SftpTarget


def on_disk(target: SftpTarget) -> dict[str, int]:
    return {
        str(p.relative_to(target.local_root)): p.stat().st_size
        for p in target.local_root.rglob("*")
        if p.is_file()
    }


def raw_client(target: SftpTarget) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
    """A plain paramiko client, to try what SftpMailbox would never send."""
    transport = paramiko.Transport((target.host, target.port))
    transport.connect(
        hostkey=paramiko.PKey.from_type_string(*_split(target.host_key_line)),
        username=target.user,
        pkey=paramiko.PKey.from_path(target.key_path),
    )
    sftp = paramiko.SFTPClient.from_transport(transport)
    assert sftp is not None
    return transport, sftp


def _split(line: str) -> tuple[str, bytes]:
    kind, data = line.split()[:2]
    return kind, base64.b64decode(data)


class TestFaultsAreRetried:
    def test_upload_cut_mid_transfer_is_retried(self, embedded_target: SftpTarget) -> None:
        data = os.urandom(1024 * 1024)
        embedded_target.embedded.faults.cut_next(1)
        with SftpMailbox(embedded_target.settings()) as mailbox:
            mailbox.write("outbound/orders", "orders-1.csv", data)
            assert mailbox.connects == 2
        assert embedded_target.embedded.faults.counts["cut"] == 1
        assert on_disk(embedded_target) == {"outbound/orders/orders-1.csv": len(data)}
        assert (embedded_target.local_root / "outbound/orders/orders-1.csv").read_bytes() == data

    def test_download_cut_mid_transfer_is_retried(self, embedded_target: SftpTarget) -> None:
        data = os.urandom(512 * 1024)
        with SftpMailbox(embedded_target.settings()) as mailbox:
            mailbox.write("inbound/shipments", "ship.csv", data)
            embedded_target.embedded.faults.cut_next(1)
            assert mailbox.read("inbound/shipments", "ship.csv") == data
            assert mailbox.connects == 2
        assert embedded_target.embedded.faults.counts["cut"] == 1

    def test_small_file_cut_before_close_is_retried(self, embedded_target: SftpTarget) -> None:
        embedded_target.embedded.faults.cut_next(1)  # 3 bytes < cut_after_bytes: cut at close
        with SftpMailbox(embedded_target.settings()) as mailbox:
            mailbox.write("outbox", "997.x12", b"ack")
        assert embedded_target.embedded.faults.counts["cut"] == 1
        assert on_disk(embedded_target) == {"outbox/997.x12": 3}

    def test_cut_upload_without_retries_leaves_only_a_part_that_the_next_write_replaces(
        self, embedded_target: SftpTarget
    ) -> None:
        data = os.urandom(256 * 1024)
        embedded_target.embedded.faults.cut_next(1)
        mailbox = SftpMailbox(embedded_target.settings(retries=0))
        with pytest.raises(RetriableError, match=r"write .*810\.x12.*1 attempt"):
            mailbox.write("outbox", "810.x12", data)
        left = on_disk(embedded_target)
        assert list(left) == ["outbox/810.x12.part"] and 0 < left["outbox/810.x12.part"] < len(data)
        assert mailbox.list("outbox") == []  # the half file is invisible
        mailbox.write("outbox", "810.x12", data)
        assert on_disk(embedded_target) == {"outbox/810.x12": len(data)}
        mailbox.close()

    def test_retries_run_out_into_retriable_error(self, embedded_target: SftpTarget) -> None:
        embedded_target.embedded.faults.configure(cut_rate=1.0)
        mailbox = SftpMailbox(embedded_target.settings(retries=2))
        with pytest.raises(RetriableError, match="3 attempt") as caught:
            mailbox.write("outbox", "856.x12", b"x" * 100_000)
        assert isinstance(caught.value.__cause__, paramiko.SSHException | EOFError | OSError)
        assert embedded_target.embedded.faults.counts["cut"] == 3
        assert not mailbox.connected

    def test_random_cuts_lose_nothing_and_duplicate_nothing(self, embedded_target: SftpTarget) -> None:
        faults = embedded_target.embedded.faults
        faults.configure(cut_rate=0.3, seed=7, cut_after_bytes=16 * 1024)
        payloads = {f"order-{i:02d}.csv": os.urandom(40_000 + i) for i in range(12)}
        with SftpMailbox(embedded_target.settings(retries=10)) as mailbox:
            for name, data in payloads.items():
                mailbox.write("inbox", name, data)
            for remote in mailbox.list("inbox"):
                assert mailbox.read("inbox", remote.name) == payloads[remote.name]
                mailbox.move("inbox", remote.name, "archive")
            assert mailbox.list("inbox") == []
            assert sorted(f.name for f in mailbox.list("archive")) == sorted(payloads)
        assert faults.counts["cut"] >= 3, faults.counts
        assert on_disk(embedded_target) == {f"archive/{n}": len(d) for n, d in payloads.items()}


class TestChroot:
    def test_paths_cannot_leave_the_account_root(self, embedded_target: SftpTarget, tmp_path) -> None:
        outside = tmp_path / "outside.txt"
        outside.write_text("secret")
        (embedded_target.local_root / "inbox").mkdir()
        (embedded_target.local_root / "escape").symlink_to(tmp_path)
        (embedded_target.local_root / "inbox" / "link.txt").symlink_to(outside)
        account_root = embedded_target.embedded.accounts[embedded_target.user].root
        transport, sftp = raw_client(embedded_target)
        try:
            assert sftp.normalize("../../..") == "/"
            assert sorted(sftp.listdir("/../../..")) == sorted(os.listdir(account_root))
            with pytest.raises(FileNotFoundError):
                sftp.open("../../../../etc/passwd")
            for path in ("escape/outside.txt", "inbox/link.txt"):
                with pytest.raises(PermissionError):
                    sftp.open(f"{embedded_target.root}/{path}")
            with pytest.raises(PermissionError):
                sftp.listdir(f"{embedded_target.root}/escape")
            with pytest.raises(OSError):
                sftp.symlink("/etc/passwd", f"{embedded_target.root}/inbox/new-link")
            with pytest.raises(PermissionError):
                sftp.open(f"{embedded_target.root}/escape/new.txt", "w")
            assert stat.S_ISLNK(sftp.lstat(f"{embedded_target.root}/inbox/link.txt").st_mode)
        finally:
            transport.close()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.txt"]
        assert outside.read_text() == "secret"

    def test_rename_never_replaces_but_posix_rename_does(self, embedded_target: SftpTarget) -> None:
        root = embedded_target.local_root
        (root / "a").write_text("a")
        (root / "b").write_text("b")
        transport, sftp = raw_client(embedded_target)
        try:
            with pytest.raises(OSError):
                sftp.rename(f"{embedded_target.root}/a", f"{embedded_target.root}/b")
            assert (root / "a").read_text() == "a" and (root / "b").read_text() == "b"
            sftp.posix_rename(f"{embedded_target.root}/a", f"{embedded_target.root}/b")
        finally:
            transport.close()
        assert not (root / "a").exists() and (root / "b").read_text() == "a"

    def test_accounts_see_only_their_own_folder(
        self, embedded_server, tmp_path, client_key: ClientKey
    ) -> None:
        other_key = tmp_path / "acme_key"
        line = generate_keypair(other_key)
        embedded_server.add_account("acme", tmp_path / "acme-root", authorized_keys=[line])
        hub_root = embedded_server.accounts[embedded_server.user].root
        (hub_root / "hub-only.txt").write_text("x")
        try:
            settings_kwargs = dict(
                host=embedded_server.host, port=embedded_server.port, host_key=embedded_server.host_key_line,
                retry_wait=0.01,
            )  # fmt: skip
            with SftpMailbox(
                SftpSettings(user="acme", key_path=other_key, root="/", **settings_kwargs)
            ) as acme:
                acme.write("outbound", "850.x12", b"ISA")
                assert acme.list("outbound")[0].name == "850.x12"
            assert (tmp_path / "acme-root/outbound/850.x12").read_bytes() == b"ISA"
            assert not (hub_root / "outbound").exists()
            with pytest.raises(LoginRejected):  # the hub's key is not acme's
                SftpMailbox(SftpSettings(user="acme", key_path=client_key.path, **settings_kwargs)).connect()
        finally:
            del embedded_server.accounts["acme"]
            (hub_root / "hub-only.txt").unlink()


class TestServerLifecycle:
    def test_host_key_persists_and_port_closes_on_stop(self, tmp_path, client_key: ClientKey) -> None:
        key_path = tmp_path / "var" / "host_ed25519"
        with SandboxSftpServer(tmp_path / "root", host_key_path=key_path, password="pw") as first:
            line, port = first.host_key_line, first.port
            assert line.startswith("ssh-ed25519 ")
            assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        with SandboxSftpServer(tmp_path / "root", host_key_path=key_path, password="pw") as second:
            assert second.host_key_line == line
        fresh = SandboxSftpServer(tmp_path / "root", host_key_path=tmp_path / "other_key", password="pw")
        assert fresh.host_key_line != line

    def test_password_login_and_secret_never_printed(self, embedded_target: SftpTarget) -> None:
        settings = embedded_target.settings(key_path=None, password="demo-pass")
        assert "demo-pass" not in repr(settings) + str(settings) + settings.model_dump_json()
        with SftpMailbox(settings) as mailbox:
            mailbox.write("inbox", "pw.txt", b"ok")
        with pytest.raises(LoginRejected) as caught:
            SftpMailbox(embedded_target.settings(key_path=None, password="wrong-pass")).connect()
        assert "wrong-pass" not in str(caught.value)

    def test_default_verification_uses_home_known_hosts(
        self, embedded_target: SftpTarget, tmp_path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOME", str(tmp_path))
        mailbox = SftpMailbox(embedded_target.settings(host_key=None))
        with pytest.raises(HostKeyRejected, match=r"UNKNOWN.*known_hosts"):
            mailbox.list("inbox")
        (tmp_path / ".ssh").mkdir()
        (tmp_path / ".ssh/known_hosts").write_text(
            f"[{embedded_target.host}]:{embedded_target.port} {embedded_target.host_key_line}\n"
        )
        assert mailbox.list("inbox") == []
        mailbox.close()

    def test_server_refuses_to_start_without_accounts(self, tmp_path) -> None:
        server = SandboxSftpServer(host_key_path=tmp_path / "k")
        with pytest.raises(ValueError, match="account"):
            server.start()
        with pytest.raises(ValueError, match="needs an authorized key or a password"):
            server.add_account("x", tmp_path / "x")


def test_a_stalled_answer_times_out_and_is_retried(
    embedded_target: SftpTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """op_timeout bounds how long one request may hang; the retry runs on a new session."""
    original, stalls = CuttableHandle.read, []

    def stall_once(handle: CuttableHandle, offset: int, length: int) -> bytes | int:
        if not stalls:
            stalls.append(offset)
            time.sleep(1.5)
        return original(handle, offset, length)

    (embedded_target.local_root / "inbox").mkdir()
    (embedded_target.local_root / "inbox" / "slow.csv").write_bytes(b"sku,qty\n")
    monkeypatch.setattr(CuttableHandle, "read", stall_once)
    with SftpMailbox(embedded_target.settings(op_timeout=0.4)) as mailbox:
        started = time.monotonic()
        assert mailbox.read("inbox", "slow.csv") == b"sku,qty\n"
        assert stalls and mailbox.connects == 2
        assert time.monotonic() - started < 1.5  # did not wait for the stalled answer
