"""The short variant of `make chaos`'s fault scenario: two rounds of every flow at 30% faults on every system
(the stand-ins, Tryton's connection, the SFTP server), compared with a clean run of the same two rounds.
Nothing lost, duplicated or changed; the faults really happened. Without Tryton it skips
(``HUB_REQUIRE_TRYTON=1`` fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import FatalError
from tests.chaos.faults import run_faults
from tests.needs import missing

pytestmark = [pytest.mark.slow, pytest.mark.chaos]  # about 5 minutes: `make chaos` runs it (and 10 rounds)


def test_two_rounds_at_thirty_percent_faults_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    try:
        result = run_faults(2, 0.3, tmp_path)
    except FatalError as exc:
        if "Tryton cannot run" not in str(exc):
            raise
        missing("tryton", str(exc))
    table, faults = result["categories"], result["faults"]
    print(f"\nfaults {faults}\nruns {result['runs']}\n{result['seconds']} s")
    for name in ("hub order states", "Tryton sales", "shop fulfilments", "3PL requests (files)",
                 "EDI documents to partner", "golden records"):  # fmt: skip
        assert table[name]["clean"] > 0, name  # the rounds really did work in every system
    assert result["differences"] == {}, result["differences"]
    assert (result["lost"], result["duplicated"], result["changed"]) == (0, 0, 0), table
    assert all(row["dup_in_clean"] == 0 for n, row in table.items() if n != "mails"), table
    for system in ("shop", "crm", "pim", "erp", "sftp"):
        assert faults[system]["faults"] > 0, (system, faults)  # every system was really faulty
    assert all(result["runs"]["faulty"]["converged"]), result["runs"]["faulty"]
