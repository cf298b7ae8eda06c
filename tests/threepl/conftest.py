"""A local mailbox with the hub's connector on one side (the simulated warehouse is in builders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mailbox import LocalMailbox
from connectors.threepl import ThreePLConnector
from tests.threepl.builders import READ_AT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "mailbox"


@pytest.fixture
def mailbox(root: Path) -> LocalMailbox:
    return LocalMailbox(root)


@pytest.fixture
def connector(mailbox: LocalMailbox) -> ThreePLConnector:
    return ThreePLConnector(mailbox, warehouse="3PL1", clock=lambda: READ_AT)
