"""What a test needs from the machine: skip with the reason when it is missing, fail instead on CI, where
``HUB_REQUIRE_<NAME>=1`` says the machine has it (a green run must not come from skipping)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

from sandbox.tryton.bootstrap import TrytonUnavailable
from sandbox.tryton.server import TrytonServer


def missing(name: str, reason: str) -> NoReturn:
    variable = f"HUB_REQUIRE_{name.upper()}"
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {reason}")
    pytest.skip(reason)


def start_tryton(var: Path) -> TrytonServer:
    """A trytond from the template cached under ``var/tryton`` (built once)."""
    try:
        return TrytonServer(var).start()
    except TrytonUnavailable as exc:
        missing("tryton", f"Tryton cannot run: {exc}")
