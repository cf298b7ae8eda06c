"""The fault scenario: every system faulty at ``rate`` (429, 5xx, stalls, dropped connections, Tryton answers lost
after the server acted, SFTP sessions cut mid-transfer) over ``rounds`` rounds of every flow, compared with a
clean run of the same rounds.

Each round adds new work while faults are off (new and renamed products at the PIM, a price change at the ERP,
a phone change at the CRM, two shop orders, one EDI 850), then runs every flow with faults on, as an
operator's schedule would: product, customer and stock sync; the order poll, the EDI inbox and the order
processor; the 3PL's tick, its confirmations applied, the processor again; the EDI inbox again (the partner's
997s). A pass that hits an error or still moves something is run again, up to ``max_passes``. The clean run is
driven the same way; then both end states are read with faults off and compared.

``run_faults(rounds, rate, workdir)`` is what ``python -m tests.chaos`` and the test call.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from connectors.tryton.sales import TrytonOrders
from hub.engine import sync_entity
from hub.store.schema import failures, order_inbox, order_state
from hub.workflows.intake import poll_orders
from sandbox.edi_partner.simulator import PoLine
from sandbox.pim.sample import read_jsonl
from sandbox.runner import DATA
from tests.chaos.endstate import State, compare, differences, end_state
from tests.chaos.world import PARTNER, FaultSwitch, World

ENTITIES = ("product", "customer", "stock")
ORDERS_PER_ROUND = 2  # with the EDI 850: three sales a round, more than one per batch, both channels


@dataclass
class Plan:
    """What the rounds order and change, chosen from the seeded systems (the same in both runs)."""

    skus: list[str]
    accounts: list[str]
    crm_ids: dict[str, str]
    template: dict[str, Any]


@dataclass
class RunLog:
    passes: list[int] = field(default_factory=list)  # per round
    converged: list[bool] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # step -> passes it failed in
    examples: list[str] = field(default_factory=list)
    timings: Counter[str] = field(default_factory=Counter)  # step -> seconds
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # setup / rounds / end state / close -> seconds


def _plan(world: World) -> Plan:
    """Stocked, cleanly-defined SKUs and credit-worthy accounts known to the ERP and the CRM."""
    products = _pim_sample()
    clean = [
        p for p in products
        if p["identifier"] == p["identifier"].strip().upper() and p.get("enabled")
        and str(p["values"].get("name", "")).strip() and p["values"].get("ean")
    ]  # fmt: skip
    orders = TrytonOrders(world.erp_admin.client)
    stock = orders.stock([p["identifier"] for p in clean])
    skus = [p["identifier"] for p in clean if stock.get(p["identifier"], {}).get("WH1", Decimal(0)) >= 60]
    parties = (DATA / "erp/customer/parties.csv").read_text().splitlines()
    rows = [dict(zip(parties[0].split(","), line.split(","), strict=False)) for line in parties[1:]]
    companies = world.crm("GET", "objects/companies?limit=100&properties=account_number").json()["results"]
    crm_ids = {c["properties"].get("account_number"): c["id"] for c in companies}
    accounts = [
        r["code"] for r in rows if r.get("credit_hold") == "no" and r["code"] in crm_ids
        and orders.customer_exists(r["code"])
    ][:6]  # fmt: skip
    template = dict(clean[0])
    template["values"] = {k: v for k, v in clean[0]["values"].items() if k != "ean"}
    if len(skus) < 4 or len(accounts) < 2:
        raise AssertionError(f"the seeded systems give too little to order: skus {skus}, accounts {accounts}")
    return Plan(skus[:8], accounts, crm_ids, template)


def _pim_sample() -> list[dict[str, Any]]:
    return [p for p in read_jsonl(DATA / "pim" / "product") if isinstance(p, dict) and "identifier" in p]


def add_work(world: World, plan: Plan, round_no: int) -> list[str]:
    """The round's new work, with faults off; returns the shop order numbers placed."""
    rng = random.Random(round_no)
    new = []
    for i in range(2):
        product = json.loads(json.dumps(plan.template))
        product["identifier"] = f"SKU-9{round_no:02d}{i}"
        product["values"]["name"] = f"Chaos Widget {round_no}-{i}"
        new.append(product)
    renamed = next(p for p in _pim_sample() if p["identifier"] == plan.skus[round_no % len(plan.skus)])
    renamed["values"]["name"] = f"{renamed['values']['name']} rev {round_no}"
    world.pim_seed([*new, renamed])

    repriced = plan.skus[(round_no + 1) % len(plan.skus)]
    erp = TrytonOrders(world.erp_admin.client)
    world.set_erp_price(repriced, erp.prices([repriced], None)[repriced] + Decimal("1.00"))

    account = plan.accounts[round_no % len(plan.accounts)]
    world.crm("PATCH", f"objects/companies/{plan.crm_ids[account]}",
              json={"properties": {"phone": f"+1-555-9{round_no:03d}"}})  # fmt: skip

    prices = erp.prices(plan.skus, None)
    placed = []
    for _ in range(ORDERS_PER_ROUND):
        buyer = rng.choice(plan.accounts)
        lines = [
            {"sku": s, "quantity": rng.randint(1, 3), "price": str(prices[s])}
            for s in rng.sample(plan.skus, 2)
        ]
        mail = f"buyer-{buyer.lower()}@example.com"
        address = {"name": "Receiving", "address1": "1 Dock Rd", "city": "Columbus", "zip": "43004",
                   "province_code": "OH", "country": "United States"}  # fmt: skip
        body = {"order": {"email": mail, "line_items": lines, "shipping_address": address,
                          "billing_address": address, "customer": {"email": mail, "note": f"account:{buyer}"}}}  # fmt: skip
        placed.append(str(world.shop("POST", "orders.json", json=body).json()["order"]["name"]).lstrip("#"))
    sku = plan.skus[round_no % len(plan.skus)]
    world.partner.send_850(
        f"PO-R{round_no:02d}", [PoLine(sku, Decimal(2), prices[sku], "VN")], ship_to="0107"
    )
    return placed


