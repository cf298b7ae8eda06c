"""One way to hand a message to an SMTP server (alert e-mails and order mails share it)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage


def deliver(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    username: str | None = None,
    password: str | None = None,
    starttls: bool = False,
    timeout: float = 10.0,
) -> None:
    """Connect, upgrade with STARTTLS when asked, log in when credentials are given, send."""
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls()
        if username and password:
            smtp.login(username, password)
        smtp.send_message(message)
