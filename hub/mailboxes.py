"""Opens the mailbox a hub.yaml block describes: a local folder, or SFTP with a pinned host key."""

from __future__ import annotations

from typing import Any

from connectors.mailbox import LocalMailbox, Mailbox
from hub.config import HubConfig, MailboxConfig, resolve_setting
from hub.errors import ConfigError


def open_mailbox(
    config: HubConfig, spec: MailboxConfig | None, *, key: str, base: dict[str, Any] | None = None
) -> tuple[Mailbox, str]:
    """The mailbox and a description of where it is (no secrets). ``base``: settings the block overrides
    (a partner profile's sftp block). Nothing connects until the first call."""
    if spec is not None and spec.folder:
        root = config.path(spec.folder)
        return LocalMailbox(root), f"folder {root}"
    settings: dict[str, Any] = dict(base or {})
    if spec is not None and spec.sftp:
        settings.update({k: resolve_setting(v) for k, v in spec.sftp.items()})
    if not settings:
        raise ConfigError(
            "no mailbox: give a folder or sftp settings",
            file=str(config.file) if config.file else None,
            key=key,
        )
    from connectors.sftp import SftpMailbox, SftpSettings

    try:
        parsed = SftpSettings(**settings)
    except Exception as exc:  # pydantic's ValidationError: say which block
        raise ConfigError(
            f"SFTP settings: {exc}", file=str(config.file) if config.file else None, key=key
        ) from None
    return SftpMailbox(parsed), f"sftp://{parsed.user}@{parsed.host}:{parsed.port}"
