"""Where each partner's mailbox is: the profile's SFTP block, or a local folder / SFTP override in hub.yaml.

Folder names follow the partner's point of view, as SFTP EDI mailboxes usually do: they leave files in their
``outbound`` folder (our inbox) and pick ours up from ``inbound``; ``archive/`` and ``error/`` sit beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.mailbox import LocalMailbox, Mailbox
from connectors.x12.partners import PartnerProfile
from hub.config import HubConfig, resolve_setting
from hub.errors import ConfigError


@dataclass
class PartnerMailbox:
    profile: PartnerProfile
    mailbox: Mailbox
    inbox: str
    outbox: str
    where: str  # for logs and reports, without secrets

    def close(self) -> None:
        self.mailbox.close()


def _folders(profile: PartnerProfile) -> tuple[str, str]:
    if profile.sftp is None:
        return "outbound", "inbound"
    return profile.sftp.inbox.strip("/") or "outbound", profile.sftp.outbox.strip("/") or "inbound"


def has_mailbox(config: HubConfig, profile: PartnerProfile) -> bool:
    return profile.partner in config.edi.mailboxes or profile.sftp is not None


def partner_mailbox(config: HubConfig, profile: PartnerProfile) -> PartnerMailbox:
    """Open (lazily: nothing connects until the first call) the partner's mailbox."""
    inbox, outbox = _folders(profile)
    override = config.edi.mailboxes.get(profile.partner)
    if override is not None and override.folder:
        root = config.path(override.folder)
        return PartnerMailbox(profile, LocalMailbox(root), inbox, outbox, f"folder {root}")
    settings: dict[str, Any] = {}
    if profile.sftp is not None:
        sftp = profile.sftp
        settings = {
            "host": sftp.host,
            "port": sftp.port,
            "user": sftp.user,
            "key_path": sftp.key_path,
            "host_key": sftp.host_key,
            "root": "/",  # profile folders are absolute on the partner's server
        }
    if override is not None and override.sftp:
        settings.update({k: resolve_setting(v) for k, v in override.sftp.items()})
    if not settings:
        raise ConfigError(
            f"partner '{profile.partner}' has no mailbox: add an sftp block to its profile or "
            f"edi.mailboxes.{profile.partner} to hub.yaml",
            key=f"edi.mailboxes.{profile.partner}",
        )
    from connectors.sftp import SftpMailbox, SftpSettings

    try:
        parsed = SftpSettings(**settings)
    except Exception as exc:  # pydantic ValidationError: name the key
        raise ConfigError(
            f"SFTP settings of partner '{profile.partner}': {exc}", key=f"edi.mailboxes.{profile.partner}"
        ) from None
    where = f"sftp://{parsed.user}@{parsed.host}:{parsed.port}"
    return PartnerMailbox(profile, SftpMailbox(parsed), inbox, outbox, where)
