"""A throw-away ``trytond`` on a free loopback port, serving a copy of the cached template database.

``reset()`` must be cheap because tests call it between cases, and trytond takes 1.5-2.5 s to start
(imports and module pool). So a second trytond is kept ready on a fresh copy of the template in its
own folder: ``reset()`` switches to it, stops the used one, and prepares that one again in the
background (restore with the SQLite backup API once it is stopped, then start). A database file is
never copied under a running server (its WAL would be replayed over the copy).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import requests

from sandbox.tryton.bootstrap import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    TrytonUnavailable,
    ensure_template,
    restore,
    tryton_bin,
    tryton_env,
    write_config,
)

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    """Nothing listens on ``port`` (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class _Instance:
    """One trytond process and the folder holding its database, config and log."""

    def __init__(self, workdir: Path, database: str, port: int | None = None) -> None:
        self.workdir, self.database = workdir, database
        self.fixed_port = port
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: BaseException | None = None

    @property
    def db_file(self) -> Path:
        return self.workdir / f"{self.database}.sqlite"

    @property
    def log_file(self) -> Path:
        return self.workdir / "trytond.log"

    def launch(self, template: Path) -> None:
        """Fresh copy of the template, then a server on it; waits until JSON-RPC answers."""
        self.terminate()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db_file}{suffix}").unlink(missing_ok=True)
        restore(template, self.db_file)
        if self.fixed_port and not _port_free(self.fixed_port):
            # else a leftover server there would answer the readiness probe in place of this one
            raise TrytonUnavailable(f"port {self.fixed_port} is taken (another trytond still running?)")
        self.port = self.fixed_port or free_port()
        conf = write_config(self.workdir / "trytond.conf", self.workdir, listen=f"127.0.0.1:{self.port}")
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [tryton_bin("trytond"), "-c", str(conf), "-d", self.database],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=tryton_env(),
                start_new_session=True,
            )
        self._wait_ready()

    def launch_quietly(self, template: Path) -> None:
        """For the background thread: keep the error for the caller of ``reset()``."""
        try:
            self.error = None
            self.launch(template)
        except BaseException as exc:
            self.error = exc

    def _wait_ready(self) -> None:
        """trytond loads the database's module pool before it listens: an answer means ready."""
        deadline = time.monotonic() + START_TIMEOUT
        body = {"id": 0, "method": "common.server.version", "params": []}
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise TrytonUnavailable(f"trytond exited at start; log:\n{self.log_tail()}")
            try:
                if requests.post(f"http://127.0.0.1:{self.port}/rpc/", json=body, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.terminate()
        raise TrytonUnavailable(f"trytond did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class TrytonServer:
    """``with TrytonServer(var_dir) as erp:`` gives ``erp.url``, ``erp.database``, ``erp.user``, ``erp.password``.

    Working databases live in a temporary folder under ``var_dir/tryton/run/`` (kept after ``stop()``
    when ``HUB_KEEP_TRYTON`` is set, for post-mortems). ``standby=False`` runs a single trytond.
    ``port`` fixes the listening port (``hub sandbox up``, whose profile names the URL); two servers
    cannot share it, so a fixed port means no standby and ``reset()`` restarts in place.
    """

    def __init__(
        self,
        var_dir: Path | str,
        *,
        database: str = "hub",
        standby: bool = True,
        port: int | None = None,
    ) -> None:
        self.var_dir = Path(var_dir).resolve()
        self.database = database
        self.fixed_port = port
        if port is not None:
            standby = False
        self.user, self.password = ADMIN_LOGIN, ADMIN_PASSWORD
        self.standby = standby
        self.template: Path | None = None
        self.workdir: Path | None = None
        self._active: _Instance | None = None
        self._spare: _Instance | None = None
        self._preparing: threading.Thread | None = None

    @property
    def _current(self) -> _Instance:
        assert self._active is not None, "server not started"
        return self._active

    @property
    def port(self) -> int:
        return self._current.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def db_file(self) -> Path:
        return self._current.db_file

    @property
    def log_file(self) -> Path:
        return self._current.log_file

    def start(self) -> TrytonServer:
        self.template = ensure_template(self.var_dir)
        run_dir = self.var_dir / "tryton" / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="trytond-", dir=run_dir))
        atexit.register(self._terminate_all)  # no orphan trytond if the caller forgets stop()
        slots = []
        for name in ("a", "b") if self.standby else ("a",):
            (self.workdir / name).mkdir()
            slots.append(_Instance(self.workdir / name, self.database, self.fixed_port))
        self._active = slots[0]
        try:
            self._active.launch(self.template)
        except BaseException:
            self.stop()  # no working folder left behind by a server that never answered
            raise
        if self.standby:
            self._spare = slots[1]
            self._prepare(self._spare)
        return self

    def _prepare(self, instance: _Instance) -> None:
        assert self.template is not None
        self._preparing = threading.Thread(
            target=instance.launch_quietly, args=(self.template,), name="trytond-standby", daemon=True
        )
        self._preparing.start()

    def reset(self) -> None:
        """Back to the template: switch to the ready spare server (its URL differs: read ``url`` again)."""
        assert self.template is not None, "server not started"
        if self._spare is None:
            self._current.launch(self.template)
            return
        if self._preparing is not None:
            self._preparing.join()
        spare, used = self._spare, self._current
        if spare.error is not None or spare.proc is None:
            spare.launch(self.template)  # raises with the log when it really cannot start
        self._active, self._spare = spare, used
        used.terminate()
        self._prepare(used)

    def _terminate_all(self) -> None:
        if self._preparing is not None:
            self._preparing.join()
        for instance in (self._active, self._spare):
            if instance is not None:
                instance.terminate()

    def stop(self) -> None:
        self._terminate_all()
        atexit.unregister(self._terminate_all)
        if self.workdir is not None and not os.environ.get("HUB_KEEP_TRYTON"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> TrytonServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
