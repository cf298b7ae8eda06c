"""``python -m tests.chaos.all``: the whole reliability run of ``make chaos`` in one go, then one table.

The parts run one after the other, each in its own process (its own servers, ports and environment; a part
that crashes does not stop the others): the fuzz tests under the chaos profile (pytest), SIGKILL at all 20
crash points, a short burst of orders through the order flow, and the fault rounds at 30% against a clean
run. Each part prints its own figures and writes its JSON under bench/results/; this runner then prints
the headline figures of all four side by side, writes bench/results/chaos_summary.json and exits 1 when any
guarantee failed (something lost, duplicated, changed or numbered twice, a point not killed or not
converged, the backlog not drained, a fuzz test failing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Part:
    """One part: its command, then how long it took, its exit code and the figures read from its report."""

    name: str
    what: str
    cmd: list[str]
    read: Callable[[Part], None]  # fills figures and ok from the part's report
    env: dict[str, str] | None = None
    log: Path | None = None  # None: the part prints to this terminal
    seconds: float = 0.0
    cpu_s: float = 0.0
    rc: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    ok: bool = False
    error: str = ""
    started: float = 0.0  # time.time() at its start: a report older than that is stale
    _t0: float = 0.0  # time.monotonic() at its start
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        print(f"\n== chaos: {self.name} ({self.what})", flush=True)
        out = self.log.open("w") if self.log else None
        self.started, self._t0 = time.time(), time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT if out
                                     else None)  # fmt: skip
        if out:
            out.close()

    def finish(self) -> None:
        """Wait for it (its own CPU seconds and those of every process it reaped), then read its report."""
        assert self.proc is not None
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = self.rc = os.waitstatus_to_exitcode(status)
        self.seconds, self.cpu_s = time.monotonic() - self._t0, usage.ru_utime + usage.ru_stime
        try:
            self.read(self)
        except Exception as exc:  # a part that broke is a failed guarantee, the others still count
            self.ok, self.error = False, f"{type(exc).__name__}: {exc}"[:200]


def _report(part: Part, path: Path) -> dict[str, Any]:
    """The part's JSON when this run wrote it (a file left from an earlier run does not count)."""
    if not path.exists() or path.stat().st_mtime < part.started:
        raise RuntimeError(f"{path.name} was not written (exit {part.rc}): see the part's output above")
    return dict(json.loads(path.read_text()))


def fuzz(work: Path) -> Part:
    def read(part: Part) -> None:
        assert part.log is not None
        text = part.log.read_text()
        examples = sum(int(n) for n in re.findall(r"(\d+) passing, ", text))
        failing = sum(int(n) for n in re.findall(r"(\d+) failing, ", text))
        lines = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed)", line)]
        summary = lines[-1].strip("= ") if lines else "no pytest summary"
        counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary)}
        part.figures = {
            "examples": examples,
            "failing_examples": failing,
            "tests": counts,
            "log": str(part.log),
        }
        part.ok = part.rc == 0 and not failing and counts.get("passed", 0) > 0
        print(f"fuzz: {summary} ({examples} examples; statistics in {part.log})", flush=True)

    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
           "tests/fuzz"]  # fmt: skip
    env = {**os.environ, "HYPOTHESIS_PROFILE": "chaos"}
    return Part("fuzz", "hypothesis, chaos profile", cmd, read, env=env, log=work / "fuzz.log")


def crashes(work: Path, results: Path = RESULTS) -> Part:
    out = results / "chaos_crashes.json"

    def read(part: Part) -> None:
        report = _report(part, out)
        t = report["totals"]
        part.figures = {k: t[k] for k in ("points", "killed", "converged", "duplicates", "reused_control_numbers",
                                          "lost", "lanes")}  # fmt: skip
        part.ok = part.rc == 0 and bool(report.get("passed")) and t["points"] == 20

    shutil.rmtree(work / "crashes", ignore_errors=True)
    cmd = [sys.executable, "-m", "tests.chaos.crashes", str(work / "crashes"), "--out", str(out)]
    return Part("crashes", "SIGKILL at 20 points", cmd, read)


def load(work: Path, orders: int, seconds: float, workers: int, results: Path = RESULTS) -> Part:
    out = results / "chaos_burst.json"  # chaos_load.json is the 5,000-order run of make chaos-load

    def read(part: Part) -> None:
        r = _report(part, out)
        verify = r.get("verify", {})
        part.figures = {
            "placed": r["placed"], "complete": r["complete"], "throughput_per_s": r["throughput_per_s"],
            "arrival_per_s": r["arrival_per_s"], "backlog_peak": max((s["backlog"] for s in r["backlog"]), default=0),
            "drained": r["drained"], "latency_s": r["latency_s"],
            "duplicate_sales": len(verify.get("duplicate_sales", [])), "not_written": len(verify.get("not_written", [])),
        }  # fmt: skip
        part.ok = (
            part.rc == 0 and r["drained"] and not verify.get("duplicate_sales") and r["placed"] == orders
        )

    cmd = [sys.executable, "-m", "tests.chaos.load", "--orders", str(orders), "--seconds", str(seconds),
           "--workers", str(workers), "--drain-timeout", "300", "--workdir", str(work / "load"), "--out", str(out)]  # fmt: skip
    return Part("load", f"{orders} orders in {seconds:.0f} s, {workers} workers", cmd, read)


