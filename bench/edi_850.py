"""Benchmark: a 2,000-PO 850 (44,004 segments) through normalise + validate + translate + ack, against pyx12.

    .venv/bin/python bench/edi_850.py [--orders 2000] [--repeat 3]

Prints a table and writes bench/results/edi.json. pyx12 runs ``x12n_document`` on the same (normalised) text with
the same maps (``map_path=connectors/x12/maps``), which is the reference the hub keeps for differential tests.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import platform
import time
from datetime import datetime
from pathlib import Path

from connectors.x12.acks import Sequence, build_ack
from connectors.x12.mapspec import MAPS_DIR, map_set
from connectors.x12.normalise import normalise
from connectors.x12.partners import load_partner
from connectors.x12.translate import translate_orders
from connectors.x12.validate import validate

ROOT = Path(__file__).resolve().parent.parent


def make_850(orders: int, lines: int = 6) -> bytes:
    """One interchange, one group, ``orders`` 850s of 22 segments each (6 lines): 44,004 segments for 2,000."""
    segs = [
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*COMMERCEHUB    *240501*1200*U*00401*000000101*0*P*>",
        "GS*PO*ACMERETAIL*COMMERCEHUB*20240501*1200*101*X*004010VICS",
    ]
    items = [("012345678905", "SKU-1001"), ("012345678912", "SKU-1002"), ("012345678929", "SKU-1003")]
    for n in range(1, orders + 1):
        store = n % 97
        body = [
            f"BEG*00*SA*PO{n:06d}**202405{n % 28 + 1:02d}",
            f"REF*DP*{n % 50:03d}",
            "PER*BD*BUYER*TE*5551234567",
            f"DTM*002*202406{n % 28 + 1:02d}",
            f"N1*ST*STORE {store}*92*{store:04d}",
            f"N3*{store} MAIN ST",
            "N4*SPRINGFIELD*IL*62701",
        ]
        for k in range(1, lines + 1):
            upc, vp = items[(n + k) % 3]
            body += [
                f"PO1*{k}*{(n * k) % 48 + 1}*EA*{(n + k) % 9 + 1}.{k}5**UP*{upc}*VN*{vp}",
                f"PID*F****WIDGET {k}",
            ]
        body.append(f"CTT*{lines}")
        segs += [f"ST*850*{n:04d}", *body, f"SE*{len(body) + 2}*{n:04d}"]
    segs += [f"GE*{orders}*101", "IEA*1*000000101"]
    return ("~\n".join(segs) + "~\n").encode()


def ours(data: bytes) -> dict[str, float]:
    profile = load_partner(ROOT / "mappings" / "partners" / "acme.yaml")
    t0 = time.perf_counter()
    normalised = normalise(data)
    t1 = time.perf_counter()
    result = validate(normalised)
    t2 = time.perf_counter()
    orders = translate_orders(result, profile)
    t3 = time.perf_counter()
    ack = build_ack(result.interchanges[0], Sequence(), datetime(2024, 5, 1, 12, 0))
    t4 = time.perf_counter()
    assert result.status == "accepted" and ack is not None and len(orders) == len(result.transactions())
    return {"normalise": t1 - t0, "validate": t2 - t1, "translate": t3 - t2, "ack": t4 - t3, "total": t4 - t0}


def reference(text: str) -> dict[str, float]:
    import pyx12.params
    import pyx12.x12file
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    t0 = time.perf_counter()
    for _ in pyx12.x12file.X12Reader(io.StringIO(text)):
        pass
    t1 = time.perf_counter()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), io.StringIO(), None, map_path=str(MAPS_DIR)
    )
    t2 = time.perf_counter()
    assert ok
    return {"reader": t1 - t0, "x12n_document": t2 - t1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pyx12", action="store_true")
    args = parser.parse_args()
    data = make_850(args.orders)
    text = normalise(data).interchanges[0].text()
    segments = text.count("~")
    map_set(MAPS_DIR).load("850.4010.xml")  # compile the map once, as a long-running hub does
    runs = [ours(data) for _ in range(args.repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    first = runs[0]
    ref = reference(text) if not args.skip_pyx12 else {}
    print(f"850 with {args.orders} POs: {segments} segments, {len(data) / 1e6:.2f} MB")
    print(f"{'step':<28}{'seconds':>10}")
    for key, value in best.items():
        print(f"{'hub ' + key:<28}{value:>10.3f}")
    print(f"{'hub total, first run':<28}{first['total']:>10.3f}")
    for key, value in ref.items():
        print(f"{'pyx12 ' + key:<28}{value:>10.3f}")
    if ref:
        print(f"{'speed-up (validate)':<28}{ref['x12n_document'] / best['validate']:>9.1f}x")
    out = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "orders": args.orders,
        "segments": segments,
        "bytes": len(data),
        "hub_best_of": args.repeat,
        "hub_seconds": best,
        "hub_first_run_seconds": first,
        "pyx12_seconds": ref,
        "target_total_seconds": 1.0,
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "edi.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
