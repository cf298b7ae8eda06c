"""Load: a burst of shop orders through the whole order flow, measured from the outside.

The path is the production one: orders created in the shop sandbox -> its signed webhook -> the hub's
receiver -> ``order_inbox`` -> worker processes looping ``OrderFlow.process_orders`` (hub/workflows) ->
a real trytond (sale quoted, confirmed, processed) -> the 3PL request over SFTP (the embedded server).
An order is complete when its ``FR_<order>-<warehouse>.csv`` is in the 3PL outbox (written after the
sale is confirmed); at the end every Tryton sale is read once to check it is confirmed and not doubled.

    python -m tests.chaos.load --orders 5000 --seconds 600 [--workers 2]

``run_load`` returns throughput, the backlog over time (placed minus complete, and the inbox), latency
percentiles (order created -> request written) and failures; the runner prints them and writes
bench/results/chaos_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from tests.chaos.load_probes import (
    check_erp,
    cpu_s,
    erp_pid,
    inbox_now,
    pct,
    pick_up,
    settled,
    written_requests,
)

ROOT = Path(__file__).resolve().parents[2]
SKUS = {f"LOAD-{n}": f"{5 + n}.00" for n in range(5)}
CUSTOMERS = ("L100", "L200", "L300")
RATE_LIMIT_RETRIES = 20  # a 429 from the shop is waited out (Retry-After) at most this often per order

HUB_YAML = """
store: {{url: "{db}"}}
mappings: {mappings}
entities: [product, customer, stock]
systems:
  shop: {{role: shop, connector: shopify, settings: {{shop_url: "{shop}", access_token: {{env: HUB_SHOP_ACCESS_TOKEN}},
          rate_per_second: 15.0, burst: 15, backoff: 0.05}}}}
  erp: {{role: erp, connector: tryton, settings: {{url: "{erp}", database: hub, user: admin,
         password: {{env: HUB_TRYTON_PASSWORD}}}}}}
  wms: {{role: 3pl, connector: files, settings: {{inbox: in/wms, outbox: out/wms}}}}
orders:
  allocation: {{rule: split, warehouses: [WH1, WH2]}}
  webhook: {{secret: {{env: HUB_SHOP_WEBHOOK_SECRET}}, max_age_seconds: 0}}
  batch_size: {batch}
threepl:
  warehouses: [WH1, WH2]
  mailbox: {{sftp: {{host: 127.0.0.1, port: {sftp_port}, user: hub, key_path: "{key}", host_key: "{host_key}",
             root: /3pl}}}}
