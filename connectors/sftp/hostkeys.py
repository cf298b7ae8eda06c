"""Host key verification: the server must show the key we pinned or that known_hosts lists, nothing else.

Checked right after the SSH handshake and before we log in, so a rejected server never sees credentials
and never receives a byte of mailbox data. There is no trust-on-first-use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

import paramiko

from connectors.sftp.settings import SftpSettings
from hub.errors import ConfigError, FatalError

DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
_RSA_SIGNATURES = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]


class HostKeyRejected(FatalError):
    """The server's host key is unknown or differs from the expected one: possibly a man in the middle."""

    def __init__(
        self, host: str, port: int, offered: paramiko.PKey, expected: list[paramiko.PKey], source: str
    ) -> None:
        self.host, self.port, self.source = host, port, source
        self.offered_type, self.offered_fingerprint = offered.get_name(), fingerprint(offered)
        self.expected = [(key.get_name(), fingerprint(key)) for key in expected]
        offered_text = f"{self.offered_type} {self.offered_fingerprint}"
        if expected:
            wanted = ", ".join(f"{kind} {fp}" for kind, fp in self.expected)
            message = (
                f"SFTP host key CHANGED for {host}:{port}: server offered {offered_text}, expected {wanted} "
                f"(from {source}). Refusing to connect; if the partner really changed its key, update the pin."
            )
        else:
            message = (
                f"SFTP host key UNKNOWN for {host}:{port}: server offered {offered_text}, expected none "
                f"(no entry in {source}). Refusing to connect; pin the key line from "
                f"`ssh-keyscan -p {port} -t {_keyscan_type(self.offered_type)} {host}` after checking its "
                "fingerprint."
            )
        super().__init__(message)


@dataclass(frozen=True)
class ExpectedHostKeys:
    """The keys a server may present, and where that knowledge came from (for error messages)."""

    keys: list[paramiko.PKey]
    source: str

    def key_types(self, offered_by_client: list[str]) -> list[str]:
        """Client key-type preference: ask for the types we can verify first, so the server shows those."""
        wanted: list[str] = []
        for key in self.keys:
            wanted += _RSA_SIGNATURES if key.get_name() == "ssh-rsa" else [key.get_name()]
        preferred = [kind for kind in dict.fromkeys(wanted) if kind in offered_by_client]
        return preferred + [kind for kind in offered_by_client if kind not in preferred]

    def check(self, host: str, port: int, offered: paramiko.PKey) -> None:
        """Raise ``HostKeyRejected`` unless ``offered`` is one of the expected keys."""
        if any(
            key.get_name() == offered.get_name() and key.asbytes() == offered.asbytes() for key in self.keys
        ):
            return
        raise HostKeyRejected(host, port, offered, self.keys, self.source)


def _keyscan_type(name: str) -> str:
    """ssh-keyscan's -t spelling of a key type: ed25519, rsa, ecdsa."""
    return "ecdsa" if name.startswith("ecdsa") else name.removeprefix("ssh-")


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint ('SHA256:...', unpadded base64), as `ssh-keygen -lf` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def key_from_line(line: str) -> paramiko.PKey:
    """A public key from a ``'<type> <base64>'`` line."""
    kind, _, data = line.strip().partition(" ")
    try:
        return paramiko.PKey.from_type_string(kind, base64.b64decode(data.split()[0], validate=True))
    except (binascii.Error, IndexError, ValueError, paramiko.SSHException) as exc:
        raise ConfigError(
            f"host_key {kind!r} line does not decode to a public key: {exc}", key="host_key"
        ) from exc


def expected_host_keys(settings: SftpSettings) -> ExpectedHostKeys:
    """Pinned ``host_key`` plus matching ``known_hosts`` entries (default file when neither is set)."""
    keys: list[paramiko.PKey] = []
    sources: list[str] = []
    if settings.host_key:
        keys.append(key_from_line(settings.host_key))
        sources.append("the pinned host_key")
    known_hosts = settings.known_hosts
    if known_hosts is None and not settings.host_key:
        known_hosts = DEFAULT_KNOWN_HOSTS
    if known_hosts is not None:
        path = Path(known_hosts).expanduser()
        if path.exists():
            keys += _known_hosts_entries(path, settings.host, settings.port)
        elif settings.known_hosts is not None:
            raise ConfigError(f"known_hosts file {path} does not exist", key="known_hosts")
        sources.append(f"known_hosts {path}")
    return ExpectedHostKeys(keys, " and ".join(sources))


def _known_hosts_entries(path: Path, host: str, port: int) -> list[paramiko.PKey]:
    try:
        host_keys = paramiko.HostKeys(str(path))
    except (OSError, paramiko.SSHException) as exc:
        raise ConfigError(f"cannot read known_hosts {path}: {exc}", key="known_hosts") from exc
    name = host if port == 22 else f"[{host}]:{port}"
    entries = host_keys.lookup(name)
    return list(entries.values()) if entries else []
