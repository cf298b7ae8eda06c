"""The ``Mailer`` port over SMTP, idempotent by a key recorded in the hub store (``sent_mail``).

The key is claimed before the message goes out and marked sent after, so a replayed event finds it
and sends nothing. A crash between the SMTP answer and the mark can still send twice (SMTP offers no
way to ask whether a message arrived); the message's ``Message-ID`` is derived from the key, so a
receiving system can drop that duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

import sqlalchemy as sa

from hub.errors import RetriableError
from hub.smtp import deliver
from hub.store import Store
from hub.store.schema import sent_mail

log = logging.getLogger("hub.workflows.mailer")


def message_id(key: str, domain: str = "hub.local") -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpMailer:
    """``send(to, subject, text, key=...)`` returns True when it sent, False when ``key`` was sent before."""

    def __init__(
        self,
        store: Store,
        *,
        host: str,
        port: int = 25,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.store, self.host, self.port, self.sender = store, host, port, sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def already_sent(self, key: str) -> bool:
        with self.store.begin() as conn:
            status = conn.scalar(sa.select(sent_mail.c.status).where(sent_mail.c.key == key))
        return status == "sent"

    def send(
        self, to: str, subject: str, text: str, *, html: str | None = None, key: str | None = None
    ) -> bool:
        if key is not None and not self._claim(key, to, subject):
            return False
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = to
        message["Message-ID"] = message_id(key) if key else message_id(f"{to}|{subject}|{text}")
        if key:
            message["X-Hub-Idempotency-Key"] = key
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        try:
            deliver(message, host=self.host, port=self.port, username=self.username, password=self.password,
                    starttls=self.starttls, timeout=self.timeout)  # fmt: skip
        except (OSError, smtplib.SMTPException) as exc:
            # the claim stays 'sending': the next attempt with the same key tries again
            raise RetriableError(f"mail to {to} not sent: {type(exc).__name__}: {exc}") from exc
        if key is not None:
            with self.store.begin() as conn:
                conn.execute(
                    sa.update(sent_mail)
                    .where(sent_mail.c.key == key)
                    .values(status="sent", sent_at=datetime.now(UTC))
                )
        log.info("mail sent to %s: %s", to, subject)
        return True

    def _claim(self, key: str, to: str, subject: str) -> bool:
        """True when this key may be sent now (new, or an earlier attempt did not finish)."""
        now = datetime.now(UTC)
        with self.store.begin() as conn:
            stmt = (
                self.store.insert(sent_mail)
                .values(
                    key=key,
                    recipient=to,
                    subject=subject,
                    message_id=message_id(key),
                    status="sending",
                    attempts=1,
                    first_at=now,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
            if conn.execute(stmt).rowcount == 1:
                return True
            status = conn.scalar(sa.select(sent_mail.c.status).where(sent_mail.c.key == key))
            if status == "sent":
                return False
            conn.execute(
                sa.update(sent_mail).where(sent_mail.c.key == key).values(attempts=sent_mail.c.attempts + 1)
            )
            return True