edi: {{partners: {partners}}}
"""


def _seed(sandboxes: Any) -> None:
    """Products with ample stock in WH1, the customers in Tryton; the same products in the shop."""
    from sandbox.order_world import seed_order_world

    customers = {c: f"Load buyer {c}" for c in CUSTOMERS}
    seed_order_world(sandboxes, SKUS, customers, quantity=1_000_000.0, label="Load")


def _order_body(n: int) -> dict[str, Any]:
    sku = f"LOAD-{n % len(SKUS)}"
    customer = CUSTOMERS[n % len(CUSTOMERS)]
    return {"order": {"email": f"{customer.lower()}@example.com",
                      "customer": {"email": f"{customer.lower()}@example.com", "note": f"account:{customer}"},
                      "line_items": [{"sku": sku, "quantity": 1 + n % 3, "price": SKUS[sku]}],
                      "shipping_address": {"name": "Load", "address1": "1 Way", "city": "Columbus", "zip": "43004",
                                           "country": "United States"}}}  # fmt: skip


@dataclass
class Placer:
    """Creates ``orders`` shop orders evenly over ``seconds``; the creation time of each by order number."""

    url: str
    headers: dict[str, str]
    orders: int
    seconds: float
    placed: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        session, start = requests.Session(), time.monotonic()
        interval = self.seconds / max(self.orders, 1)
        for n in range(self.orders):
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                t0, got = self._post(session, n)
            except requests.RequestException as exc:
                self.errors.append(f"order {n}: {exc}")
                continue
            self.placed[str(got.json()["order"]["name"]).lstrip("#")] = t0

    def _post(self, session: requests.Session, n: int) -> tuple[float, requests.Response]:
        """Create order ``n``; the shop's 429 (its bucket is shared with the hub's calls) is waited out
        as Shopify asks, so no order is lost to it. Returns when the accepted attempt started."""
        for _ in range(RATE_LIMIT_RETRIES):
            t0 = time.time()
            got = session.post(
                f"{self.url}/orders.json", json=_order_body(n), headers=self.headers, timeout=30
            )
            if got.status_code != 429:
                break
            time.sleep(min(float(got.headers.get("Retry-After") or 0.5), 5.0))
        got.raise_for_status()
        return t0, got


def _start_workers(
    work: Path, config: Path, workers: int, env: dict[str, str]
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(workers):
        log = open(work / f"worker-{n}.log", "wb")  # closed with the process
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.load", "--worker", str(config), "--stop", str(work / "stop"),
             "--ready", str(work / f"ready-{n}"), "--advance", "1" if n == 0 else "0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
    deadline = time.monotonic() + 180
    while not all((work / f"ready-{n}").exists() for n in range(workers)):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError(f"the order workers did not start: see {work}/worker-*.log")
        time.sleep(0.2)
    return procs


def run_load(
    orders: int,
    seconds: float,
    workdir: Path,
    *,
    workers: int = 2,
    sample_every: float = 5.0,
    drain_timeout: float = 600.0,
    batch: int = 50,
) -> dict[str, Any]:
    """Place ``orders`` over ``seconds`` and wait (at most ``drain_timeout``) until all are through."""
    from hub.config import load_config
    from hub.store import Store
    from hub.workflows.setup import webhook_secret
    from hub.workflows.webhooks import create_webhook_app
    from sandbox.common.server import free_port
    from sandbox.runner import CREDENTIALS, ENV, Sandboxes

    load_start = os.getloadavg()
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("shop", "crm", "pim", "mail", "erp", "sftp")}
    sandboxes = Sandboxes(
        work / "var", ports, fast_limits=True, with_erp=True, tryton_cache=ROOT / "var"
    ).start()
    procs: list[subprocess.Popen[bytes]] = []
    server = None
    try:
        if sandboxes.erp is None:
            from sandbox.tryton.bootstrap import TrytonUnavailable

            raise TrytonUnavailable(sandboxes.erp_error or "Tryton did not start")
        os.environ.update(ENV)
        _seed(sandboxes)
        env = {**os.environ, **ENV, **sandboxes.sftp_env()}
        db = os.environ.get("HUB_LOAD_DATABASE_URL") or f"sqlite:///{work / 'hub.db'}"
        (work / "hub.yaml").write_text(HUB_YAML.format(
            db=db, mappings=ROOT / "mappings", shop=sandboxes.servers["shop"].url, erp=sandboxes.erp.url,
            sftp_port=env["HUB_SFTP_PORT"], key=env["HUB_SFTP_KEY_PATH"], host_key=env["HUB_SFTP_HOST_KEY"],
            partners=work / "no-partners", batch=batch))  # fmt: skip
        config = load_config(work / "hub.yaml")
        store = Store(config.database_url)
        import uvicorn

        webhook_port = free_port()
        app = create_webhook_app(store, webhook_secret(config), max_age_seconds=0)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=webhook_port, log_level="warning",
                                               lifespan="off"))  # fmt: skip
        threading.Thread(target=server.run, daemon=True).start()
        shop = f"{sandboxes.servers['shop'].url}/admin/api/2024-10"
        headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
        requests.post(f"{shop}/webhooks.json", headers=headers, timeout=10, json={
            "webhook": {"topic": "orders/create", "address": f"http://127.0.0.1:{webhook_port}/webhooks/shop"}},
        ).raise_for_status()  # fmt: skip
        procs = _start_workers(work, work / "hub.yaml", workers, env)
        outbox = sandboxes.sftp_root / "3pl" / "to_3pl"
        tryton_pid = erp_pid(sandboxes.erp)
        cpu = {"erp": 0.0, "workers": 0.0, "harness": 0.0}
        cpu0 = {
            "erp": cpu_s(tryton_pid),
            "workers": sum(cpu_s(p.pid) for p in procs),
            "harness": cpu_s(os.getpid()),
        }
        placer = Placer(shop, headers, orders, seconds)
        thread = threading.Thread(target=placer.run, daemon=True)
        start = time.monotonic()
        thread.start()
        samples: list[dict[str, Any]] = []
        next_sample = start
        while True:
            now = time.monotonic()
            if now >= next_sample:
                pick_up(outbox)
                written = written_requests(outbox)
                cpu["erp"] = cpu_s(tryton_pid) or cpu["erp"]
                cpu["workers"] = sum(cpu_s(p.pid) for p in procs) or cpu["workers"]
                placed = len(placer.placed)
                inbox = inbox_now(store)
                samples.append({"t": round(now - start, 1), "placed": placed,
                                "complete": len(written.keys() & placer.placed.keys()),
                                "backlog": placed - len(written.keys() & placer.placed.keys()),
                                "inbox_pending": inbox.get("pending", 0) + inbox.get("processing", 0),
                                "load1": os.getloadavg()[0]})  # fmt: skip
                next_sample += sample_every
                if not thread.is_alive() and samples[-1]["backlog"] == 0:
                    break
                if not thread.is_alive() and now - start > seconds + drain_timeout:
                    break
                if any(p.poll() is not None for p in procs):
                    break
            time.sleep(min(0.5, max(0.0, next_sample - time.monotonic())))
        elapsed = time.monotonic() - start
        cpu["harness"] = cpu_s(os.getpid())
        used = {k: round(cpu[k] - cpu0[k], 1) for k in cpu}
        per_order = {k: round(v / max(len(placer.placed), 1), 3) for k, v in used.items()}
        written = written_requests(outbox)
        latencies = sorted(written[o] - t0 for o, t0 in placer.placed.items() if o in written)
        last = max((written[o] for o in placer.placed if o in written), default=None)
        first = min(placer.placed.values(), default=None)
        verify = {**check_erp(sandboxes, placer.placed, written), **settled(store, len(placer.placed))}
        inbox = inbox_now(store)
        return {
            "scenario": "chaos_load",
            "orders": orders,
            "seconds": seconds,
            "workers": workers,
            "batch": batch,
            "store": store.dialect,
            "placed": len(placer.placed),
            "place_errors": placer.errors[:20],
            "complete": len(latencies),
            "arrival_per_s": round(len(placer.placed) / seconds, 2),
            "throughput_per_s": round(len(latencies) / (last - first), 2)
            if latencies and last and first
            else None,
            "elapsed_s": round(elapsed, 1),
            "drained": bool(samples) and samples[-1]["backlog"] == 0 and len(latencies) == len(placer.placed),
            "latency_s": {
                "p50": pct(latencies, 50),
                "p95": pct(latencies, 95),
                "p99": pct(latencies, 99),
                "max": round(latencies[-1], 3) if latencies else None,
                "mean": round(statistics.fmean(latencies), 3) if latencies else None,
            },
            "backlog": samples,
            "inbox_end": inbox,
            "verify": verify,
            "worker_exit": [p.poll() for p in procs],
            # CPU seconds during the run: trytond, the hub workers, this process (shop, SFTP server, receiver)
            "cpu_s": used,
            "cpu_s_per_order": per_order,
            "path": "shop order -> signed webhook -> receiver -> order_inbox -> workers (OrderFlow.process_orders)"
            " -> Tryton sale confirmed -> 3PL request over SFTP",
            "machine": {
                "cores": os.cpu_count(),
                "load_avg_start": load_start,
                "load_avg_end": os.getloadavg(),
            },
        }
    finally:
        (work / "stop").touch()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if server is not None:
            server.should_exit = True
        sandboxes.stop()


def _worker(config_path: Path, stop: Path, ready: Path, advance: bool) -> int:
    """One worker process: drain the inbox in batches until the stop file appears."""
    import logging

    from hub.config import load_config
    from hub.workflows.wiring import build_order_flow

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    flow = build_order_flow(load_config(config_path), run_id=f"load-{os.getpid()}")
    ready.touch()
    try:
        redriven = time.monotonic()
        while not stop.exists():
            t = time.monotonic()
            try:
                stats = flow.processor.process_inbox(max_batches=1)
                if advance and t - redriven > 10.0:  # what is owed (a failed hand-off), now and then
                    flow.processor.advance(stats, settled=timedelta(seconds=60))
                    redriven = t
            except Exception as exc:  # a fault must not end the worker: the next loop re-drives
                logging.getLogger("load").warning("worker loop failed: %s: %s", type(exc).__name__, exc)
                time.sleep(1.0)
                continue
            if stats.claimed:
                print(f"{time.time():.1f} claimed {stats.claimed} done {stats.done} retried {stats.retried} "
                      f"failed {stats.failed} in {time.monotonic() - t:.2f}s", flush=True)  # fmt: skip
            else:
                time.sleep(0.2)
    finally:
        flow.close()
    return 0


def _table(result: dict[str, Any], every: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = Table(title=f"Order load: {result['orders']} orders in {result['seconds']:.0f} s")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    lat = result["latency_s"]
    rows = [("placed / complete", f"{result['placed']} / {result['complete']}"),
            ("arrival rate", f"{result['arrival_per_s']} /s"), ("throughput", f"{result['throughput_per_s']} /s"),
            ("latency p50 / p95 / p99 / max", f"{lat['p50']} / {lat['p95']} / {lat['p99']} / {lat['max']} s"),
            ("drained", str(result["drained"])), ("workers / batch", f"{result['workers']} / {result['batch']}"),
            ("duplicate sales", str(len(result["verify"]["duplicate_sales"]))),
            ("not confirmed / not written",
             f"{len(result['verify']['not_confirmed'])} / {len(result['verify']['not_written'])}"),
            ("CPU s per order: Tryton / workers / harness",
             " / ".join(str(result["cpu_s_per_order"][k]) for k in ("erp", "workers", "harness"))),
            ("load average at end", " ".join(f"{x:.2f}" for x in result["machine"]["load_avg_end"]))]  # fmt: skip
    for row in rows:
        summary.add_row(*row)
    console.print(summary)
    backlog = Table(title="Backlog over time (placed - complete)")
    for col in ("t (s)", "placed", "complete", "backlog", "inbox pending", "load1"):
        backlog.add_column(col, justify="right")
    shown, step = -every, max(every, 30.0)
    for s in result["backlog"]:
        if s["t"] - shown >= step or s is result["backlog"][-1]:
            backlog.add_row(
                *(str(s[k]) for k in ("t", "placed", "complete", "backlog", "inbox_pending", "load1"))
            )
            shown = s["t"]
    console.print(backlog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "chaos_load.json")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--advance", default="1", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return _worker(args.worker, args.stop, args.ready, args.advance == "1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hub-load-"))
    result = run_load(args.orders, args.seconds, workdir, workers=args.workers, sample_every=args.sample_every,
                      drain_timeout=args.drain_timeout, batch=args.batch)  # fmt: skip
    _table(result, args.sample_every)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"written {args.out} (work files in {workdir})")
    return 0 if result["drained"] and not result["verify"]["duplicate_sales"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
