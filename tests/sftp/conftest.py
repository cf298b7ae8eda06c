"""Two real SFTP servers for the mailbox contract: OpenSSH's sshd and the embedded sandbox server.

``sftp_target`` is parametrised over both and gives each test an empty mailbox root of its own.
Without sshd the OpenSSH half skips, unless HUB_REQUIRE_SFTP=1 (CI), where it fails.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.sftp import SftpSettings
from sandbox.sftp import SandboxSftpServer, generate_keypair
from tests.needs import missing
from tests.sftp.openssh import OpenSshServer, sshd_missing_reason


@dataclass
class ClientKey:
    path: Path
    line: str


@dataclass
class SftpTarget:
    """One server, one fresh mailbox root (``local_root`` is the same folder seen from this machine)."""

    kind: str  # "openssh" or "embedded"
    host: str
    port: int
    user: str
    host_key_line: str
    key_path: Path
    root: str  # as the client names it
    local_root: Path
    drop_sessions: Callable[[], int]
    embedded: SandboxSftpServer | None = None

    def settings(self, **overrides: Any) -> SftpSettings:
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "key_path": self.key_path,
            "host_key": self.host_key_line,
            "root": self.root,
            "connect_timeout": 5,
            "op_timeout": 10,
            "retries": 3,
            "retry_wait": 0.02,
        }
        values.update(overrides)
        return SftpSettings(**values)


@pytest.fixture(scope="session")
def client_key(tmp_path_factory: pytest.TempPathFactory) -> ClientKey:
    path = tmp_path_factory.mktemp("client") / "id_ed25519"
    return ClientKey(path, generate_keypair(path, comment="hub-tests"))


@pytest.fixture(scope="session")
def openssh_server(
    tmp_path_factory: pytest.TempPathFactory, client_key: ClientKey
) -> Iterator[OpenSshServer]:
    reason = sshd_missing_reason()
    if reason is not None:
        missing("sftp", reason)
    server = OpenSshServer(tmp_path_factory.mktemp("sshd"), client_key.line).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def embedded_server(
    tmp_path_factory: pytest.TempPathFactory, client_key: ClientKey
) -> Iterator[SandboxSftpServer]:
    base = tmp_path_factory.mktemp("embedded")
    with SandboxSftpServer(
        base / "root",
        host_key_path=base / "host_ed25519",
        authorized_keys=[client_key.line],
        password="demo-pass",
    ) as server:
        yield server


@pytest.fixture(params=["openssh", "embedded"])
def sftp_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, client_key: ClientKey
) -> Iterator[SftpTarget]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    if request.param == "openssh":
        sshd: OpenSshServer = request.getfixturevalue("openssh_server")
        local_root = tmp_path_factory.mktemp("openssh-mailbox") / name
        local_root.mkdir()
        yield SftpTarget(
            "openssh", sshd.host, sshd.port, getpass.getuser(), sshd.host_key_line, client_key.path,
            str(local_root), local_root, sshd.drop_sessions,
        )  # fmt: skip
        return
    yield from _embedded_target(request.getfixturevalue("embedded_server"), client_key, name)


@pytest.fixture
def embedded_target(embedded_server: SandboxSftpServer, client_key: ClientKey) -> Iterator[SftpTarget]:
    """Only the embedded server: for fault injection and the server's own guarantees."""
    yield from _embedded_target(embedded_server, client_key, f"t-{uuid.uuid4().hex[:8]}")


def _embedded_target(server: SandboxSftpServer, client_key: ClientKey, name: str) -> Iterator[SftpTarget]:
    local_root = server.accounts[server.user].root / name
    local_root.mkdir()
    server.faults.reset()
    yield SftpTarget(
        "embedded", server.host, server.port, server.user, server.host_key_line, client_key.path,
        f"/{name}", local_root, server.drop_sessions, embedded=server,
    )  # fmt: skip
    server.faults.reset()
