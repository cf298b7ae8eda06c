"""A 3PL warehouse stand-in on a mailbox folder: ships requests, receives returns, reports stock."""

from __future__ import annotations

from sandbox.threepl.malformed import KINDS as MALFORMED_KINDS
from sandbox.threepl.simulator import ThreePLSimulator, TickReport

__all__ = ["MALFORMED_KINDS", "ThreePLSimulator", "TickReport"]
