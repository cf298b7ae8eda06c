"""S1 full sync and S2 incremental sync, hub against dlt, on SQLite or PostgreSQL (S6).

    .venv/bin/python -m bench.sync --n 100000 --engine sqlite [--repeat 2] [--profile]

Every step runs in its own process (``bench.child``) so its peak RSS is its own; each scenario takes
the best of ``--repeat`` runs, because the machine's cores are shared. Prints a table per scenario and
writes ``bench/results/<scenario>.json`` (hardware, load average, N, seconds, records/s, peak RSS,
ratio against the peer measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.catalogue import changed_indexes, write_catalogue, write_changes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"
PG_BASE = os.environ.get("HUB_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "hub_bench"
DLT_DATASET = "dlt_bench"
CHANGE_RATE = 0.01
TARGETS = {"throughput_ratio": 1.5, "peak_rss_mb_1m": 400, "rss_growth_pct": 20, "incremental_share": 0.05}


def hardware() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1e6, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "note": "cores shared with other engineers' test runs; best of the repeats is reported",
    }


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def data_files(n: int) -> tuple[Path, Path, int]:
    """The catalogue and its 1% delta, generated once per N (deterministic)."""
    folder = WORK / "data"
    full, delta = folder / f"products-{label(n)}.jsonl", folder / f"products-{label(n)}-delta.jsonl"
    if not full.exists():
        print(f"generating {n:,} products -> {full}", flush=True)
        tmp = full.with_suffix(".tmp")
        write_catalogue(tmp, n)
        tmp.rename(full)
    if not delta.exists():
        write_changes(delta, n, CHANGE_RATE)
    return full, delta, len(changed_indexes(n, CHANGE_RATE))


def child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            result["load_avg"] = [round(x, 2) for x in os.getloadavg()]
            return result
    raise RuntimeError(f"bench step failed ({spec['side']}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")


def urls(engine: str, work: Path) -> tuple[str, str]:
    """(hub store URL, dlt destination URL)"""
    if engine == "sqlite":
        return f"sqlite:///{work / 'hub.db'}", f"sqlite:///{work / 'dlt.db'}"
    sep = "&" if "?" in PG_BASE else "?"
    import sqlalchemy as sa

    peer = sa.engine.make_url(PG_BASE.replace("+psycopg2", ""))
    if peer.password is None:  # dlt insists on a password; trust authentication ignores it
        peer = peer.set(password="unused")
    return f"{PG_BASE}{sep}options=-csearch_path%3D{PG_SCHEMA}", peer.render_as_string(hide_password=False)


def reset(engine: str, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    (work / "pim" / "product").mkdir(parents=True)
    if engine == "postgresql":
        import sqlalchemy as sa

        admin = sa.create_engine(PG_BASE)
        with admin.begin() as conn:
            for schema in (PG_SCHEMA, DLT_DATASET, f"{DLT_DATASET}_staging"):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        admin.dispose()


def one_round(engine: str, n: int, batch: int, profile: bool) -> dict[str, dict[str, Any]]:
    """Full sync then incremental sync, hub and dlt, from empty stores."""
    full, delta, changed = data_files(n)
    work = WORK / engine
    reset(engine, work)
    hub_url, dlt_url = urls(engine, work)
    inbox = work / "pim" / "product"
    os.symlink(full, inbox / "0-full.jsonl")
    common = {"work": str(work), "engine": engine, "batch_size": batch}
    prof = str(RESULTS / f"profile_{engine}_{label(n)}") if profile else None
    out: dict[str, dict[str, Any]] = {}
    out["hub_full"] = child(
        {**common, "side": "hub", "url": hub_url, "run_id": "bench-full", "profile": prof}
    )
    out["dlt_full"] = child(
        {**common, "side": "dlt", "url": dlt_url, "file": str(full), "dataset": DLT_DATASET}
    )
    os.symlink(delta, inbox / "1-delta.jsonl")
    out["hub_incr"] = child(
        {**common, "side": "hub", "url": hub_url, "run_id": "bench-incr", "profile": prof and prof + "_incr"}
    )
    out["dlt_incr"] = child(
        {**common, "side": "dlt", "url": dlt_url, "file": str(delta), "dataset": DLT_DATASET}
    )
    from bench.hub_side import counts

    out["hub_incr"]["counts"] = counts(hub_url)
    out["hub_incr"]["changed_rows"] = changed
    return out


def best(rounds: list[dict[str, dict[str, Any]]], key: str) -> dict[str, Any]:
    return min((r[key] for r in rounds), key=lambda x: x["seconds"])


def summarise(engine: str, n: int, rounds: list[dict[str, dict[str, Any]]]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    changed = rounds[0]["hub_incr"]["changed_rows"]
    hub_full, dlt_full = best(rounds, "hub_full"), best(rounds, "dlt_full")
    hub_incr, dlt_incr = best(rounds, "hub_incr"), best(rounds, "dlt_incr")
    prefix = "s6_" if engine == "postgresql" else ""
    common = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "hardware": hardware(),
        "engine": engine,
        "n": n,
        "repeats": len(rounds),
        "all_runs": rounds,
    }
    scenarios = {
        f"{prefix}s1_full_{engine}_{label(n)}": ("S1 full sync", n, hub_full, dlt_full, None),
        f"{prefix}s2_incremental_{engine}_{label(n)}": (
            "S2 incremental sync (1% changed)",
            changed,
            hub_incr,
            dlt_incr,
            hub_full,
        ),
    }
    for name, (title, rows, hub, peer, full_run) in scenarios.items():
        ratio = peer["seconds"] / hub["seconds"]
        result: dict[str, Any] = {
            "scenario": name,
            **common,
            "rows": rows,
            "hub": {**_figures(hub, rows)},
            "peer": {"name": "dlt 1.31, Arrow reader, merge on SKU", **_figures(peer, rows)},
            "ratio_vs_peer": round(ratio, 2),
            "load_avg": hub["load_avg"],
        }
        if full_run is not None:
            result["share_of_full_run"] = round(hub["seconds"] / full_run["seconds"], 4)
            result["target_met"] = {"share_of_full_run<=0.05": result["share_of_full_run"] <= 0.05}
        else:
            result["target_met"] = {"throughput>=1.5x_dlt": ratio >= TARGETS["throughput_ratio"]}
            if n >= 1_000_000:
                result["target_met"]["peak_rss<=400MB"] = hub["peak_rss_mb"] <= TARGETS["peak_rss_mb_1m"]
                small = RESULTS / f"{name.rsplit('_', 1)[0]}_100k.json"
                if small.exists():
                    base = json.loads(small.read_text())["hub"]["peak_rss_mb"]
                    growth = (hub["peak_rss_mb"] / base - 1) * 100
                    result["rss_growth_from_100k_pct"] = round(growth, 1)
                    result["target_met"]["rss_growth<20%"] = growth < TARGETS["rss_growth_pct"]
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        _print(title, engine, rows, result)


def _figures(run: dict[str, Any], rows: int) -> dict[str, Any]:
    return {
        "seconds": round(run["seconds"], 3),
        "cpu_seconds": run.get("cpu_seconds"),
        "records_per_s": round(rows / run["seconds"]),
        "peak_rss_mb": run["peak_rss_mb"],
        "load_avg": run["load_avg"],
    }


def _print(title: str, engine: str, rows: int, result: dict[str, Any]) -> None:
    print(f"\n{title}, {rows:,} records, {engine} (load average {result['load_avg'][0]})")
    print(f"{'':<36}{'seconds':>10}{'CPU s':>8}{'records/s':>12}{'peak RSS MB':>13}")
    for side, name in (
        ("hub", "hub (translate+validate+merge+audit)"),
        ("peer", "dlt (Arrow, merge on SKU)"),
    ):
        f = result[side]
        print(
            f"{name:<36}{f['seconds']:>10.2f}{f['cpu_seconds']:>8.1f}{f['records_per_s']:>12,}{f['peak_rss_mb']:>13.0f}"
        )
    print(f"hub / dlt throughput: {result['ratio_vs_peer']:.2f}x", end="")
    if "share_of_full_run" in result:
        print(f"; hub incremental = {result['share_of_full_run'] * 100:.1f}% of its full run", end="")
    print(f"; targets: {result['target_met']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000, help="hub batch size (hub.yaml's default)")
    parser.add_argument("--profile", action="store_true", help="profile the hub steps (pyinstrument)")
    args = parser.parse_args()
    rounds = [one_round(args.engine, args.n, args.batch, args.profile) for _ in range(args.repeat)]
    summarise(args.engine, args.n, rounds)


if __name__ == "__main__":
    main()
