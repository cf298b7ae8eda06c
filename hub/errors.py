"""Every hub exception, grouped by how a caller recovers from it.

- ``RetriableError``: try again later (network faults, 429, 5xx, locked database).
- ``FatalError``: stop the run; retrying will not help until someone changes something.
- ``ConfigError``: a bad configuration or mapping file; names file, line and key. Fatal, exit code 2.
- ``RecordRejected``: one record is bad; quarantine it and carry on with the rest.
- ``RemoteRejected``: a system refused one write for good (4xx); that record fails, the run goes on.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """Base class of every error the hub raises on purpose."""


class RetriableError(HubError):
    """A transient fault: the same call may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteRejected(HubError):
    """A system refused one request for good (a 4xx other than 429): fail that record, not the run."""

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


class FatalError(HubError):
    """A fault that stops the run: retrying without a change will fail the same way."""


class ConfigError(FatalError):
    """A configuration or mapping file is wrong. Says where: file, line and key."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        self.file, self.line, self.key, self.detail = file, line, key, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        parts = [where] if where else []
        if key:
            parts.append(f"key '{key}'")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RecordRejected(HubError):
    """One record cannot be processed; it goes to the failures table with its raw payload."""

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        rule: str | None = None,
        field: str | None = None,
        retriable: bool = False,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.message, self.stage, self.rule, self.field = message, stage, rule, field
        self.retriable, self.raw = retriable, raw
