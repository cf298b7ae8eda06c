"""SMTP on loopback (aiosmtpd) writing each message to ``<folder>/<n>-<recipient>.eml``."""

from __future__ import annotations

import email
import itertools
import re
import threading
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from sandbox.common.server import free_port


class _Handler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            number = next(self.counter)
        first = re.sub(r"[^A-Za-z0-9@._-]", "_", envelope.rcpt_tos[0] if envelope.rcpt_tos else "nobody")
        path = self.folder / f"{number:05d}-{first}.eml"
        part = path.with_suffix(".part")
        part.write_bytes(
            envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        )
        part.rename(path)
        return "250 Message accepted for delivery"


class MailCatcher:
    """``with MailCatcher(folder) as mail: mail.port`` — messages() reads what arrived."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.controller = Controller(_Handler(self.folder), hostname="127.0.0.1", port=self.port)

    def start(self) -> MailCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.folder.glob("*.eml"))]

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
