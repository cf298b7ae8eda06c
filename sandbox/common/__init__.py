"""What every sandbox server shares: fault injection, a loopback server runner, a SQLite document store."""

from __future__ import annotations

from sandbox.common.docstore import DocStore
from sandbox.common.faults import FaultConfig, FaultInjector
from sandbox.common.server import SandboxServer, free_port

__all__ = ["DocStore", "FaultConfig", "FaultInjector", "SandboxServer", "free_port"]
