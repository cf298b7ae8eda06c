"""SIGKILL at 20 named points (hub/faultpoints.py) of the sync, the order flow and EDI, then run again: the end
state must equal an uninterrupted run's, with no duplicate Tryton sale, 3PL request or EDI document and no
control number used twice.

Each point is one hub command run in a child process with ``HUB_KILL_AT`` set (it must die by SIGKILL), then
the same command again without it. A reference world runs the same sequence without kills (beside the crashed
world, each on its own trytond; ``--lanes 1`` runs them in turn on one); after every point both worlds' normalised states are compared (control
numbers, tracking numbers and timestamps left out: a crash may waste a number, never reuse one).
``python -m tests.chaos.crashes WORKDIR [LABEL...] [--json]`` runs them, prints a table (or the JSON) and writes
bench/results/chaos_crashes.json; ``python -m tests.chaos.crashes --child orders|ship`` is the order-flow
driver the children run (what the Dagster order jobs run: ``hub orders process`` has no ERP port).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chaos.crash_sync import ROOT, SYNC_POINTS, SyncPoint, run_sync_points


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


def run_crashes(workdir: Path, labels: tuple[str, ...] | None = None, *, lanes: int = 2) -> dict[str, Any]:
    """Run the points named (all 20 by default); per-point results and totals (duplicates, reused control
    numbers, lost, points not killed or not converged) and the duration.

    ``lanes=2``: the reference world (after the sync points) runs in a thread beside the crashed world, each
    on its own trytond; the two share nothing but the sshd, and the comparison waits for both. ``lanes=1``
    runs everything in turn on one trytond."""
    wanted = set(labels or ALL_LABELS)
    unknown = wanted - set(ALL_LABELS)
    if unknown:
        raise ValueError(f"unknown crash points {sorted(unknown)}; known: {', '.join(ALL_LABELS)}")
    started, cpu0 = time.monotonic(), _cpu_s()
    load0 = os.getloadavg()
    workdir.mkdir(parents=True, exist_ok=True)
    sync_points = [p for p in SYNC_POINTS if p.label in wanted]
    points = [p for p in WORLD_POINTS if p.label in wanted]
    if points:
        results = _run_world_points(workdir, points, sync_points, lanes)
    else:
        results = run_sync_points(workdir / "sync", sync_points)
    totals = {
        "points": len(results),
        "killed": sum(r["killed"] for r in results),
        "converged": sum(r["same_as_reference"] for r in results),
        "duplicates": sum(r["duplicates"] for r in results),
        "reused_control_numbers": sum(r["reused_control_numbers"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "duration_s": round(time.monotonic() - started, 1),
        "cpu_s": round(_cpu_s() - cpu0, 1),  # this process and the children it waited for
        "lanes": lanes if points else 1,
        "load_avg": [round(x, 2) for x in (*load0, *os.getloadavg())],  # at the start, then at the end
    }
    return {"points": results, "totals": totals}


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run_world_points(
    workdir: Path, points: list[Point], sync_points: list[SyncPoint], lanes: int
) -> list[dict[str, Any]]:
    """The sync points, then the reference world's run of every point, beside the crashed world's."""
    from tests.chaos.crash_world import load_erp, start_services

    with ExitStack() as stack:
        services = start_services(workdir, stack, lanes=2 if lanes > 1 else 1)

        def reference_lane() -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]:
            synced = run_sync_points(workdir / "sync", sync_points)
            load_erp(services[0].erp)
            return synced, _reference(workdir, services[0], points)

        if len(services) == 1:
            synced, expected = reference_lane()
            services[0].erp.reset()  # the crashed world starts from the same Tryton data
            crashed = _crashed(workdir, services[0], points)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="reference") as pool:
                lane = pool.submit(reference_lane)
                crashed = _crashed(workdir, services[1], points)
                synced, expected = lane.result()
    results = list(synced)
    for point, (ref_rc, ref_state), (killed_rc, rerun_rc, state, seconds) in zip(
        points, expected, crashed, strict=True
    ):
        results.append(_result(point.label, point.kill_at, point.what, killed_rc, rerun_rc, ref_rc, state,
                               ref_state, seconds))  # fmt: skip
    return results


def _reference(workdir: Path, services: Any, points: list[Point]) -> list[tuple[int, dict[str, Any]]]:
    """Every point's preparation and command, uninterrupted; the exit code and state after each."""
    from tests.chaos.crash_world import World

    expected = []
    with World(workdir / "reference", services) as reference:
        for point in points:
            for action in point.prep:
                reference.act(action)
            rc = reference.run(point.step)
            expected.append((rc, reference.snapshot()))
    return expected


