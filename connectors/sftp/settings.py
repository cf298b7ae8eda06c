"""How to reach one SFTP mailbox: typed, described settings, and the mapping from an EDI partner profile."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hub.errors import ConfigError

if TYPE_CHECKING:
    from connectors.x12.partners import Sftp

_HOST_KEY_LINE = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,3})$")
_ENV_REF = re.compile(
    r"^\s*(?:\{\s*env\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\})\s*$"
)


class SftpSettings(BaseModel):
    """One SFTP account. Secrets (password, key passphrase) are ``SecretStr``: they never print."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1, description="Server name or address.")
    port: int = Field(default=22, ge=1, le=65535, description="Server TCP port.")
    user: str = Field(min_length=1, description="Login name on the server.")
    key_path: Path | None = Field(
        default=None, description="Private key file (OpenSSH or PEM; ed25519, ecdsa or rsa) used to log in."
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="Passphrase of an encrypted private key file."
    )
    password: SecretStr | None = Field(
        default=None, description="Password login, tried after the key; meant for the demo server."
    )
    host_key: str | None = Field(
        default=None,
        description="The server's pinned public host key line, 'ssh-ed25519 AAAA...' (as ssh-keyscan prints it "
        "without the host name). Any other key is refused.",
    )
    known_hosts: Path | None = Field(
        default=None,
        description="An OpenSSH known_hosts file to check the host key against (hashed entries allowed). "
        "When neither host_key nor known_hosts is set, ~/.ssh/known_hosts is used.",
    )
    root: str = Field(
        default=".",
        description="Mailbox root folder on the server; mailbox folders are relative to it. "
        "'.' is the login directory, '/' the top of a chrooted account.",
    )
    connect_timeout: float = Field(
        default=10.0, gt=0, description="Seconds for TCP connect, SSH handshake and login."
    )
    op_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one SFTP request may wait for the server's answer."
    )
    retries: int = Field(
        default=3, ge=0, le=20, description="Extra attempts (with a new connection) after a transient fault."
    )
    retry_wait: float = Field(
        default=0.5, ge=0, description="First wait between attempts in seconds; doubles each time, max 10 s."
    )

    @field_validator("host_key")
    @classmethod
    def _host_key_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split()
        if len(parts) >= 3 and not _HOST_KEY_LINE.match(" ".join(parts[:2])):
            parts = parts[1:3]  # a known_hosts / ssh-keyscan line: 'host type base64'
        line = " ".join(parts[:2])
        if not _HOST_KEY_LINE.match(line):
            raise ValueError(
                "a public key line '<type> <base64>' (ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp*), "
                "e.g. from `ssh-keyscan -t ed25519 HOST`"
            )
        return line

    @field_validator("root")
    @classmethod
    def _root(cls, value: str) -> str:
        value = value.strip() or "."
        if any(part == ".." for part in value.split("/")) or re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError("the mailbox root may not contain '..' or control characters")
        return value.rstrip("/") or "/"

    @model_validator(mode="after")
    def _some_login(self) -> SftpSettings:
        if self.key_path is None and self.password is None:
            raise ValueError("set key_path (private key file) or password")
        return self

    def __str__(self) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}{'' if self.root == '.' else ':' + self.root}"


def from_profile(sftp: Sftp, *, root: str = "/", **overrides: Any) -> SftpSettings:
    """Settings for a partner profile's ``sftp:`` block; ``overrides`` set the fields profiles do not carry.

    ``key_path`` may name an environment variable (``{env: NAME}`` or ``${NAME}``) holding the key file path.
    Partner folders are absolute on their server ('/outbound'): with the default root '/', pass
    ``mailbox_folder(sftp.inbox)`` as the mailbox folder.
    """
    values: dict[str, Any] = {
        "host": sftp.host,
        "port": sftp.port,
        "user": sftp.user,
        "key_path": resolve_env_ref(sftp.key_path, what="key_path"),
        "host_key": sftp.host_key,
        "root": root,
    }
    values.update(overrides)
    try:
        return SftpSettings(**values)
    except ValueError as exc:
        raise ConfigError(f"SFTP settings for {sftp.user}@{sftp.host}: {exc}", key="sftp") from exc


def mailbox_folder(path: str) -> str:
    """A profile's absolute server folder ('/outbound') as a mailbox folder relative to root '/' ('outbound')."""
    folder = path.strip().strip("/")
    if not folder:
        raise ConfigError(
            f"SFTP folder {path!r} is the server root; mailbox folders are sub-folders", key="sftp"
        )
    return folder


def resolve_env_ref(value: str, *, what: str) -> str:
    """``{env: NAME}`` / ``${NAME}`` -> the variable's value; anything else unchanged."""
    match = _ENV_REF.match(value)
    if not match:
        return value
    name = match.group(1) or match.group(2)
    resolved = os.environ.get(name)
    if not resolved:
        raise ConfigError(f"{what} refers to environment variable {name}, which is not set", key=what)
    return resolved
