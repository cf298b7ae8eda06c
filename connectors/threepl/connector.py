"""The 3PL over a mailbox: fulfilment requests and expected receipts out, confirmations and snapshots in.

Mailbox layout (relative to its root; every folder name is a constructor argument):
``to_3pl/`` what we send; ``to_3pl/processed/`` where the 3PL moves what it picked up; ``from_3pl/`` what the
3PL sends; and ours: ``archive/<YYYY-MM-DD>/`` files read, ``error/`` malformed files with a
``<name>.error.txt`` report each, ``sent/<xx>/`` a copy of every file sent (the resend ledger; ``sent/pending/`` while a send is under way).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from connectors.mailbox.base import Mailbox, RemoteFile, UnsafeName
from connectors.threepl import formats
from connectors.threepl.csvcodec import FileProblem, Problem
from connectors.threepl.inbound import InboundMessage, Kind, parse_file
from hub.errors import RecordRejected
from hub.faultpoints import reached
from hub.workflows.ports import ExpectedReceipt, FulfilmentRequest, ThreePLRead

KIND_LABELS = {
    "shipment": "shipment confirmation",
    "receipt": "return receipt",
    "inventory": "inventory snapshot",
}
log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ConflictingResend(RecordRejected):
    """A request id (or RMA number) already sent with different content: a changed request needs a new id."""


@dataclass
class InboxRead(ThreePLRead):
    """``ThreePLRead`` plus files left in the inbox for the next read (mailbox fault), as (file, reason)."""

    deferred: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class InboxFile:
    """One inbox file parsed but not yet moved: either messages, or the problems that send it to error/."""

    file: RemoteFile
    kind: Kind | None
    messages: tuple[InboundMessage, ...] = ()
    problems: tuple[Problem, ...] = ()
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


class ThreePLConnector:
    """Implements ``hub.workflows.ports.ThreePL`` on any ``Mailbox`` (local folder or SFTP)."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        warehouse: str,
        outbox: str = "to_3pl",
        inbox: str = "from_3pl",
        archive: str = "archive",
        error: str = "error",
        picked: Sequence[str] = ("to_3pl/processed",),
        sent: str | None = "sent",
        max_file_bytes: int = 20_000_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.mailbox, self.warehouse = mailbox, warehouse
        self.outbox, self.inbox, self.archive, self.error = outbox, inbox, archive, error
        self.picked, self.sent = tuple(picked), sent
        self.max_file_bytes = max_file_bytes
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- out -------------------------------------------------------------------------------------------
    def send_fulfilment(self, request: FulfilmentRequest) -> str:
        """Write ``FR_<request_id>.csv`` to the outbox once; a replay finds it and writes nothing."""
        name = formats.fulfilment_file_name(request.request_id)
        return self._send(name, formats.render_fulfilment(request), f"request {request.request_id!r}")

    def send_expected_receipt(self, receipt: ExpectedReceipt) -> str:
        """Write ``ER_<rma_no>.csv`` once, like ``send_fulfilment``."""
        name = formats.expected_receipt_file_name(receipt.rma_no)
        return self._send(name, formats.render_expected_receipt(receipt), f"RMA {receipt.rma_no!r}")

    def _send(self, name: str, data: bytes, what: str) -> str:
        """Idempotent by name. With the ledger: a copy goes to ``sent/pending/``, then the outbox, then the
        copy moves to ``sent/<xx>/``; a replay finds it there (one read). A copy left in pending
        means a send was interrupted: only then are the outbox and the 3PL's processed folders searched.
        """
        if not self.sent:
            if not any(self._same(folder, name, data, what) for folder in (self.outbox, *self.picked)):
                self.mailbox.write(self.outbox, name, data)
            return name
        done, pending = self._ledger_folder(name), f"{self.sent}/pending"
        if self._same(done, name, data, what):
            return name
        if self._same(pending, name, data, what):  # interrupted: finish what was started
            if not any(self._same(folder, name, data, what) for folder in (self.outbox, *self.picked)):
                self.mailbox.write(self.outbox, name, data)
        elif not self._same(self.outbox, name, data, what):
            self.mailbox.write(pending, name, data)
            self.mailbox.write(self.outbox, name, data)
            reached("threepl.send.uploaded")
        else:  # in the outbox but not in the ledger (sent without one): record it
            self.mailbox.write(pending, name, data)
        self.mailbox.move(pending, name, done)
        return name

    def _same(self, folder: str, name: str, data: bytes, what: str) -> bool:
        """Is ``folder/name`` there with this content? One read of that name, no listing: the outbox and
        the 3PL's processed folder grow with every order, and a listing of them per send costs the
        server and the hub more the longer it runs."""
        try:
            there = self.mailbox.read(folder, name)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False  # no such file (or folder): both mailboxes say so with an OSError, never retried
        if there == data:
            return True
        raise ConflictingResend(
            f"{what} was already sent as {folder}/{name} with different content; "
            "a changed request needs a new id",
            stage="write",
            rule="idempotent_resend",
            raw=data.decode("utf-8", "replace"),
        )

    def _ledger_folder(self, name: str) -> str:
        """``sent/<2 hex>``: 256 shards keep each listing short as the ledger grows."""
        return f"{self.sent}/{hashlib.blake2b(name.encode(), digest_size=1).hexdigest()}"

    # -- in --------------------------------------------------------------------------------------------
    def pending(self) -> list[RemoteFile]:
        """Complete files waiting in the inbox, oldest first (``RemoteFile.run_key`` for sensors)."""
        return self.mailbox.list(self.inbox)

    def parse(self, file: RemoteFile) -> InboxFile:
        """Read and parse one inbox file without moving it; never raises for bad content."""
        if file.size > self.max_file_bytes:
            problem = Problem(f"file is {file.size} bytes, over the {self.max_file_bytes}-byte limit")
            return InboxFile(file, None, problems=(problem,))
        data = self.mailbox.read(self.inbox, file.name)
        digest = hashlib.sha256(data).hexdigest()
        try:
            kind, messages = parse_file(file.name, data, warehouse=self.warehouse)
        except FileProblem as exc:
            return InboxFile(file, exc.kind, problems=tuple(exc.problems), sha256=digest)  # type: ignore[arg-type]
        except Exception as exc:  # a parser bug must quarantine the file, not stop the inbox
            problem = Problem(f"internal error while parsing: {type(exc).__name__}: {exc}")
            return InboxFile(file, None, problems=(problem,), sha256=digest)
        return InboxFile(file, kind, tuple(messages), sha256=digest)

    def settle(self, parsed: InboxFile) -> str:
        """Move the file to ``archive/<date>/`` or, with its report, to ``error/``; returns its new path."""
        if parsed.ok:
            folder = f"{self.archive}/{self.clock().astimezone(UTC).date().isoformat()}"
            return f"{folder}/{self.mailbox.move(self.inbox, parsed.file.name, folder)}"
        moved = self.mailbox.move(self.inbox, parsed.file.name, self.error)
        report = error_report(
            parsed, f"{self.inbox}/{parsed.file.name}", f"{self.error}/{moved}", self.clock()
        )
        try:
            self.mailbox.write(self.error, f"{moved}.error.txt", report.encode("utf-8"))
        except Exception:  # the file is safe in error/; its reason is in ThreePLRead.rejected
            log.warning("could not write the report for %s/%s", self.error, moved, exc_info=True)
        return f"{self.error}/{moved}"

    def read_inbox(self, *, limit: int | None = None) -> InboxRead:
        """Parse and settle every complete inbox file (at most ``limit``); bad content never raises.

        A mailbox fault on one file leaves it in the inbox (``deferred``) and ends this read; a good file
        whose move failed still returns its messages (at least once: consumers dedupe by shipment/RMA no).
        """
        result = InboxRead()
        files = self.pending()
        for file in files[:limit] if limit is not None else files:
            try:
                parsed = self.parse(file)
            except UnsafeName as exc:
                result.deferred.append((file.name, f"left in {self.inbox}/: {exc}"))
                continue
            except Exception as exc:  # transport: the file stays for the next read
                result.deferred.append((file.name, f"not read, will be read again: {exc}"))
                break
            try:
                where = self.settle(parsed)
            except Exception as exc:  # transport: the file is still in the inbox
                result.deferred.append((file.name, f"not moved, will be read again: {exc}"))
                if parsed.ok:
                    result.messages.extend(
                        replace(m, file=f"{self.inbox}/{file.name}") for m in parsed.messages
                    )
                break
            if parsed.ok:
                result.messages.extend(replace(m, file=where) for m in parsed.messages)
            else:
                result.rejected.append((where, summary(parsed)))
        return result

    def close(self) -> None:
        self.mailbox.close()