def hub_pass(world: World, run_id: str, log: RunLog) -> tuple[bool, int]:
    """Every flow once, each step on its own (a failing job does not stop the others, as in Dagster).
    Returns (no step failed, records the syncs wrote)."""
    flow, edi = world.flow, world.flow.edi.service  # type: ignore[union-attr]
    ok, written = True, 0

    def step(name: str, fn: Any) -> Any:
        nonlocal ok
        started = time.monotonic()
        try:
            return fn()
        except Exception as exc:  # what a failed Dagster run is: logged, retried on the next tick
            ok = False
            log.errors[name] += 1
            if len(log.examples) < 12:
                log.examples.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        finally:
            log.timings[name] += time.monotonic() - started

    for entity in ENTITIES:
        stats = step(f"sync {entity}", lambda e=entity: sync_entity(world.store, world.mappings[e],
                                                                     world.sync_connectors, run_id))  # fmt: skip
        written += sum(s.created + s.updated + s.delivered for s in stats or [])
    step("order poll", lambda: poll_orders(world.store, world.shop_orders))
    step("edi inbox", lambda: edi.process(PARTNER))
    step("order processor", flow.process_orders)
    world.sim.tick()  # the 3PL's own work: no faults on its side

    def apply_threepl() -> None:
        for file in flow.threepl_files():
            flow.apply_threepl_file(file)

    step("3pl confirmations", apply_threepl)
    step("order processor", flow.process_orders)
    world.partner.collect()  # the partner's side: reads what the hub sent, answers with 997s
    step("edi inbox", lambda: edi.process(PARTNER))
    return ok, written


def _fingerprint(world: World) -> tuple[Any, ...]:
    """What would show progress between two passes: order states, open failures, files waiting anywhere."""
    with world.store.begin() as conn:
        states = sorted(Counter(s for (s,) in conn.execute(sa.select(order_state.c.state))).items())
        open_failures = conn.execute(
            sa.select(sa.func.count()).select_from(failures).where(failures.c.status == "open")
        ).scalar_one()
        inbox = conn.execute(
            sa.select(sa.func.count()).select_from(order_inbox).where(order_inbox.c.status == "pending")
        ).scalar_one()
    root, edi = world.threepl_root, world.sandboxes.sftp_root / "edi" / PARTNER
    waiting = [len(list(d.glob("*.*"))) for d in (root / "to_3pl", root / "from_3pl", edi / "outbound", edi / "inbound")
               if d.exists()]  # fmt: skip
    return tuple(states), open_failures, (inbox, *waiting)


