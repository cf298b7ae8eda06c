"""Embedded SFTP server for the demo and tests: chrooted accounts, pinned host key, fault injection."""

from __future__ import annotations

from sandbox.sftp.faults import SftpFaultConfig, SftpFaults
from sandbox.sftp.keys import generate_keypair, load_or_create_host_key, public_key_line
from sandbox.sftp.server import Account, SandboxSftpServer

__all__ = [
    "Account",
    "SandboxSftpServer",
    "SftpFaultConfig",
    "SftpFaults",
    "generate_keypair",
    "load_or_create_host_key",
    "public_key_line",
]
