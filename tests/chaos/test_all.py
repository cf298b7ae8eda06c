"""The summary runner's verdicts, from made-up part reports: a guarantee broken anywhere fails the run, and
the fuzz examples are counted from hypothesis' statistics. (The parts themselves run in `make chaos`.)"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.chaos import all as chaos_all


def _faults_report(**changes: Any) -> dict[str, Any]:
    report = {
        "rounds": 10, "rate": 0.3, "lost": 0, "duplicated": 0, "changed": 0,
        "runs": {"faulty": {"converged": [True] * 10}},
        "faults": {"shop": {"faults": 40}, "erp": {"faults": 30}},
        "categories": {"EDI control numbers (ISA13 out)": {"duplicated": 0}},
    }  # fmt: skip
    return {**report, **changes}


def _finish(part: chaos_all.Part, rc: int, report: dict[str, Any] | None, path: Path | None) -> None:
    part.started, part.rc = time.time() - 5, rc
    if report is not None and path is not None:
        path.write_text(json.dumps(report))
    part.read(part)


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        ({"lost": 1}, False),
        ({"duplicated": 2}, False),
        ({"changed": 1}, False),
        ({"runs": {"faulty": {"converged": [True] * 9 + [False]}}}, False),
    ],
)
def test_the_fault_rounds_pass_only_with_nothing_lost_duplicated_changed_or_unconverged(
    tmp_path: Path, changes: dict[str, Any], ok: bool
) -> None:
    part = chaos_all.faults(10, 0.3, results=tmp_path)
    _finish(part, 0 if ok else 1, _faults_report(**changes), tmp_path / "chaos_faults.json")
    assert part.ok is ok
    assert part.figures["faults_injected"] == 70


def test_a_report_left_from_an_earlier_run_is_not_read_as_this_one(tmp_path: Path) -> None:
    stale = tmp_path / "chaos_faults.json"
    stale.write_text(json.dumps(_faults_report()))
    part = chaos_all.faults(10, 0.3, results=tmp_path)
    part.started, part.rc = time.time() + 60, 1  # the part started after the file was written, and crashed
    with pytest.raises(RuntimeError, match="was not written"):
        part.read(part)


def test_crash_points_pass_only_when_all_twenty_were_killed_and_converged(tmp_path: Path) -> None:
    totals = {"points": 20, "killed": 20, "converged": 19, "duplicates": 0, "reused_control_numbers": 0,
              "lost": 0, "lanes": 2}  # fmt: skip
    part = chaos_all.crashes(tmp_path, results=tmp_path)
    _finish(part, 1, {"totals": totals, "passed": False}, tmp_path / "chaos_crashes.json")
    assert not part.ok and part.figures["converged"] == 19


def test_fuzz_examples_are_counted_from_the_statistics(tmp_path: Path) -> None:
    part = chaos_all.fuzz(tmp_path)
    assert part.log is not None
    part.log.write_text(
        "....\n============ Hypothesis Statistics ============\n"
        "  - during reuse phase (0.01 seconds):\n    - 3 passing, 0 failing, and 0 invalid test cases\n"
        "  - during generate phase (2.5 seconds):\n    - 1500 passing, 0 failing, and 12 invalid test cases\n"
        "  - during generate phase (1.0 seconds):\n    - 1000 passing, 0 failing, and 0 invalid test cases\n"
        "======= 24 passed in 301.2s =======\n"
    )
    _finish(part, 0, None, None)
    assert part.ok
    assert part.figures["examples"] == 2503 and part.figures["tests"] == {"passed": 24}
