"""``python -m tests.chaos [--rounds 10] [--rate 0.3]``: the fault scenario in full, a table of the figures,
and ``bench/results/chaos_faults.json``. Exit status 1 when anything was lost, duplicated or changed."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tests.chaos.faults import run_faults

ROOT = Path(__file__).resolve().parents[2]


def render(result: dict[str, Any], console: Console) -> None:
    """The comparison per category, the faults per system and the passes per round."""
    table = Table(title=f"{result['rounds']} rounds at {result['rate']:.0%} faults vs a clean run")
    for column in ("category", "clean", "faulty", "lost", "duplicated", "changed"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for name, row in result["categories"].items():
        table.add_row(name, *(str(row[k]) for k in ("clean", "faulty", "lost", "duplicated", "changed")))
    table.add_row("total", "", "", str(result["lost"]), str(result["duplicated"]), str(result["changed"]))
    console.print(table)
    faults = Table(title="Faults injected (faulty run)")
    for column in ("system", "requests", "faults", "share", "by kind"):
        faults.add_column(column, justify="left" if column in ("system", "by kind") else "right")
    for system, counts in result["faults"].items():
        kinds = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in ("requests", "faults"))
        share = counts["faults"] / counts["requests"] if counts["requests"] else 0.0
        faults.add_row(system, str(counts["requests"]), str(counts["faults"]), f"{share:.0%}", kinds)
    console.print(faults)
    for name, run in result["runs"].items():
        console.print(
            f"{name}: {run['seconds']} s, passes per round {run['passes']}, "
            f"converged {sum(run['converged'])}/{len(run['converged'])}, failed steps {run['errors'] or 'none'}; "
            f"phases {run.get('phase_seconds', {})}"
        )
    for category, diffs in result["differences"].items():
        console.print(f"[red]{category}[/red]: " + "; ".join(diffs))
    how = "both worlds at once" if result.get("parallel") else "one world after the other"
    console.print(
        f"total {result['seconds']} s ({how}), {result.get('cpu_s', '?')} CPU s, "
        f"load average {result.get('loadavg', '?')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--serial", action="store_true", help="the clean world first, then the faulty one")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "chaos_faults.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaos-faults-") as tmp:
        result = run_faults(args.rounds, args.rate, Path(tmp), parallel=not args.serial)
    result["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    console = Console()
    if not console.is_terminal:  # a log or a pipe (make chaos): one line per category
        console.width = 120
    render(result, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0 if result["lost"] == result["duplicated"] == result["changed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
