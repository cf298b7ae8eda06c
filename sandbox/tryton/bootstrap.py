"""Builds the Tryton template database once and caches it under ``var/tryton/``.

Initialising Tryton takes about a minute (module install, then company, chart of accounts, fiscal
years, payment terms, warehouses), so it is done once per set of module versions and copied for each
server. Nothing is installed here: a missing ``trytond`` raises :class:`TrytonUnavailable`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

MODULES = ("sale", "purchase", "stock_supply", "account_credit_limit", "sale_price_list")
DISTRIBUTIONS = (
    "trytond",
    "trytond-sale",
    "trytond-purchase",
    "trytond-stock-supply",
    "trytond-account-credit-limit",
    "trytond-sale-price-list",  # customer price lists (connectors/tryton/sales.py prices)
    "proteus",
)
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "hub-sandbox-admin"  # a local sandbox: not a secret
ADMIN_EMAIL = "admin@sandbox.invalid"
TEMPLATE_NAME = "template"
SETUP_MODULE = "sandbox.tryton._setup"
BUILD_TIMEOUT = 600


class TrytonUnavailable(RuntimeError):
    """Tryton is not installed or could not be initialised; says why."""


def versions() -> dict[str, str]:
    """Installed versions of the Tryton distributions; raises TrytonUnavailable when one is missing."""
    found: dict[str, str] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise TrytonUnavailable(f"{name} is not installed (pip install -e '.[erp]')") from None
    return found


def template_key() -> dict[str, object]:
    """What the cached template depends on: module versions, the setup code and the fiscal year."""
    setup_code = (Path(__file__).with_name("_setup.py")).read_bytes()
    return {
        "versions": versions(),
        "modules": list(MODULES),
        "setup": hashlib.sha256(setup_code).hexdigest()[:16],
        "year": dt.date.today().year,
    }


def write_config(path: Path, db_dir: Path, *, listen: str | None = None) -> Path:
    """A trytond.conf for a SQLite database directory (file ``<db_dir>/<name>.sqlite``)."""
    lines = [
        "[database]",
        "uri = sqlite://",
        f"path = {db_dir}",
        "list = False",
        "[session]",
        "max_attempt = 1000",
        "max_attempt_ip_network = 100000",
        "timeout = 86400",
    ]
    if listen:
        lines += ["[web]", f"listen = {listen}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def tryton_env(passfile: Path | None = None) -> dict[str, str]:
    """The environment for trytond subprocesses: no inherited TRYTOND_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTOND_")}
    env["PYTHONUNBUFFERED"] = "1"
    if passfile is not None:
        env["TRYTONPASSFILE"] = str(passfile)
    return env


def tryton_bin(name: str) -> str:
    """The trytond console script next to this interpreter (the venv's), else on PATH."""
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise TrytonUnavailable(f"{name} not found next to {sys.executable} nor on PATH")
    return found


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """One builder at a time (parallel test runs share var/)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_template(var_dir: Path | str) -> Path:
    """The path of a ready template database under ``var_dir/tryton/``, built when missing or stale."""
    base = Path(var_dir).resolve() / "tryton"
    template, stamp = base / "template.sqlite", base / "template.json"
    key = template_key()
    with _locked(base / ".build.lock"):
        if template.exists() and stamp.exists() and json.loads(stamp.read_text()) == key:
            return template
        _build(base, template)
        stamp.write_text(json.dumps(key, indent=2, sort_keys=True))
    return template


def _run(cmd: list[str], *, env: dict[str, str], log: Path, what: str) -> None:
    with log.open("ab") as out:
        proc = subprocess.run(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False
        )
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise TrytonUnavailable(f"{what} failed (exit {proc.returncode}); log {log}:\n{tail}")


def _build(base: Path, template: Path) -> None:
    """trytond-admin installs the modules; the setup script (proteus, in a subprocess) adds the data."""
    build = base / f"build-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    db_file = build / f"{TEMPLATE_NAME}.sqlite"
    sqlite3.connect(db_file).close()  # trytond-admin expects the file to exist
    conf = write_config(build / "trytond.conf", build)
    passfile = build / "password"
    passfile.write_text(ADMIN_PASSWORD)
    env = tryton_env(passfile)
    log = build / "build.log"
    _run(
        [
            *(tryton_bin("trytond-admin"), "-c", str(conf), "-d", TEMPLATE_NAME, "-u", *MODULES),
            *("--activate-dependencies", "--email", ADMIN_EMAIL),
        ],
        env=env,
        log=log,
        what="trytond-admin",
    )
    _run(
        [sys.executable, "-m", SETUP_MODULE, str(conf), TEMPLATE_NAME],
        env=env,
        log=log,
        what="template data setup",
    )
    compact(db_file)
    tmp = template.with_suffix(".sqlite.part")
    shutil.copyfile(db_file, tmp)
    os.replace(tmp, template)
    shutil.copyfile(log, base / "build.log")
    shutil.rmtree(build, ignore_errors=True)


def compact(db_file: Path) -> None:
    """Fold the WAL into the main file so the template is one self-contained file."""
    conn = sqlite3.connect(db_file)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()


def restore(template: Path, target: Path) -> None:
    """Copy ``template`` into ``target`` with the SQLite backup API (consistent, WAL-safe)."""
    src = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
