"""SFTP mailboxes for EDI trading partners and the 3PL: ``SftpMailbox(SftpSettings(...))``.

Host keys are always verified (pinned ``host_key`` and/or ``known_hosts``); transient network faults are
retried on a new session, then raised as ``hub.errors.RetriableError``. See docs/sftp.md.
"""

from __future__ import annotations

from connectors.sftp.hostkeys import HostKeyRejected, fingerprint
from connectors.sftp.mailbox import LoginRejected, SftpMailbox, name_candidates
from connectors.sftp.settings import SftpSettings, from_profile, mailbox_folder

__all__ = [
    "HostKeyRejected",
    "LoginRejected",
    "SftpMailbox",
    "SftpSettings",
    "fingerprint",
    "from_profile",
    "mailbox_folder",
    "name_candidates",
]
