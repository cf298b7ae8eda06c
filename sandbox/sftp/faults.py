"""Fault injection for the sandbox SFTP server: sessions cut in the middle of a file transfer.

Like ``sandbox.common.faults`` for the HTTP sandboxes, with a rate and counters, but decided per transfer
(one opened file): a cut transfer loses its session after ``cut_after_bytes`` (or at close, for smaller
files), the way a dropped line or a server restart looks to a client.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class SftpFaultConfig:
    cut_rate: float = 0.0  # share of file transfers whose session is cut mid-way
    cut_after_bytes: int = 32 * 1024  # where in the file the cut happens
    seed: int | None = None


class SftpFaults:
    """Shared by every session of one server; thread-safe. ``counts`` has 'transfers' and 'cut'."""

    def __init__(self, config: SftpFaultConfig | None = None) -> None:
        self.config = config or SftpFaultConfig()
        self.random = random.Random(self.config.seed)
        self.counts: Counter[str] = Counter()
        self._forced = 0
        self._lock = threading.Lock()

    def configure(self, **values: Any) -> SftpFaultConfig:
        """Change the settings at run time; ``reset_counts=True`` also zeroes the counters."""
        with self._lock:
            if values.pop("reset_counts", False):
                self.counts.clear()
            config = SftpFaultConfig(**{**asdict(self.config), **values})
            if not 0 <= config.cut_rate <= 1 or config.cut_after_bytes < 0:
                raise ValueError("cut_rate is between 0 and 1, cut_after_bytes not negative")
            self.config, self.random = config, random.Random(config.seed)
            return config

    def reset(self) -> None:
        """No faults, no pending forced cuts, counters zeroed."""
        with self._lock:
            self.config, self._forced = SftpFaultConfig(), 0
            self.random = random.Random()
            self.counts.clear()

    def cut_next(self, transfers: int = 1) -> None:
        """Cut the next ``transfers`` file transfers whatever the rate (deterministic tests)."""
        with self._lock:
            self._forced += transfers

    def plan_transfer(self) -> int | None:
        """Called when a file is opened: the byte offset at which to cut this transfer, or None."""
        with self._lock:
            self.counts["transfers"] += 1
            if self._forced > 0:
                self._forced -= 1
                return self.config.cut_after_bytes
            if self.config.cut_rate and self.random.random() < self.config.cut_rate:
                return self.config.cut_after_bytes
            return None

    def record_cut(self) -> None:
        with self._lock:
            self.counts["cut"] += 1
