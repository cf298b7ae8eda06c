"""Starts the SaaS stand-ins (shop, CRM, PIM), the mail catcher and the Tryton ERP together, and seeds them.

``python -m sandbox.runner serve --var var`` runs them in one process until SIGTERM and writes
``var/sandbox/state.json`` (pid, base URLs, local credentials), which `hub sandbox status` reads.
Tryton is the real ERP, not a stand-in: it runs when it is installed (the ``dev``/``erp`` extras) and
``with_erp`` asks for it; otherwise the status says why and the ERP stays a file drop.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from sandbox.common.server import SandboxServer
from sandbox.mail import MailCatcher
from sandbox.tryton.bootstrap import ADMIN_LOGIN, ADMIN_PASSWORD, TrytonUnavailable

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector
    from sandbox.tryton.server import TrytonServer

DATA = Path(__file__).resolve().parent / "data"
PORTS = {"shop": 18081, "crm": 18082, "pim": 18083, "mail": 18025, "erp": 18069, "sftp": 18022}
ERP_DATABASE = "hub"
CREDENTIALS: dict[str, dict[str, str]] = {
    # local, well-known sandbox secrets; hub.sandbox.yaml reads them from these environment variables
    "shop": {"access_token": "shpat_sandbox_0000", "webhook_secret": "sandbox-webhook-secret"},
    "crm": {"access_token": "pat-sandbox-crm-0000"},
    "pim": {"client_id": "hub", "secret": "hub-secret", "username": "admin", "password": "admin"},
    "erp": {"database": ERP_DATABASE, "user": ADMIN_LOGIN, "password": ADMIN_PASSWORD},
}
ENV = {
    "HUB_SHOP_ACCESS_TOKEN": CREDENTIALS["shop"]["access_token"],
    "HUB_CRM_ACCESS_TOKEN": CREDENTIALS["crm"]["access_token"],
    "HUB_PIM_SECRET": CREDENTIALS["pim"]["secret"],
    "HUB_PIM_PASSWORD": CREDENTIALS["pim"]["password"],
    "HUB_TRYTON_PASSWORD": CREDENTIALS["erp"]["password"],
    "HUB_SHOP_WEBHOOK_SECRET": CREDENTIALS["shop"]["webhook_secret"],
}
SFTP_USER = "hub"


class Sandboxes:
    """The stand-ins on loopback, each with its own SQLite file under ``<var>/sandbox/``.

    ``with_erp`` adds a real Tryton on ``ports["erp"]``, from the template cached under
    ``<tryton_cache or var>/tryton/`` (building it takes about a minute, so tests pass the repo's
    ``var``). When Tryton cannot run, ``erp`` stays None and ``erp_error`` says why.
    """

    def __init__(
        self,
        var: Path,
        ports: dict[str, int] | None = None,
        *,
        fast_limits: bool = False,
        with_erp: bool = False,
        tryton_cache: Path | None = None,
    ) -> None:
        from sandbox.crm.app import create_app as crm_app
        from sandbox.pim.app import create_app as pim_app
        from sandbox.shop.app import create_app as shop_app

        self.folder = Path(var) / "sandbox"
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = {**PORTS, **(ports or {})}
        shop, crm, pim = CREDENTIALS["shop"], CREDENTIALS["crm"], CREDENTIALS["pim"]
        # fast_limits: the vendors' limits scaled up 20x, for tests that should not crawl
        leak, window = (40.0, 0.5) if fast_limits else (2.0, 10.0)
        self.servers = {
            "shop": SandboxServer(
                shop_app(
                    self.folder / "shop.db", shop["access_token"], shop["webhook_secret"], leak_rate=leak
                ),
                ports["shop"],
                name="shop",
            ),
            "crm": SandboxServer(
                crm_app(self.folder / "crm.db", crm["access_token"], rate_window_s=window),
                ports["crm"],
                name="crm",
            ),
            "pim": SandboxServer(
                pim_app(
                    self.folder / "pim.db", pim["client_id"], pim["secret"], pim["username"], pim["password"]
                ),
                ports["pim"],
                name="pim",
            ),
        }
        self.mail = MailCatcher(self.folder / "mail", ports["mail"])
        # the embedded SFTP server of the demo: the 3PL's and the trading partners' mailboxes on one host,
        # with its own persisted host key (pinned by the hub) and a client key for the hub
        from sandbox.sftp import SandboxSftpServer, generate_keypair

        sftp = self.folder / "sftp"
        self.sftp_root = sftp / "root"
        self.sftp_client_key = sftp / "hub_id_ed25519"
        if not self.sftp_client_key.exists():
            generate_keypair(self.sftp_client_key, comment="hub-demo")
        for box in ("3pl", "edi/acme", "edi/northwind"):
            (self.sftp_root / box).mkdir(parents=True, exist_ok=True)
        self.sftp = SandboxSftpServer(
            self.sftp_root,
            host_key_path=sftp / "host_ed25519",
            authorized_keys=[self.sftp_client_key.with_suffix(".pub")],
            user=SFTP_USER,
            port=ports["sftp"],
        )
        self.erp: TrytonServer | None = None
        self.erp_error: str | None = None
        if with_erp:
            from sandbox.tryton.server import TrytonServer

            cache = Path(tryton_cache) if tryton_cache is not None else Path(var)
            self.erp = TrytonServer(cache, database=ERP_DATABASE, port=ports["erp"])

    def start(self) -> Sandboxes:
        for server in self.servers.values():
            server.start()
        self.mail.start()
        self.sftp.start()
        os.environ.update(self.sftp_env())
        if self.erp is not None:
            try:
                self.erp.start()
            except TrytonUnavailable as exc:
                self.erp.stop()
                self.erp, self.erp_error = None, str(exc)
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.mail.stop()
        self.sftp.stop()
        if self.erp is not None:
            self.erp.stop()

    def sftp_env(self) -> dict[str, str]:
        """What hub.sandbox.yaml reads for the SFTP mailboxes (the host key is generated per machine)."""
        return {
            "HUB_SFTP_PORT": str(self.sftp.port),
            "HUB_SFTP_HOST_KEY": self.sftp.host_key_line,
            "HUB_SFTP_KEY_PATH": str(self.sftp_client_key),
        }

    def erp_connector(self) -> TrytonConnector:
        """A Tryton connector on the sandbox ERP (seeding, tests); requires a running ``erp``."""
        from sandbox.tryton.seed import connector_for

        assert self.erp is not None, f"the ERP is not running: {self.erp_error or 'with_erp=False'}"
        erp = self.erp
        return connector_for(erp.url, erp.database, erp.user, erp.password)

    def __enter__(self) -> Sandboxes:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> dict[str, Any]:
        systems: dict[str, Any] = {
            name: {"base_url": server.url, "credentials": CREDENTIALS[name]}
            for name, server in self.servers.items()
        }
        systems["mail"] = {"smtp": f"127.0.0.1:{self.mail.port}", "folder": str(self.mail.folder)}
        systems["sftp"] = {
            "host": self.sftp.host,
            "port": self.sftp.port,
            "user": SFTP_USER,
            "key_path": str(self.sftp_client_key),
            "host_key": self.sftp.host_key_line,
            "root": str(self.sftp_root),
            "mailboxes": {"3pl": "/3pl", "acme": "/edi/acme", "northwind": "/edi/northwind"},
        }
        if self.erp is not None:
            systems["erp"] = {"base_url": self.erp.url.rstrip("/"), "credentials": CREDENTIALS["erp"]}
        elif self.erp_error is not None:
            systems["erp"] = {"error": self.erp_error, "note": "the ERP stays a file drop (connector: files)"}
        return {"pid": os.getpid(), "systems": systems, "env": {**ENV, **self.sftp_env()}}

    def seed(self, data: Path = DATA) -> dict[str, Any]:
        """Load the sample catalogue, accounts and orders through each stand-in's seed endpoint."""
        from sandbox.pim.sample import read_jsonl
        from sandbox.pim.sample import seed as seed_pim

        report: dict[str, Any] = {
            "pim": seed_pim(self.servers["pim"].url, read_jsonl(data / "pim" / "product"))
        }
        customers = list(read_jsonl(data / "crm" / "customer"))
        report["crm"] = _post(self.servers["crm"].url, {"customers": customers})
        shop = {"orders": list(read_jsonl(data / "shop" / "order"))}
        if (data / "shop" / "customer").is_dir():  # accounts registered in the shop itself
            shop["customers"] = list(read_jsonl(data / "shop" / "customer"))
        report["shop"] = _post(self.servers["shop"].url, shop)
        if self.erp is not None:
            from sandbox.tryton.seed import seed as seed_erp

            report["erp"] = seed_erp(self.erp_connector(), data / "erp").as_dict()
        return report


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{url}/__sandbox/seed", json=body, timeout=120)
    response.raise_for_status()
    return dict(response.json())


def state_file(var: Path) -> Path:
    return Path(var) / "sandbox" / "state.json"


def serve(var: Path, seed: bool, *, erp: bool = True, tryton_cache: Path | None = None) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Sandboxes(var, with_erp=erp, tryton_cache=tryton_cache) as sandboxes:
        state = sandboxes.status()
        if seed:
            state["seeded"] = sandboxes.seed()
        path = state_file(var)
        path.with_suffix(".part").write_text(json.dumps(state, indent=2))
        path.with_suffix(".part").rename(path)
        stop.wait()
    state_file(var).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--var", type=Path, default=Path("var"))
    parser.add_argument("--seed", action="store_true")
    parser.add_argument(
        "--no-erp", action="store_true", help="Do not start Tryton (the ERP stays a file drop)."
    )
    parser.add_argument(
        "--tryton-cache", type=Path, default=None, help="Folder whose tryton/ holds the template."
    )
    args = parser.parse_args()
    serve(args.var, args.seed, erp=not args.no_erp, tryton_cache=args.tryton_cache)


if __name__ == "__main__":
    main()
