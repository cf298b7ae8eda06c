"""Where alerts go: e-mail over SMTP, and a generic JSON webhook with a Slack-compatible body."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, Protocol

import requests

from hub.errors import RetriableError
from hub.redact import http_failure, url_origin
from hub.smtp import deliver


class Sink(Protocol):
    name: str

    def send(self, alert: Any) -> None: ...


class EmailSink:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send(self, alert: Any) -> None:
        message = EmailMessage()
        message["Subject"] = f"[hub {alert.severity}] {alert.title}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["X-Hub-Alert"] = alert.fingerprint
        message.set_content(f"{alert.text}\n\nkind: {alert.kind}\nsubject: {alert.subject}\n")
        deliver(message, host=self.host, port=self.port, username=self.username, password=self.password,
                starttls=self.starttls, timeout=self.timeout)  # fmt: skip


class WebhookSink:
    """POSTs ``{"text": ..., "blocks": [...], "alert": {...}}``: Slack incoming webhooks read ``text``
    and ``blocks``; other receivers get the structured ``alert``."""

    name = "webhook"

    def __init__(self, *, url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.url, self.headers, self.timeout = url, headers or {}, timeout

    def send(self, alert: Any) -> None:
        body = {
            "text": f"[hub {alert.severity}] {alert.title}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{alert.title}*\n{alert.text}"}}
            ],
            "alert": {
                "kind": alert.kind,
                "subject": alert.subject,
                "severity": alert.severity,
                "title": alert.title,
                "text": alert.text,
                "fingerprint": alert.fingerprint,
            },
        }
        try:
            response = requests.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
            response.raise_for_status()
        except requests.RequestException as exc:  # its message quotes the URL, whose path is the secret
            raise RetriableError(f"webhook {url_origin(self.url)}: {http_failure(exc)}") from None
