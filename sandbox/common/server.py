"""Runs a sandbox ASGI app with uvicorn on a free loopback port, in a background thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import requests
import uvicorn


class _QuietInjectedDrops(logging.Filter):
    """Injected dropped connections are the point of a fault test, not an error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, ConnectionResetError) and "sandbox: injected" in str(error))


logging.getLogger("uvicorn.error").addFilter(_QuietInjectedDrops())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxServer:
    """``with SandboxServer(app) as server: server.url`` — stops when the block ends."""

    def __init__(self, app: Any, port: int | None = None, *, name: str = "sandbox") -> None:
        self.app, self.name = app, name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", timeout_keep_alive=30
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"{name}-{self.port}", daemon=True)

    def start(self, timeout: float = 15.0) -> SandboxServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/__sandbox/faults", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start on {self.url}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
