"""SIGKILL at 20 named points (hub/faultpoints.py) of the sync, the order flow and EDI, then run again: the end
state must equal an uninterrupted run's, with no duplicate Tryton sale, 3PL request or EDI document and no
control number used twice.

Each point is one hub command run in a child process with ``HUB_KILL_AT`` set (it must die by SIGKILL), then
the same command again without it. A reference world runs the same sequence without kills; after every point
both worlds' normalised states are compared (control numbers, tracking numbers and timestamps left out: a crash
may waste a number, never reuse one). ``python -m tests.chaos.crashes WORKDIR [LABEL...]`` runs them and prints
the results; ``python -m tests.chaos.crashes --child orders|ship`` is the order-flow driver the children run
(what the Dagster order jobs run: ``hub orders process`` has no ERP port).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chaos.crash_sync import ROOT, SYNC_POINTS, run_sync_points


@dataclass(frozen=True)
class Point:
    label: str
    kill_at: str  # HUB_KILL_AT
    step: str  # edi | orders | ship (the child command)
    prep: tuple[str, ...]  # parent actions first: place, po, tick, or run:<step> (uninterrupted)
    what: str


PO = ("po",)
EDI_ORDER = ("po", "run:edi")
SHOP_ORDER = ("place",)
SHIPPED = ("place", "run:orders", "tick")
WORLD_POINTS: tuple[Point, ...] = (
    Point("edi-997-number-taken", "edi.control.taken:1", "edi", PO, "997: ISA13 taken and committed, then crash"),
    Point("edi-997-decided", "edi.ack.decided", "edi", PO, "997 built and kept in the ledger, not uploaded"),
    Point("edi-997-mid-upload", "sftp.write.transferring:1", "edi", PO, "997 .part open mid-transfer"),
    Point("edi-997-uploaded", "edi.ack.uploaded", "edi", PO, "997 uploaded, interchange not marked processed"),
    Point("edi-inbox-finished", "edi.inbox.finished", "edi", PO, "850 processed and handed on, file not moved"),
    Point("order-sale-created", "order.sale.created:1", "orders", SHOP_ORDER,
          "Tryton sale created, the hub still says allocated"),
    Point("edi-855-prepared", "edi.send.prepared", "orders", EDI_ORDER,
          "855 decided (numbers taken, ledger prepared), not uploaded"),
    Point("edi-855-mid-upload", "sftp.write.transferring:1", "orders", EDI_ORDER, "855 .part open mid-transfer"),
    Point("edi-855-uploaded", "edi.send.uploaded", "orders", EDI_ORDER, "855 uploaded, ledger not marked sent"),
    Point("order-sale-confirmed", "order.sale.confirmed", "orders", EDI_ORDER,
          "Tryton sale confirmed and 855 sent, the hub still says quoted"),
    Point("3pl-request-mid-upload", "sftp.write.transferring:2", "orders", SHOP_ORDER,
          "3PL request .part open mid-transfer"),
    Point("3pl-request-before-rename", "sftp.write.uploaded:2", "orders", SHOP_ORDER,
          "3PL request .part complete, not renamed"),
    Point("3pl-request-in-outbox", "threepl.send.uploaded", "orders", SHOP_ORDER,
          "3PL request in the outbox, our sent/ ledger copy pending"),
    Point("order-requests-sent", "order.requests.sent", "orders", SHOP_ORDER,
          "3PL request sent and shop tagged, the hub still says confirmed"),
    Point("shipment-applied", "order.shipment.applied", "ship", SHIPPED,
          "3PL shipment booked in Tryton, the hub has not recorded it"),
    Point("3pl-file-applied", "threepl.file.applied", "ship", SHIPPED,
          "3PL confirmation applied everywhere, the file not archived"),
)  # fmt: skip
ALL_LABELS = tuple(p.label for p in SYNC_POINTS) + tuple(p.label for p in WORLD_POINTS)
# make test: one point per kind (sync, EDI inbox, EDI order + 855, SFTP upload, shipment); the first two points
# here found the bugs fixed with them (an inbox file sent to error/ as its own duplicate; an order left quoted)
QUICK = ("sync-between-batches", "edi-inbox-finished", "order-sale-confirmed", "3pl-request-mid-upload",
         "shipment-applied")  # fmt: skip


def run_crashes(workdir: Path, labels: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Run the points named (all 20 by default); per-point results and totals (duplicates, reused control
    numbers, lost, points not killed or not converged) and the duration."""
    wanted = set(labels or ALL_LABELS)
    unknown = wanted - set(ALL_LABELS)
    if unknown:
        raise ValueError(f"unknown crash points {sorted(unknown)}; known: {', '.join(ALL_LABELS)}")
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    results = run_sync_points(workdir / "sync", [p for p in SYNC_POINTS if p.label in wanted])
    points = [p for p in WORLD_POINTS if p.label in wanted]
    if points:
        results += _run_world_points(workdir, points)
    totals = {
        "points": len(results),
        "killed": sum(r["killed"] for r in results),
        "converged": sum(r["same_as_reference"] for r in results),
        "duplicates": sum(r["duplicates"] for r in results),
        "reused_control_numbers": sum(r["reused_control_numbers"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "duration_s": round(time.monotonic() - started, 1),
    }
    return {"points": results, "totals": totals}


def _run_world_points(workdir: Path, points: list[Point]) -> list[dict[str, Any]]:
    from tests.chaos.crash_world import World, load_erp, start_services

    with ExitStack() as stack:
        services = start_services(workdir, stack)
        load_erp(services.erp)
        reference = stack.enter_context(World(workdir / "reference", services))
        expected = []
        for point in points:
            for action in point.prep:
                reference.act(action)
            rc = reference.run(point.step)
            expected.append((rc, reference.snapshot()))
        services.erp.reset()  # the crashed world starts from the same Tryton data
        load_erp(services.erp)
        crashed = stack.enter_context(World(workdir / "crashed", services))
        results = []
        for point, (ref_rc, ref_state) in zip(points, expected, strict=True):
            for action in point.prep:
                crashed.act(action)
            killed_rc = crashed.run(point.step, kill_at=point.kill_at)
            rerun_rc = crashed.run(point.step)
            state = crashed.snapshot()
            results.append(_result(point.label, point.kill_at, point.what, killed_rc, rerun_rc, ref_rc, state,
                                   ref_state))  # fmt: skip
        return results


def _result(label: str, kill_at: str, what: str, killed_rc: int, rerun_rc: int, ref_rc: int,
            state: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """One point: was it killed there, what the re-run gave, and how the state compares."""
    lost, extra = [], []
    for part, items in expected["compare"].items():
        got = state["compare"].get(part, [])
        lost += [f"{part}: {i}" for i in _minus(items, got)]
        extra += [f"{part}: {i}" for i in _minus(got, items)]
    return {
        "point": label,
        "kill_at": kill_at,
        "what": what,
        "killed": killed_rc == -9,
        "killed_rc": killed_rc,
        "rerun_rc": rerun_rc,
        "reference_rc": ref_rc,
        "same_as_reference": not lost and not extra,  # exit codes differ: a re-run has less to do
        "duplicates": len(state["duplicates"]),
        "reused_control_numbers": len(state["reused"]),
        "lost": len(lost),
        "details": (
            state["duplicates"]
            + state["reused"]
            + [f"lost {x}" for x in lost]
            + [f"extra {x}" for x in extra]
        )[:20],
    }


def _minus(a: list[Any], b: list[Any]) -> Iterator[Any]:
    """Multiset difference a - b."""
    left = list(b)
    for item in a:
        if item in left:
            left.remove(item)
        else:
            yield item


def child_env(config: Path, secrets: dict[str, str], kill_at: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KILL_AT")}
    env.update(secrets, HUB_CONFIG=str(config), PYTHONPATH=str(ROOT))
    if kill_at:
        env["HUB_KILL_AT"] = kill_at
    return env


def _child(step: str) -> int:
    """The order flow as its jobs run it: poll the shop and drain the inbox, or apply the 3PL's files."""
    from connectors import resource_for
    from hub.config import load_config
    from hub.store import Store
    from hub.workflows.intake import poll_orders
    from hub.workflows.wiring import build_order_flow

    config = load_config(os.environ["HUB_CONFIG"])
    store = Store(config.database_url)
    flow = build_order_flow(config, store, run_id=f"chaos-{step}")
    try:
        if step == "orders":
            poll_orders(store, resource_for(config, "shop", dagster=False).connector("shop"))
        elif step == "ship":
            for file in flow.threepl_files():
                flow.apply_threepl_file(file)
        else:
            raise SystemExit(f"unknown step {step!r}")
        stats = flow.process_orders()
    finally:
        flow.close()
    return 1 if stats.failed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return _child(argv[1])
    if not argv:
        print("usage: python -m tests.chaos.crashes WORKDIR [LABEL...]", file=sys.stderr)
        return 2
    report = run_crashes(Path(argv[0]), tuple(argv[1:]) or None)
    print(json.dumps(report, indent=2, default=str))
    t = report["totals"]
    ok = t["killed"] == t["converged"] == t["points"] and not (t["duplicates"] or t["reused_control_numbers"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
