"""A throw-away OpenSSH sshd on a free loopback port: the real server partners run, for the contract tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from sandbox.common.server import free_port
from sandbox.sftp.keys import generate_keypair

SSHD = os.environ.get("HUB_SSHD", "/usr/sbin/sshd")


def sshd_missing_reason() -> str | None:
    """None when an sshd binary can be run; else why not."""
    path = shutil.which(SSHD) or (SSHD if os.access(SSHD, os.X_OK) else None)
    return None if path else f"OpenSSH server not found at {SSHD} (install openssh-server or set HUB_SSHD)"


class OpenSshServer:
    """``sshd -D -e -f cfg`` in ``workdir``: own host key, one authorized client key, internal-sftp."""

    def __init__(self, workdir: Path, authorized_key_line: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host = "127.0.0.1"
        self.host_key_line = " ".join(generate_keypair(workdir / "ssh_host_ed25519_key").split()[:2])
        (workdir / "authorized_keys").write_text(authorized_key_line + "\n")
        self.config = workdir / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {self.port}",
                    f"HostKey {workdir / 'ssh_host_ed25519_key'}",
                    f"PidFile {workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
                    "UsePAM no",
                    "StrictModes no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "Subsystem sftp internal-sftp",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        self.log_path = workdir / "sshd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> OpenSshServer:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not accept on {self.host}:{self.port}: {self.log_path.read_text()}")

    def session_pids(self) -> list[int]:
        """The per-connection sshd processes (descendants of the one we started)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], list(children.get(self.process.pid, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def drop_sessions(self) -> int:
        """Kill every client session's sshd process: clients see their connection dropped."""
        pids = self.session_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while self.session_pids() and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(pids)

    def stop(self) -> None:
        if self.process is None:
            return
        self.drop_sessions()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