def run_rounds(world: World, rounds: int, max_passes: int) -> RunLog:
    log, started = RunLog(), time.monotonic()
    plan = _plan(world)
    for round_no in range(1, rounds + 1):
        add_work(world, plan, round_no)
        before: tuple[Any, ...] | None = None
        for pass_no in range(1, max_passes + 1):
            world.faults_on(seed=world.faults.seed * 1000 + round_no * 50 + pass_no)
            try:
                ok, written = hub_pass(world, f"r{round_no}p{pass_no}", log)
            finally:
                world.faults_off()
            now = _fingerprint(world)
            quiet = ok and written == 0 and now == before and not any(now[2])
            before = now
            if quiet:
                break
        log.passes.append(pass_no)
        log.converged.append(quiet)
    log.seconds = time.monotonic() - started
    return log


def run_world(
    workdir: Path, rounds: int, rate: float, max_passes: int
) -> tuple[State, RunLog, dict[str, Any]]:
    """One world (clean or faulty) through every round; its end state, log and fault counts. Picklable in
    and out, so the two worlds can run in two processes."""
    started, cpu0 = time.monotonic(), _cpu_s()
    world = World(workdir, FaultSwitch(rate))
    setup = time.monotonic() - started
    try:
        log = run_rounds(world, rounds, max_passes)
        read = time.monotonic()
        result = end_state(world), log, world.fault_counts()
        log.phases = {"setup": setup, "rounds": log.seconds, "end state": time.monotonic() - read}
    finally:
        world.close()
    log.phases["total"] = time.monotonic() - started
    log.phases["cpu"] = _cpu_s() - cpu0  # this process and its reaped children (trytond)
    return result


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _both_worlds(
    workdir: Path, rounds: int, rate: float, max_passes: int, parallel: bool
) -> tuple[tuple[State, RunLog, dict[str, Any]], tuple[State, RunLog, dict[str, Any]]]:
    """The clean world in a second process while this one runs the faulty world: they share nothing (own
    servers, ports, folders, environment), and each keeps about one core busy (the hub and its trytond
    take turns), so on two cores the pair takes about as long as the faulty world alone."""
    if not parallel:
        clean = run_world(workdir / "clean", rounds, 0.0, max_passes)
        return clean, run_world(workdir / "faulty", rounds, rate, max_passes)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = pool.submit(run_world, workdir / "clean", rounds, 0.0, max_passes)
        faulty = run_world(workdir / "faulty", rounds, rate, max_passes)
        return pending.result(), faulty


def run_faults(
    rounds: int, rate: float, workdir: Path, *, max_passes: int = 10, parallel: bool = True
) -> dict[str, Any]:
    """A clean run and a run at ``rate`` faults, the same rounds; the figures of both and their comparison."""
    started = time.monotonic()
    (clean, clean_log, _), (faulty, faulty_log, injected) = _both_worlds(
        workdir, rounds, rate, max_passes, parallel
    )
    table = compare(clean, faulty)
    faults = {
        name: {**counts, "faults": sum(v for k, v in counts.items() if k not in ("requests", "ok"))}
        for name, counts in injected.items()
    }
    return {
        "scenario": "faults",
        "rounds": rounds,
        "rate": rate,
        "orders_per_round": ORDERS_PER_ROUND,
        "categories": table,
        "lost": sum(r["lost"] for r in table.values()),
        "duplicated": sum(r["duplicated"] for r in table.values()),
        "changed": sum(r["changed"] for r in table.values()),
        "differences": differences(clean, faulty),
        "faults": faults,
        "runs": {
            name: {
                "passes": log.passes,
                "converged": log.converged,
                "errors": dict(log.errors),
                "examples": log.examples,
                "seconds": round(log.seconds, 1),
                "step_seconds": {k: round(v, 1) for k, v in log.timings.most_common()},
                "phase_seconds": {k: round(v, 1) for k, v in log.phases.items()},
            }
            for name, log in (("clean", clean_log), ("faulty", faulty_log))
        },
        "parallel": parallel,
        "cpu_s": round(clean_log.phases.get("cpu", 0.0) + faulty_log.phases.get("cpu", 0.0), 1),
        "seconds": round(time.monotonic() - started, 1),
    }
