"""HubSpot CRM connector: customers = companies with their contacts; read by search, write by batch upsert.

Read: companies changed since the cursor (search on ``hs_lastmodifieddate``), then the companies of
contacts changed since the cursor (search on ``lastmodifieddate``), each page enriched with one
associations call and one contacts ``batch/read`` per 100 companies. The cursor is a small JSON object
with one position per stream, because a contact edit does not move its company's date in HubSpot.

Write: ``batch/upsert`` of companies by ``account_number`` (≤100 per call), so a replayed create
updates instead of duplicating; then contacts by ``email`` and their associations. A per-input error
fails that record; retries exhausted fail the batch's records as retriable; the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from connectors.base.streams import parse_moment, read_stream
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.shape import PRIMARY_TYPE_IDS, customer
from connectors.hubspot.streams import COMPANY_PROPERTIES, CONTACT_PROPERTIES, search_stream
from connectors.hubspot.writer import CustomerWriter, chunks
from hub.engine.ports import OutboundRecord, ReadBatch, WriteResult
from hub.errors import ConfigError


def parse_cursor(cursor: str | None) -> tuple[str | None, str | None]:
    """(companies position, contacts position); a bare timestamp (older cursors) stands for both."""
    if not cursor:
        return None, None
    if cursor.lstrip().startswith("{"):
        data = json.loads(cursor)
        return data.get("companies"), data.get("contacts")
    return cursor, cursor


def format_cursor(companies: str | None, contacts: str | None) -> str:
    return json.dumps({"companies": companies, "contacts": contacts})


class HubSpotConnector:
    """The engine's Connector for a HubSpot portal (or the CRM sandbox)."""

    entities = ("customer",)

    def __init__(self, system: str, client: HubSpotClient, page_size: int = 100) -> None:
        self.system, self.client = system, client
        self.companies = search_stream("companies", COMPANY_PROPERTIES, page_size)
        self.contacts = search_stream("contacts", CONTACT_PROPERTIES, page_size)

    def _check(self, entity: str) -> None:
        if entity not in self.entities:
            raise ConfigError(
                f"the hubspot connector has no entity '{entity}'; it has: {', '.join(self.entities)}"
            )

    # -- read ----------------------------------------------------------------------------------------
    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        self._check(entity)
        companies_at, contacts_at = parse_cursor(cursor)
        self.client.first_date = None
        # contacts read while enriching, changed after the contacts position: phase 2 skips these
        seen: dict[str, str] = {}
        for batch in read_stream(self.client, self.companies, companies_at, batch_size):
            if contacts_at is None:  # full read: contacts changed from now on are caught in phase 2
                contacts_at = self.client.server_time_floor().isoformat()
            companies_at = batch.cursor or companies_at
            yield ReadBatch(
                self._customers(batch.records, seen, contacts_at), format_cursor(companies_at, contacts_at)
            )
        emitted: set[str] = set()
        for batch in read_stream(self.client, self.contacts, contacts_at, batch_size):
            fresh = [c["id"] for c in batch.records if seen.get(c["id"]) != c.get("updatedAt")]
            linked = self._associations("contacts", "companies", fresh)
            ids = sorted({i for ids in linked.values() for i, _ in ids} - emitted, key=int)
            emitted.update(ids)
            companies = self._batch_read("companies", ids, COMPANY_PROPERTIES)
            contacts_at = batch.cursor or contacts_at
            yield ReadBatch(
                self._customers(companies, seen, contacts_at), format_cursor(companies_at, contacts_at)
            )

    def _customers(
        self, companies: list[dict[str, Any]], seen: dict[str, str], contacts_at: str | None
    ) -> list[dict[str, Any]]:
        """Companies with their contacts: one associations call and one contacts read per 100 companies."""
        links = self._associations("companies", "contacts", [c["id"] for c in companies])
        contact_ids = sorted({i for ids in links.values() for i, _ in ids}, key=int)
        contacts = {c["id"]: c for c in self._batch_read("contacts", contact_ids, CONTACT_PROPERTIES)}
        floor = contacts_at or ""
        for contact in contacts.values():
            if _later(contact.get("updatedAt"), floor):
                seen[contact["id"]] = contact["updatedAt"]
        return [
            customer(
                company,
                [(contacts[i], primary) for i, primary in links.get(company["id"], []) if i in contacts],
            )
            for company in companies
        ]

    def _associations(self, source: str, target: str, ids: list[str]) -> dict[str, list[tuple[str, bool]]]:
        out: dict[str, list[tuple[str, bool]]] = {}
        for chunk in chunks(ids):
            body = self.client.json(
                "POST",
                f"/crm/v4/associations/{source}/{target}/batch/read",
                json={"inputs": [{"id": i} for i in chunk]},
            )
            for result in body.get("results") or []:  # ids without associations come back as errors
                out[str(result["from"]["id"])] = [
                    (
                        str(link["toObjectId"]),
                        any(t.get("typeId") in PRIMARY_TYPE_IDS for t in link.get("associationTypes") or []),
                    )
                    for link in result.get("to") or []
                ]
        return out

    def _batch_read(self, kind: str, ids: list[str], properties: tuple[str, ...]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(ids):
            body = self.client.json(
                "POST",
                f"/crm/v3/objects/{kind}/batch/read",
                json={"properties": list(properties), "inputs": [{"id": i} for i in chunk]},
            )
            found.extend(body.get("results") or [])
        return sorted(found, key=lambda r: int(r["id"]))

    # -- write ---------------------------------------------------------------------------------------
    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        self._check(entity)
        return CustomerWriter(self.client).write(records)


def _later(stamp: str | None, floor: str) -> bool:
    moment, bound = parse_moment(stamp), parse_moment(floor)
    return moment is not None and (bound is None or moment > bound)
