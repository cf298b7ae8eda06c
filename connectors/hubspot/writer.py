"""Writing customers: companies by ``account_number``, contacts by ``email``, then their associations.

Every step is an upsert or an idempotent association, so replaying a batch (after a crash or a
retriable failure) converges to the same state without duplicates. HubSpot answers a batch with
bad inputs as 207 with per-input ``errors``; if a whole batch is refused (400), the inputs are
retried one by one so only the bad record fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.base.http import HttpClient
from connectors.hubspot.shape import company_properties, contact_properties, is_primary
from hub.engine.ports import OutboundRecord, WriteResult
from hub.errors import RemoteRejected, RetriableError

BATCH = 100  # HubSpot's limit of inputs per batch call
ID_PROPERTY = {"companies": "account_number", "contacts": "email"}
PRIMARY = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 2}]  # company -> contact, primary


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _norm(kind: str, value: Any) -> str:
    text = str(value).strip()
    return text.lower() if kind == "contacts" else text


@dataclass
class _Outcome:
    system_id: str | None = None
    errors: list[str] = field(default_factory=list)
    retriable: list[str] = field(default_factory=list)


class CustomerWriter:
    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def write(self, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        outcomes = [_Outcome() for _ in records]
        for chunk in self._unique_chunks(records):
            self._write_chunk(records, chunk, outcomes)
        results = []
        for record, out in zip(records, outcomes, strict=True):
            problems = out.errors + out.retriable
            error = "; ".join(problems) if problems else None
            results.append(
                WriteResult(record.key, out.system_id, error, bool(out.retriable) and not out.errors)
            )
        return results

    @staticmethod
    def _unique_chunks(records: Sequence[OutboundRecord]) -> Iterator[list[int]]:
        """Chunks of ≤100 with no account twice (HubSpot refuses duplicate ids in one batch); order kept."""
        chunk: list[int] = []
        keys: set[str] = set()
        for i, record in enumerate(records):
            key = _norm("companies", _account(record))
            if key in keys or len(chunk) == BATCH:
                yield chunk
                chunk, keys = [], set()
            chunk.append(i)
            keys.add(key)
        if chunk:
            yield chunk

    def _write_chunk(
        self, records: Sequence[OutboundRecord], chunk: list[int], outcomes: list[_Outcome]
    ) -> None:
        companies = {}
        for i in chunk:
            props = {**company_properties(records[i].payload), "account_number": _account(records[i])}
            companies[i] = {"idProperty": "account_number", "id": _account(records[i]), "properties": props}
        try:
            done = self._upsert("companies", companies, outcomes)
        except RetriableError as exc:
            for i in chunk:
                outcomes[i].retriable.append(f"company not written, retries exhausted: {exc}")
            return
        for i, company_id in done.items():
            outcomes[i].system_id = company_id

        # contacts, once per email even when two accounts share a person
        contacts: dict[str, dict[str, Any]] = {}
        owners: dict[str, list[tuple[int, bool]]] = {}
        for i in done:
            for person in records[i].payload.get("contacts") or []:
                email = _norm("contacts", person.get("email") or "")
                if not email:
                    outcomes[i].errors.append(
                        f"contact {person.get('firstname')} {person.get('lastname')}: no email, cannot be upserted"
                    )
                    continue
                contacts[email] = {
                    "idProperty": "email",
                    "id": email,
                    "properties": contact_properties(person),
                }
                owners.setdefault(email, []).append((i, is_primary(person)))
        pairs: list[tuple[int, str, str, bool]] = []  # (record, company id, contact id, primary)
        emails = list(contacts)
        for part in chunks(emails):
            try:
                ids = self._upsert("contacts", {e: contacts[e] for e in part}, outcomes, owners)
            except RetriableError as exc:
                for e in part:
                    for i, _ in owners[e]:
                        outcomes[i].retriable.append(f"contact {e} not written, retries exhausted: {exc}")
                continue
            pairs.extend(
                (i, done[i], contact_id, primary) for e, contact_id in ids.items() for i, primary in owners[e]
            )
        self._associate(pairs, outcomes)

    def _upsert(
        self,
        kind: str,
        inputs: dict[Any, dict[str, Any]],
        outcomes: list[_Outcome],
        owners: dict[str, list[tuple[int, bool]]] | None = None,
    ) -> dict[Any, str]:
        """Upsert; returns input handle -> object id. Per-input failures are noted on the owning records."""

        def fail(handle: Any, message: str, retriable: bool = False) -> None:
            for i in [o for o, _ in owners[handle]] if owners is not None else [handle]:
                target = outcomes[i].retriable if retriable else outcomes[i].errors
                target.append(f"{kind[:-1]} {inputs[handle]['id']}: {message}")

        if not inputs:
            return {}
        try:
            body = self.client.json(
                "POST", f"/crm/v3/objects/{kind}/batch/upsert", json={"inputs": list(inputs.values())}
            )
        except RemoteRejected as exc:
            if len(inputs) == 1:
                handle = next(iter(inputs))
                fail(handle, _message(exc))
                return {}
            found: dict[Any, str] = {}
            for handle, item in inputs.items():  # isolate the bad input(s)
                found.update(self._upsert(kind, {handle: item}, outcomes, owners))
            return found
        by_id = {_norm(kind, item["id"]): handle for handle, item in inputs.items()}
        found = {}
        for result in body.get("results") or []:
            handle = by_id.get(_norm(kind, (result.get("properties") or {}).get(ID_PROPERTY[kind], "")))
            if handle is not None:
                found[handle] = str(result["id"])
        failed = set()
        for error in body.get("errors") or []:
            for ident in (error.get("context") or {}).get("ids") or []:
                handle = by_id.get(_norm(kind, ident))
                if handle is not None and handle not in found:
                    fail(handle, f"{error.get('category', 'ERROR')}: {error.get('message', '')}")
                    failed.add(handle)
        for handle in inputs:
            if handle not in found and handle not in failed:
                fail(handle, "no result in HubSpot's answer; state unknown", retriable=True)
        return found

    def _associate(self, pairs: list[tuple[int, str, str, bool]], outcomes: list[_Outcome]) -> None:
        """Default (unlabeled) association for every pair, the Primary label where the record says so."""
        calls = [("associate/default", pairs), ("create", [p for p in pairs if p[3]])]
        for action, todo in calls:
            for part in chunks(todo):
                inputs = []
                for _, company_id, contact_id, _primary in part:
                    item: dict[str, Any] = {"from": {"id": company_id}, "to": {"id": contact_id}}
                    if action == "create":
                        item["types"] = PRIMARY
                    inputs.append(item)
                try:
                    body = self.client.json(
                        "POST",
                        f"/crm/v4/associations/companies/contacts/batch/{action}",
                        json={"inputs": inputs},
                    )
                except (RetriableError, RemoteRejected) as exc:
                    for i, *_ in part:
                        target = (
                            outcomes[i].retriable if isinstance(exc, RetriableError) else outcomes[i].errors
                        )
                        target.append(
                            f"association not written: {_message(exc) if isinstance(exc, RemoteRejected) else exc}"
                        )
                    continue
                for error in body.get("errors") or []:
                    named = {str(v) for values in (error.get("context") or {}).values() for v in values}
                    for i, company_id, contact_id, _primary in part:
                        if not named or {company_id, contact_id} & named:
                            outcomes[i].errors.append(f"association: {error.get('message', '')}")


def _account(record: OutboundRecord) -> str:
    value = (record.payload.get("properties") or {}).get("account_number")
    return str(value if value not in (None, "") else record.key).strip()


def _message(exc: RemoteRejected) -> str:
    """HubSpot's own message (and the properties it names) rather than the raw body."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return str(exc)
    details = [e.get("message", "") for e in body.get("errors") or [] if isinstance(e, dict)]
    return f"HTTP {exc.status} {body.get('category', '')}: {body.get('message', '')}" + (
        f" ({'; '.join(details)})" if details else ""
    )
