"""One measured step in a fresh process, so its peak RSS is its own: ``python -m bench.child '<json>'``.

Prints one line ``RESULT {...}`` with the wall-clock seconds of the step (imports excluded), the
peak RSS of the process (``getrusage``), the RSS after imports, and what the step returned.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _profiler() -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    return profiler


def run(spec: dict[str, Any]) -> dict[str, Any]:
    work = Path(spec["work"])
    if spec["side"] == "hub":
        import connectors.files.connector  # noqa: F401  (imports are not part of the measured time)
        import hub.engine.ingest  # noqa: F401
        from bench import hub_side

        start_rss = _rss_mb()
        cpu0 = _cpu()
        profiler = _profiler() if spec.get("profile") else None
        t0 = time.perf_counter()
        out = hub_side.sync(spec["url"], work, spec["run_id"], spec["batch_size"])
        if profiler is not None:
            profiler.stop()
            text = profiler.output_text(unicode=False, color=False, show_all=False)
            Path(spec["profile"] + ".txt").write_text(text)
    else:
        import dlt  # noqa: F401
        import pyarrow.json  # noqa: F401

        from bench import peer_dlt

        logging.getLogger("dlt").setLevel(logging.ERROR)
        start_rss = _rss_mb()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        out = peer_dlt.load(Path(spec["file"]), spec["engine"], spec["url"], work, spec["dataset"])
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1e3  # KiB on Linux
    return {
        "seconds": seconds,
        # CPU time of the step (imports included): less sensitive than wall time to a loaded machine
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime - cpu0, 2),
        "peak_rss_mb": round(peak, 1),
        "rss_after_imports_mb": round(start_rss, 1),
        **out,
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(run(json.loads(sys.argv[1])), default=str), flush=True)
