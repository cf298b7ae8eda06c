"""OpenLineage run events for every sync step: to a JSON Lines file by default, to an HTTP endpoint
(Marquez, DataHub, ...) when configured.

A step is an OpenLineage job ``<entity>.<stage>.<system>``; its input and output datasets are
``<system>/<entity>`` and ``hub/<entity>`` (reversed when publishing). Counts travel as the standard
``outputStatistics`` facet and a ``hub_counts`` run facet.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from hub.engine import codec
from hub.engine.stats import SyncStats
from hub.errors import RetriableError
from hub.redact import http_failure, redact_url

SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://github.com/commerce-hub/commerce-hub"
FACET_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"


class OpenLineageEmitter:
    """A step observer (see ``hub.engine.observers``) that writes OpenLineage RunEvents."""

    def __init__(
        self,
        *,
        file: Path | None = None,
        url: str | None = None,
        namespace: str = "commerce-hub",
        timeout: float = 5.0,
        api_key: str | None = None,
    ) -> None:
        self.file, self.url, self.namespace, self.timeout = file, url, namespace, timeout
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.lock = threading.Lock()

    # -- observer interface --------------------------------------------------------------------------
    def step_started(self, stats: SyncStats, run_id: str) -> None:
        self.emit(self.event("START", stats, run_id))

    def step_finished(self, stats: SyncStats, run_id: str, error: BaseException | None) -> None:
        self.emit(self.event("FAIL" if error else "COMPLETE", stats, run_id, error))

    # -- events --------------------------------------------------------------------------------------
    def event(
        self, kind: str, stats: SyncStats, run_id: str, error: BaseException | None = None
    ) -> dict[str, Any]:
        job = f"{stats.entity}.{stats.stage}.{stats.system}"
        system_ds = {"namespace": stats.system, "name": stats.entity}
        hub_ds = {"namespace": "hub", "name": stats.entity}
        source, sink = (system_ds, hub_ds) if stats.stage == "ingest" else (hub_ds, system_ds)
        run_facets: dict[str, Any] = {
            "parent": {
                "_producer": PRODUCER,
                "_schemaURL": FACET_SCHEMA,
                "run": {"runId": _uuid(run_id)},
                "job": {"namespace": self.namespace, "name": "sync"},
            },
        }
        output = dict(sink)
        if kind != "START":
            counts = {name: getattr(stats, name) for name in SyncStats.COUNTS}
            run_facets["hub_counts"] = {
                "_producer": PRODUCER,
                "_schemaURL": FACET_SCHEMA,
                "hub_run_id": run_id,
                **counts,
            }
            written = stats.created + stats.updated
            output["outputFacets"] = {
                "outputStatistics": {"_producer": PRODUCER, "_schemaURL": FACET_SCHEMA, "rowCount": written}
            }
        if error is not None:
            run_facets["errorMessage"] = {
                "_producer": PRODUCER,
                "_schemaURL": FACET_SCHEMA,
                "message": str(error)[:2000],
                "programmingLanguage": "python",
            }
        return {
            "eventType": kind,
            "eventTime": datetime.now(UTC).isoformat(),
            "run": {"runId": _uuid(f"{run_id}/{job}"), "facets": run_facets},
            "job": {"namespace": self.namespace, "name": job},
            "inputs": [source],
            "outputs": [output],
            "producer": PRODUCER,
            "schemaURL": SCHEMA,
        }

    def emit(self, event: dict[str, Any]) -> None:
        if self.file is not None:
            with self.lock:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                with self.file.open("a", encoding="utf-8") as handle:
                    handle.write(codec.dumps(event) + "\n")
        if self.url:
            try:
                response = requests.post(self.url, json=event, headers=self.headers, timeout=self.timeout)
                response.raise_for_status()
            except requests.RequestException as exc:  # its message quotes the URL, password and all
                raise RetriableError(
                    f"OpenLineage endpoint {redact_url(self.url)}: {http_failure(exc)}"
                ) from None


def _uuid(text: str) -> str:
    """OpenLineage wants UUID run ids; a hub run id (Dagster's, or cli-...) maps to a stable one."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"commerce-hub:{text}"))
