"""Mailboxes: folders another party drops files into and picks files up from (EDI partners, the 3PL).

``Mailbox`` is the port; ``LocalMailbox`` serves a folder on this machine, ``connectors.sftp`` a remote one.
"""

from __future__ import annotations

from connectors.mailbox.base import Mailbox, RemoteFile, safe_name
from connectors.mailbox.local import LocalMailbox

__all__ = ["LocalMailbox", "Mailbox", "RemoteFile", "safe_name"]