def faults(rounds: int, rate: float, results: Path = RESULTS) -> Part:
    out = results / "chaos_faults.json"

    def read(part: Part) -> None:
        r = _report(part, out)
        faulty = r["runs"]["faulty"]
        part.figures = {
            "rounds": r["rounds"], "rate": r["rate"], "lost": r["lost"], "duplicated": r["duplicated"],
            "changed": r["changed"], "converged": f"{sum(faulty['converged'])}/{len(faulty['converged'])}",
            "faults_injected": sum(c["faults"] for c in r["faults"].values()),
            "reused_control_numbers": r["categories"].get("EDI control numbers (ISA13 out)", {}).get("duplicated", 0),
        }  # fmt: skip
        part.ok = (
            part.rc == 0 and r["lost"] == r["duplicated"] == r["changed"] == 0 and all(faulty["converged"])
        )

    cmd = [
        sys.executable,
        "-m",
        "tests.chaos",
        "--rounds",
        str(rounds),
        "--rate",
        str(rate),
        "--out",
        str(out),
    ]
    return Part("faults", f"{rounds} rounds at {rate:.0%} faults", cmd, read)


def render(parts: list[Part], total: float, cpu: float) -> None:
    """The headline figures: one column per part, one row per figure ('-' where a figure does not apply)."""
    from rich.console import Console
    from rich.table import Table

    f = {p.name: p.figures for p in parts}
    get: Callable[[str, str], Any] = lambda name, key: f.get(name, {}).get(key, "-")  # noqa: E731
    lat = f.get("load", {}).get("latency_s") or {}
    rows: list[tuple[str, dict[str, Any]]] = [
        ("what ran", {p.name: p.what for p in parts}),
        ("seconds (wall)", {p.name: f"{p.seconds:.0f}" for p in parts}),
        ("CPU seconds", {p.name: f"{p.cpu_s:.0f}" for p in parts}),
        ("lost", {"crashes": get("crashes", "lost"), "faults": get("faults", "lost"),
                  "load": get("load", "not_written")}),
        ("duplicated", {"crashes": get("crashes", "duplicates"), "faults": get("faults", "duplicated"),
                        "load": get("load", "duplicate_sales")}),
        ("changed", {"faults": get("faults", "changed")}),
        ("reused control numbers", {"crashes": get("crashes", "reused_control_numbers"),
                                    "faults": get("faults", "reused_control_numbers")}),
        ("killed / converged", {
            "crashes": f"{get('crashes', 'killed')}/{get('crashes', 'points')} / "
                       f"{get('crashes', 'converged')}/{get('crashes', 'points')}",
            "faults": f"- / {get('faults', 'converged')} rounds"}),
        ("faults injected", {"faults": get("faults", "faults_injected")}),
        ("throughput", {"load": f"{get('load', 'throughput_per_s')}/s (arrivals {get('load', 'arrival_per_s')}/s)"}),
        ("backlog peak, drained", {"load": f"{get('load', 'backlog_peak')}, {get('load', 'drained')}"}),
        ("latency p50 / p95 / p99", {"load": f"{lat.get('p50')} / {lat.get('p95')} / {lat.get('p99')} s"}),
        ("fuzz examples run", {"fuzz": get("fuzz", "examples")}),
        ("guarantees held", {p.name: "yes" if p.ok else f"[red]NO[/red] {p.error}".strip() for p in parts}),
    ]  # fmt: skip
    table = Table(title=f"make chaos: {total:.0f} s wall, {cpu:.0f} CPU s, load average "
                        + " ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip
    table.add_column("figure")
    for p in parts:
        table.add_column(p.name, justify="right")
    for label, values in rows:
        table.add_row(label, *(str(values.get(p.name, "-")) for p in parts))
    console = Console()
    if not console.is_terminal:  # a log or a pipe: wide enough for one line per figure
        console.width = 160
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.all", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip", action="append", default=[], choices=("fuzz", "crashes", "load", "faults"))
    parser.add_argument("--out", type=Path, default=RESULTS / "chaos_summary.json")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="chaos-all-"))
    parts = {
        "crashes": crashes(work),
        "load": load(work, args.orders, args.seconds, args.workers),
        "fuzz": fuzz(work),
        "faults": faults(args.rounds, args.rate),
    }
    parts = {name: part for name, part in parts.items() if name not in args.skip}
    started, load0 = time.monotonic(), os.getloadavg()
    # crashes and load alone (the load figures are timings); the fuzz tests (one core) beside the fault
    # rounds, whose clean world finishes well before the faulty one and leaves a core free
    for name in ("crashes", "load"):
        if name in parts:
            parts[name].start()
            parts[name].finish()
    together = [parts[name] for name in ("fuzz", "faults") if name in parts]
    for part in together:
        part.start()
    for part in reversed(together):
        part.finish()
    total = time.monotonic() - started
    order = [parts[name] for name in ("fuzz", "crashes", "load", "faults") if name in parts]
    cpu = sum(p.cpu_s for p in order)
    render(order, total, cpu)
    summary = {
        "scenario": "chaos_summary",
        "passed": bool(order) and all(p.ok for p in order),
        "seconds": round(total, 1),
        "cpu_s": round(cpu, 1),
        "machine": {"cores": os.cpu_count(), "load_avg_start": load0, "load_avg_end": os.getloadavg()},
        "parts": {
            p.name: {
                "what": p.what,
                "seconds": round(p.seconds, 1),
                "cpu_s": round(p.cpu_s, 1),
                "rc": p.rc,
                "ok": p.ok,
                "error": p.error,
                **p.figures,
            }
            for p in order
        },
        "work": str(work),
    }
    args.out.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"written {args.out} (work files in {work})")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
