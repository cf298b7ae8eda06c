"""SIGKILL at named points, then run again: the same end state as an uninterrupted run, nothing duplicated, no
control number reused. make test runs one point of each kind (QUICK); ``python -m tests.chaos.crashes DIR``
runs all 20."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub import faultpoints
from hub.errors import ConfigError
from tests.chaos.crashes import ALL_LABELS, QUICK, run_crashes

ROOT = Path(__file__).resolve().parents[2]


def test_kill_at_is_parsed_and_typos_are_refused() -> None:
    assert faultpoints.parse(None) is None and faultpoints.parse("") is None
    assert faultpoints.parse("edi.ack.decided") == ("edi.ack.decided", 1)
    assert faultpoints.parse("sftp.write.transferring:3") == ("sftp.write.transferring", 3)
    for bad in ("edi.ack.decidde", "edi.ack.decided:x", "edi.ack.decided:0"):
        with pytest.raises(ConfigError):
            faultpoints.parse(bad)


def test_every_listed_point_is_marked_in_the_code_and_no_other() -> None:
    marked: set[str] = set()
    for folder in ("hub", "connectors"):
        for file in (ROOT / folder).rglob("*.py"):
            if file.name == "faultpoints.py":  # its docstring shows the call
                continue
            marked.update(re.findall(r"""reached\(["']([a-z0-9_.]+)["']\)""", file.read_text()))
    assert marked == set(faultpoints.POINTS)
    assert len(ALL_LABELS) == 20 and set(QUICK) <= set(ALL_LABELS)


@pytest.mark.parametrize(("kill_at", "killed"), [("edi.ack.decided:2", True), ("edi.ack.decided:3", False)])
def test_the_nth_time_a_point_is_reached_kills_the_process(kill_at: str, killed: bool) -> None:
    code = (
        "from hub.faultpoints import reached\nfor _ in range(2): reached('edi.ack.decided')\nprint('alive')"
    )
    env = {**os.environ, "HUB_KILL_AT": kill_at, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode == -9) is killed
    assert ("alive" in done.stdout) is not killed


@pytest.mark.slow
@pytest.mark.chaos  # about 4 minutes: `make chaos` runs it and all 20 points
def test_sigkill_at_one_point_of_each_kind_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    report = run_crashes(tmp_path, QUICK)
    assert [p["point"] for p in report["points"]] == [label for label in ALL_LABELS if label in QUICK]
    for point in report["points"]:
        assert point["killed"], point  # the child died at the point, not before or after
        assert point["same_as_reference"], point
    totals = report["totals"]
    assert totals["duplicates"] == totals["reused_control_numbers"] == totals["lost"] == 0, totals
