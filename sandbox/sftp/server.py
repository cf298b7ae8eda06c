"""An embedded SFTP server (paramiko) for the demo and tests: no OpenSSH needed.

    with SandboxSftpServer("var/sftp/acme", host_key_path="var/sftp/host_ed25519",
                           authorized_keys=["ssh-ed25519 AAAA..."]) as server:
        settings = SftpSettings(host=server.host, port=server.port, user=server.user,
                                key_path=..., host_key=server.host_key_line, root="/")

Each account sees only its own folder (chrooted); the host key is generated once and kept, so pins stay
valid across restarts. Sessions run in threads; ``faults`` cuts transfers on demand for chaos tests.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from sandbox.sftp.chroot import ChrootedSftp, ensure_root
from sandbox.sftp.faults import SftpFaultConfig, SftpFaults
from sandbox.sftp.keys import load_or_create_host_key, public_key_line, read_public_keys

log = logging.getLogger(__name__)
TRANSPORT_LOG = "sandbox.sftp.transport"
KeySource = str | Path | paramiko.PKey


class _QuietClientDisconnects(logging.Filter):
    """Clients that hang up (or sessions we cut on purpose) are normal for a test server, not errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Socket exception", "EOF in transport thread"))


logging.getLogger(TRANSPORT_LOG).addFilter(_QuietClientDisconnects())


@dataclass
class Account:
    user: str
    root: Path
    authorized_keys: list[paramiko.PKey] = field(default_factory=list)
    password: str | None = None


class SandboxSftpServer:
    """Threaded SFTP server on 127.0.0.1 (free port unless given). ``start()``/``stop()`` or ``with``."""

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        host_key_path: str | Path,
        authorized_keys: list[KeySource] | tuple[KeySource, ...] = (),
        password: str | None = None,
        user: str = "hub",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: SftpFaultConfig | None = None,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        self.host_key = load_or_create_host_key(host_key_path)
        self.faults = SftpFaults(faults)
        self.accounts: dict[str, Account] = {}
        # connections, auth_attempts, auth_failures, sftp_sessions: tests prove what did (not) happen
        self.stats: Counter[str] = Counter()
        self._sessions: set[paramiko.Transport] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        if root is not None:
            self.add_account(user, root, authorized_keys=authorized_keys, password=password)

    def add_account(
        self,
        user: str,
        root: str | Path,
        *,
        authorized_keys: list[KeySource] | tuple[KeySource, ...] = (),
        password: str | None = None,
    ) -> Account:
        """A login whose files live in ``root`` (created); keys are lines, ``*.pub``/authorized_keys files or keys."""
        keys = [key for source in authorized_keys for key in read_public_keys(source)]
        if not keys and password is None:
            raise ValueError(f"account {user!r} needs an authorized key or a password")
        account = Account(user, ensure_root(root), keys, password)
        self.accounts[user] = account
        return account

    @property
    def host_key_line(self) -> str:
        """The line to pin in ``SftpSettings.host_key`` / a partner profile."""
        return public_key_line(self.host_key)

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def active_sessions(self) -> int:
        with self._lock:
            self._sessions = {t for t in self._sessions if t.is_active()}
            return len(self._sessions)

    def start(self) -> SandboxSftpServer:
        if not self.accounts:
            raise ValueError("add an account (root folder with authorized keys or a password) before start()")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(32)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._accept_loop, name=f"sftp-{self.port}", daemon=True)
        self._thread.start()
        log.info("sandbox SFTP server on %s:%d, host key %s", self.host, self.port, self.host_key_line)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.drop_sessions()

    def drop_sessions(self) -> int:
        """Cut every open session (a restart or a network blip, as clients see it); returns how many."""
        with self._lock:
            sessions, self._sessions = list(self._sessions), set()
        live = [t for t in sessions if t.is_active()]
        for transport in live:
            _cut(transport)
        return len(live)

    def __enter__(self) -> SandboxSftpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- sessions ----------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            self.stats["connections"] += 1
            threading.Thread(
                target=self._serve, args=(sock,), name=f"sftp-session-{self.port}", daemon=True
            ).start()

    def _serve(self, sock: socket.socket) -> None:
        transport = paramiko.Transport(sock)
        transport.set_log_channel(TRANSPORT_LOG)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, ChrootedSftp)
        session = _Session(self, transport)
        with self._lock:
            self._sessions.add(transport)
        try:
            transport.start_server(server=session)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("sandbox SFTP: handshake ended: %s", exc)
            transport.close()


class _Session(paramiko.ServerInterface):
    """Authentication and channel policy for one connection; the SFTP handler reads ``account`` from it."""

    def __init__(self, server: SandboxSftpServer, transport: paramiko.Transport) -> None:
        self.server, self.transport = server, transport
        self.faults = server.faults
        self.account: Account | None = None

    def get_allowed_auths(self, username: str) -> str:
        account = self.server.accounts.get(username)
        return "publickey,password" if account and account.password is not None else "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.server.stats["auth_attempts"] += 1
        account = self.server.accounts.get(username)
        if account and any(k.asbytes() == key.asbytes() for k in account.authorized_keys):
            self.account = account
            return paramiko.AUTH_SUCCESSFUL
        self.server.stats["auth_failures"] += 1
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        self.server.stats["auth_attempts"] += 1
        account = self.server.accounts.get(username)
        if account and account.password is not None and hmac.compare_digest(account.password, password):
            self.account = account
            return paramiko.AUTH_SUCCESSFUL
        self.server.stats["auth_failures"] += 1
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        if name != "sftp" or self.account is None:
            return False
        return bool(super().check_channel_subsystem_request(channel, name))

    def on_sftp_started(self) -> None:
        self.server.stats["sftp_sessions"] += 1

    def cut(self) -> None:
        """Injected fault: end this session abruptly, as a dropped line would."""
        self.faults.record_cut()
        _cut(self.transport)


def _cut(transport: paramiko.Transport) -> None:
    try:
        transport.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    transport.close()
