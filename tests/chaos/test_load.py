"""A short burst through the whole order flow (shop -> webhook -> inbox -> two workers -> Tryton -> SFTP).

What must hold under load, whatever the timing: every order reaches a confirmed Tryton sale and a written 3PL
request, exactly once, and the backlog is empty at the end. The long run is ``python -m tests.chaos.load``.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.tryton.bootstrap import TrytonUnavailable
from tests.chaos.load import run_load
from tests.needs import missing

ORDERS = 120


def test_burst_is_processed_once_and_drains(tmp_path: Path) -> None:
    try:
        result = run_load(ORDERS, 20.0, tmp_path, workers=2, sample_every=2.0, drain_timeout=400.0, batch=25)
    except TrytonUnavailable as exc:
        missing("tryton", f"Tryton cannot run: {exc}")
    verify = result["verify"]
    assert result["placed"] == ORDERS, result["place_errors"]
    assert result["complete"] == ORDERS, verify["not_written"]
    assert verify["confirmed"] == ORDERS, verify["not_confirmed"]
    assert verify["duplicate_sales"] == [] and verify["repeated_steps"] == []
    assert verify["unknown_requests"] == []
    assert verify["states"] == {"ready_to_ship": ORDERS}
    assert result["inbox_end"] == {"done": ORDERS}
    assert result["drained"] and result["backlog"][-1]["backlog"] == 0
    assert max(s["backlog"] for s in result["backlog"]) > 0  # the samples saw the orders arrive
    assert result["worker_exit"] == [None, None]  # both workers were still running at the end
