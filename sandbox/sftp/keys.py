"""Ed25519 key pairs in OpenSSH format: client keys for tests and the demo, the sandbox server's host key."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def generate_keypair(private_path: str | Path, *, comment: str = "commerce-hub") -> str:
    """Write ``private_path`` (mode 600, unencrypted) and ``private_path.pub``; return the public key line.

    OpenSSH (sshd HostKey, ssh -i) and paramiko both read these files.
    """
    path = Path(private_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = f"{public.decode()} {comment}".strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    os.chmod(path, 0o600)  # also when the file existed with wider permissions
    Path(f"{path}.pub").write_text(line + "\n")
    return line


def load_or_create_host_key(path: str | Path) -> paramiko.PKey:
    """The server's host key: generated on first use, then the same key on every start (clients pin it)."""
    path = Path(path)
    if not path.exists():
        generate_keypair(path, comment="commerce-hub-sandbox-sftp")
    return paramiko.PKey.from_path(path)


def public_key_line(key: paramiko.PKey) -> str:
    """``'ssh-ed25519 AAAA...'``: the form ``SftpSettings.host_key`` and authorized_keys take."""
    return f"{key.get_name()} {key.get_base64()}"


def read_public_keys(source: str | Path | paramiko.PKey) -> list[paramiko.PKey]:
    """Public keys from a key object, one key line, or a file of lines (authorized_keys, ``*.pub``)."""
    if isinstance(source, paramiko.PKey):
        return [source]
    text = str(source)
    is_line = isinstance(source, str) and text.strip().split(" ", 1)[0].startswith(("ssh-", "ecdsa-"))
    lines = [text] if is_line else Path(source).read_text().splitlines()
    keys = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not line.lstrip().startswith("#"):
            keys.append(paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1], validate=True)))
    return keys
