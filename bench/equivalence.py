"""Behaviour check for the optimised engine: the same input gives the same store and the same files.

    .venv/bin/python -m bench.equivalence --reference /path/to/older/checkout [--n 3000] [--engine sqlite|postgresql]

Runs a full sync (PIM JSON Lines with planted defects, an ERP CSV with prices, conflicts and an
orphan, publish to ERP and shop), then an incremental one (1% changed), once with this checkout's
code and once with the reference checkout's, and compares every table the engine writes (timestamps
and generated ids aside) and every file it published.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.catalogue import changed_indexes, write_catalogue, write_changes

ROOT = Path(__file__).resolve().parent.parent

RUNNER = r"""
import json, sys
from pathlib import Path
import sqlalchemy as sa
from connectors.files.connector import FilesConnector
from hub.engine.runner import sync_entity
from hub.mapping.loader import load_mappings
from hub.store import Store

url, work, run_id = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = Store(url)
mapping = load_mappings(Path(sys.argv[4]) / "mappings", only=["product"])["product"]
conns = {s: FilesConnector(s, inbox=str(work / s), outbox=str(work / "out" / s)) for s in ("pim", "erp", "shop")}
stats = sync_entity(store, mapping, conns, run_id, batch_size=500)
print("STATS " + json.dumps([s.to_dict() for s in stats]))
"""

DUMP = {
    "golden_records": "SELECT entity, key, data, hash, version, provenance, run_id FROM golden_records",
    "xref": "SELECT entity, key, system, system_id, source_hash FROM xref",
    "deliveries": "SELECT entity, key, target, hash, payload_hash, payload, system_id, run_id FROM deliveries",
    "audit_events": "SELECT run_id, entity, key, system, target, action, changes, mapping_version, correlation "
    "FROM audit_events",
    "failures": "SELECT fingerprint, run_id, entity, key, system, stage, rule, field, message, raw, retriable, "
    "status, attempts FROM failures",
    "sync_stats": "SELECT run_id, entity, system, stage, read, created, updated, unchanged, rejected, conflicts, "
    "delivered, cursor FROM sync_stats",
}


def erp_csv(path: Path, n: int) -> None:
    """Prices for every 3rd SKU, one unknown SKU (orphan), names that differ from the PIM's (conflicts)."""
    from bench.catalogue import product

    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["code,name,list_price,cost_price,currency,default_uom"]
    for i in range(0, n, 3):
        name = product(i)["values"]["name"] + (" ERP" if i % 9 == 0 else "")
        lines.append(
            f"SKU-{1000000 + i},{name},{i % 500 + 1.5},{i % 300 + 0.25},usd,{'Case' if i % 2 else 'Unit'}"
        )
    lines.append("SKU-9999999,Ghost,1.00,0.50,USD,Unit")
    lines.append("SKU-1000012,Bad price,abc,0.50,USD,Unit")
    path.write_text("\n".join(lines) + "\n")


def run(code_root: Path, url: str, work: Path, n: int) -> dict[str, object]:
    shutil.rmtree(work, ignore_errors=True)
    (work / "pim" / "product").mkdir(parents=True)
    write_catalogue(work / "pim" / "product" / "0-full.jsonl", n)
    erp_csv(work / "erp" / "product" / "prices.csv", n)
    env = {"PYTHONPATH": str(code_root), "PATH": "/usr/bin:/bin"}
    out: dict[str, object] = {}
    for run_id in ("full", "incremental"):
        if run_id == "incremental":
            write_changes(work / "pim" / "product" / "1-delta.jsonl", n, 0.01)
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, url, str(work), run_id, str(code_root)],
            cwd=code_root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            raise RuntimeError(proc.stderr[-4000:])
        out[f"stats_{run_id}"] = json.loads(proc.stdout.split("STATS ", 1)[1])
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for table, sql in DUMP.items():
            out[table] = sorted(json.dumps(list(r), default=str) for r in conn.execute(sa.text(sql)))
    engine.dispose()
    files = {}
    for file in sorted((work / "out").rglob("*")):
        if file.is_file():
            files[str(file.relative_to(work))] = file.read_text()
    out["files"] = files
    return out


def _provenance_without_times(rows: list[str]) -> list[str]:
    """Provenance holds [system, run, at]: the time differs between two runs, the rest must not."""
    cleaned = []
    for text in rows:
        row = json.loads(text)
        prov = json.loads(row[5])
        row[5] = {k: v[:2] for k, v in prov.items()}
        cleaned.append(json.dumps(row, sort_keys=True))
    return sorted(cleaned)


def _pg_schema(schema: str) -> str:
    """A fresh PostgreSQL schema (the one S6 uses, under another name) and a store URL that uses it."""
    import sqlalchemy as sa

    from bench.sync import PG_BASE

    admin = sa.create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in PG_BASE else "?"
    return f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--url-base", default="", help="a store URL with {name} (reference, current)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    base = ROOT / "var" / "equivalence"
    results = []
    for name, root in (("reference", args.reference), ("current", ROOT)):
        if args.url_base:
            url = args.url_base.replace("{name}", name)
        elif args.engine == "postgresql":
            url = _pg_schema(f"hub_equivalence_{name}")
        else:
            url = f"sqlite:///{base / name / 'hub.db'}"
        if url.startswith("sqlite"):
            shutil.rmtree(base / name, ignore_errors=True)
            (base / name).mkdir(parents=True)
        results.append(run(root, url, base / name / "work", args.n))
    ref, cur = results
    for side in (ref, cur):  # the cursor holds the files' mtimes, which differ between the two copies
        side["sync_stats"] = [re.sub(r"(\d+)-\d{12,}", r"\1-MTIME", t) for t in side["sync_stats"]]  # type: ignore[union-attr]
    ref["golden_records"] = _provenance_without_times(ref["golden_records"])  # type: ignore[arg-type]
    cur["golden_records"] = _provenance_without_times(cur["golden_records"])  # type: ignore[arg-type]
    same = True
    for key in ref:
        equal = ref[key] == cur[key]
        same &= equal
        size = len(ref[key]) if isinstance(ref[key], (list, dict)) else ""
        print(f"{key:<20}{'same' if equal else 'DIFFERENT':>10}  {size}")
        if not equal and isinstance(ref[key], list):
            a = {json.dumps(x, sort_keys=True) for x in ref[key]}  # type: ignore[union-attr]
            b = {json.dumps(x, sort_keys=True) for x in cur[key]}  # type: ignore[union-attr]
            for line in sorted(a - b)[:3]:
                print("  reference only:", line[:300])
            for line in sorted(b - a)[:3]:
                print("  current only:  ", line[:300])
    print(f"changed records in the delta: {len(changed_indexes(args.n, 0.01))}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