def _crashed(
    workdir: Path, services: Any, points: list[Point]
) -> list[tuple[int, int, dict[str, Any], float]]:
    """Every point's preparation, its command killed at the point, the command again; the state after."""
    from tests.chaos.crash_world import World, load_erp

    load_erp(services.erp)
    out = []
    with World(workdir / "crashed", services) as crashed:
        for point in points:
            started = time.monotonic()
            for action in point.prep:
                crashed.act(action)
            killed_rc = crashed.run(point.step, kill_at=point.kill_at)
            rerun_rc = crashed.run(point.step)
            out.append((killed_rc, rerun_rc, crashed.snapshot(), time.monotonic() - started))
    return out


def _result(label: str, kill_at: str, what: str, killed_rc: int, rerun_rc: int, ref_rc: int,
            state: dict[str, Any], expected: dict[str, Any], seconds: float) -> dict[str, Any]:  # fmt: skip
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
        "seconds": round(seconds, 1),  # the crashed run's preparation, kill, re-run and read-back
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


def passed(report: dict[str, Any]) -> bool:
    """Every point killed where named and converged, nothing duplicated, lost or numbered twice."""
    t = report["totals"]
    return t["killed"] == t["converged"] == t["points"] and not (
        t["duplicates"] or t["reused_control_numbers"] or t["lost"]
    )


def render(report: dict[str, Any]) -> None:
    """One row per point and a totals row (the details of a failing point under the table)."""
    from rich.console import Console
    from rich.table import Table

    console, t = Console(), report["totals"]
    if not console.is_terminal:  # a log or a pipe: wide enough for one line per point
        console.width = 160
    table = Table(title=f"SIGKILL at {t['points']} points, then run again, vs an uninterrupted run")
    for column in (
        "point",
        "what",
        "killed?",
        "converged?",
        "duplicates",
        "reused numbers",
        "lost",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in ("point", "what") else "right")
    yes = {True: "yes", False: "[red]NO[/red]"}
    for r in report["points"]:
        table.add_row(r["point"], r["what"], yes[r["killed"]], yes[r["same_as_reference"]], str(r["duplicates"]),
                      str(r["reused_control_numbers"]), str(r["lost"]), str(r["seconds"]))  # fmt: skip
    table.add_row("total", "", f"{t['killed']}/{t['points']}", f"{t['converged']}/{t['points']}",
                  str(t["duplicates"]), str(t["reused_control_numbers"]), str(t["lost"]), str(t["duration_s"]),
                  end_section=True)  # fmt: skip
    console.print(table)
    for r in report["points"]:
        if r["details"] or not (r["killed"] and r["same_as_reference"]):
            console.print(f"[red]{r['point']}[/red] (rc {r['killed_rc']}, re-run {r['rerun_rc']}): "
                          + "; ".join(r["details"]))  # fmt: skip
    load = " ".join(f"{x:.2f}" for x in t["load_avg"][3:])
    console.print(f"{t['duration_s']} s wall, {t['cpu_s']} CPU s, {t['lanes']} lane(s), load average {load}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return _child(argv[1])
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tests.chaos.crashes", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("workdir", type=Path)
    parser.add_argument("labels", nargs="*", help=f"points to run (default: all): {', '.join(ALL_LABELS)}")
    parser.add_argument(
        "--lanes", type=int, choices=(1, 2), default=2, help="run the two worlds side by side"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "chaos_crashes.json")
    args = parser.parse_args(argv)
    report = run_crashes(args.workdir, tuple(args.labels) or None, lanes=args.lanes)
    report["passed"] = passed(report)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        render(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