def summary(parsed: InboxFile) -> str:
    """The first problem, and how many more: the one-line reason in ``ThreePLRead.rejected``."""
    first = _printable(str(parsed.problems[0]))
    more = len(parsed.problems) - 1
    return f"{first} (+{more} more, see the .error.txt report)" if more else first


def error_report(parsed: InboxFile, source: str, moved_to: str, at: datetime) -> str:
    """The readable report kept next to a rejected file: what is wrong, where, and what to do."""
    kind = KIND_LABELS.get(parsed.kind or "", "unknown (detected from the file name, then the header)")
    lines = [
        "3PL file rejected: nothing from this file was applied.",
        "",
        f"file:      {source} ({parsed.file.size} bytes)",
        f"sha256:    {parsed.sha256 or 'not read'}",
        f"moved to:  {moved_to}",
        f"kind:      {kind}",
        f"rejected:  {at.astimezone(UTC).isoformat(timespec='seconds')}",
        "",
        f"problems ({len(parsed.problems)}; lines and columns count from 1, the header is line 1):",
        *(f"  - {_printable(str(problem))}" for problem in parsed.problems),
        "",
        "To recover: correct the file (see docs/threepl.md for the layouts) and put it into the inbox again.",
        "",
    ]
    return "\n".join(lines)


def _printable(text: str) -> str:
    """Hostile values may hold line breaks and escapes; a report line shows them escaped."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
