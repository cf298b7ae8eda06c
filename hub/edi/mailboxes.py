"""Where each partner's mailbox is: the profile's SFTP block, or a local folder / SFTP override in hub.yaml.

Folder names follow the partner's point of view, as SFTP EDI mailboxes usually do: they leave files in their
``outbound`` folder (our inbox) and pick ours up from ``inbound``; ``archive/`` and ``error/`` sit beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.mailbox import Mailbox
from connectors.x12.partners import PartnerProfile
from hub.config import HubConfig
from hub.errors import ConfigError
from hub.mailboxes import open_mailbox


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
    base: dict[str, Any] = {}
    if profile.sftp is not None:
        sftp = profile.sftp
        base = {
            "host": sftp.host,
            "port": sftp.port,
            "user": sftp.user,
            "key_path": sftp.key_path,
            "host_key": sftp.host_key,
            "root": "/",  # profile folders are absolute on the partner's server
        }
    spec = config.edi.mailboxes.get(profile.partner)
    if spec is None and profile.sftp is None:
        raise ConfigError(
            f"partner '{profile.partner}' has no mailbox: add an sftp block to its profile or "
            f"edi.mailboxes.{profile.partner} to hub.yaml",
            key=f"edi.mailboxes.{profile.partner}",
        )
    mailbox, where = open_mailbox(config, spec, key=f"edi.mailboxes.{profile.partner}", base=base)
    return PartnerMailbox(profile, mailbox, inbox, outbox, where)
