"""`hub sandbox up|down|status`: the local stand-ins of the SaaS systems, for the demo and for poking at."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from rich.console import Console

from hub.cli_common import ConfigOpt, Fmt
from hub.config import load_config
from hub.engine import codec
from hub.errors import FatalError

sandbox_app = typer.Typer(
    help="Local stand-ins of the shop, CRM and PIM, a mail catcher and a real Tryton ERP.",
    no_args_is_help=True,
)
out = Console()


def _var(config: Path | None) -> Path:
    return load_config(config).path("var")


def _state(var: Path) -> dict[str, Any] | None:
    from sandbox.runner import state_file

    path = state_file(var)
    return json.loads(path.read_text()) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@sandbox_app.command("up")
def up(
    seed: Annotated[bool, typer.Option(help="Load the sample catalogue, accounts and orders.")] = True,
    erp: Annotated[
        bool, typer.Option(help="Start Tryton as the ERP too (when installed; else it stays a file drop).")
    ] = True,
    tryton_cache: Annotated[
        Path | None,
        typer.Option(help="Folder whose tryton/ caches the Tryton template (default: the var folder)."),
    ] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Start the stand-ins in the background (ports 18081-18083, SMTP 18025, Tryton 18069).

    The first start with Tryton builds its template database (about a minute, cached afterwards).
    """
    var = _var(config)
    state = _state(var)
    if state and _alive(state["pid"]):
        out.print(f"sandboxes already running (pid {state['pid']})")
    else:
        from sandbox.runner import state_file

        state_file(var).unlink(missing_ok=True)
        log = var / "sandbox" / "sandbox.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "sandbox.runner",
            "serve",
            "--var",
            str(var),
            *(["--seed"] if seed else []),
            *([] if erp else ["--no-erp"]),
            *(["--tryton-cache", str(tryton_cache)] if tryton_cache else []),
        ]
        with log.open("ab") as handle:
            process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + (600 if erp else 120)  # a first Tryton template build
        while _state(var) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise FatalError(f"the sandboxes did not start; see {log}")
            time.sleep(0.2)
    status(fmt=fmt, config=config)


@sandbox_app.command("down")
def down(config: ConfigOpt = None) -> None:
    """Stop the stand-ins (their data stays in var/sandbox/)."""
    var = _var(config)
    state = _state(var)
    if not state or not _alive(state["pid"]):
        out.print("sandboxes are not running")
        return
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    out.print("sandboxes stopped")


def _answers(name: str, base_url: str) -> bool:
    """The stand-ins answer their fault switch; Tryton answers JSON-RPC (it has no sandbox endpoints)."""
    try:
        if name == "erp":
            body = {"id": 0, "method": "common.server.version", "params": []}
            return requests.post(f"{base_url}/rpc/", json=body, timeout=2).ok
        return requests.get(f"{base_url}/__sandbox/faults", timeout=2).ok
    except requests.RequestException:
        return False


@sandbox_app.command("status")
def status(
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")] = Fmt.table,
    config: ConfigOpt = None,
) -> None:
    """Per system: whether it answers, its base URL and the local credentials (JSON for other tools)."""
    state = _state(_var(config))
    running = bool(state and _alive(state["pid"]))
    systems: dict[str, Any] = {}
    for name, info in ((state or {}).get("systems") or {}).items():
        up_now = False
        if running and "base_url" in info:
            up_now = _answers(name, info["base_url"])
        systems[name] = {**info, "up": up_now if "base_url" in info else running and "error" not in info}
    report = {
        "running": running,
        "pid": (state or {}).get("pid"),
        "systems": systems,
        "env": (state or {}).get("env", {}),
    }
    if fmt is Fmt.json:
        sys.stdout.write(codec.dumps_pretty(report) + "\n")
        return
    if not running:
        out.print("sandboxes are not running: `hub sandbox up`")
        raise typer.Exit(1)
    for name, info in systems.items():
        where = info.get("base_url") or info.get("smtp") or info.get("error", "")
        out.print(
            f"{name:5} {'up' if info['up'] else 'DOWN':4} {where}  {codec.dumps(info.get('credentials', {}))}"
        )
    out.print("environment for hub.sandbox.yaml: " + " ".join(f"{k}={v}" for k, v in report["env"].items()))
