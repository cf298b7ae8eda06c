"""A mail catcher: an SMTP server on loopback that keeps every message as an .eml file."""

from __future__ import annotations

from sandbox.mail.catcher import MailCatcher

__all__ = ["MailCatcher"]
