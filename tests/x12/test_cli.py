"""``hub edi validate|translate``: exit codes 0/1/2 and the documented JSON shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.x12.cli import edi_app
from tests.x12.cases import BY_NAME

ROOT = Path(__file__).resolve().parents[2]
PARTNERS = ROOT / "mappings" / "partners"
runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in (
        "850_4010_valid",
        "850_5010_valid",
        "bad_code_value",
        "trailing_separator",
        "binary",
        "empty",
        "mailbag_two_delimiters",
        "iea02_mismatch",
    ):
        out[name] = tmp_path / f"{name}.edi"
        out[name].write_bytes(BY_NAME[name].data)
    return out


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(edi_app, [str(a) for a in args], env={"HUB_PARTNERS_DIR": str(PARTNERS)})
    return result.exit_code, result.stdout


def test_validate_json_shape_for_an_accepted_file(files: dict[str, Path]) -> None:
    code, out = cli("validate", files["850_4010_valid"], "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert set(doc) >= {"file", "status", "errors", "interchanges", "ack"} and doc["status"] == "accepted"
    (ic,) = doc["interchanges"]
    assert set(ic) >= {"sender", "receiver", "control_number", "version", "groups"}
    (group,) = ic["groups"]
    assert set(group) >= {"functional_id", "control_number", "version", "transactions"}
    assert group["transactions"] == [
        {"set_id": "850", "control_number": "0001", "status": "accepted", "errors": []}
    ]
    assert doc["ack"].startswith("ISA*") and "AK5*A~" in doc["ack"]


def test_validate_reports_errors_with_locations(files: dict[str, Path]) -> None:
    code, out = cli("validate", files["bad_code_value"], "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "rejected"
    (error,) = doc["interchanges"][0]["groups"][0]["transactions"][0]["errors"]
    assert {k: error[k] for k in ("segment", "position", "element", "code")} == {
        "segment": "PO1",
        "position": 11,
        "element": 3,
        "code": "7",
    }
    assert "AK4*3*355*7*XX" in doc["ack"]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("trailing_separator", "accepted_with_errors"),
        ("binary", "unreadable"),
        ("empty", "unreadable"),
        ("iea02_mismatch", "rejected"),
    ],
)
def test_anything_not_accepted_exits_1(files: dict[str, Path], name: str, status: str) -> None:
    code, out = cli("validate", files[name], "--format", "json")
    doc = json.loads(out)
    assert (code, doc["status"]) == (1, status)
    if status == "unreadable":
        assert doc["errors"][0]["code"] in ("binary", "empty") and doc["ack"] is None


def test_profile_decides_the_ack(files: dict[str, Path]) -> None:
    code, out = cli("validate", files["850_5010_valid"], "--partner", "northwind", "--format", "json")
    ack = json.loads(out)["ack"]
    assert code == 0 and ack.startswith("ISA|") and "ST|999|" in ack and "~\r\n" in ack


def test_table_format(files: dict[str, Path]) -> None:
    code, out = cli("validate", files["bad_code_value"])
    assert code == 1 and "rejected" in out and "PO103" in out and "acknowledgment due" in out


def test_translate_json_shape(files: dict[str, Path]) -> None:
    code, out = cli("translate", files["850_4010_valid"], "--partner", "acme")
    doc = json.loads(out)
    assert code == 0
    (order,) = doc["orders"]
    assert set(order) >= {"po_number", "order_date", "partner", "ship_to", "lines"}
    assert set(order["ship_to"]) >= {"name", "location_code", "address"}
    assert set(order["lines"][0]) >= {
        "line_no",
        "quantity",
        "uom",
        "unit_price",
        "upc",
        "vendor_part",
        "buyer_part",
        "sku",
    }
    assert order["partner"] == "acme" and order["lines"][0]["sku"] == "SKU-1001"


def test_translate_finds_the_partner_by_isa_sender_and_handles_mailbags(files: dict[str, Path]) -> None:
    code, out = cli("translate", files["mailbag_two_delimiters"])
    doc = json.loads(out)
    assert code == 0 and [o["order_no"] for o in doc["orders"]] == ["ACME-PO1001", "ACME-PO1001"]


def test_translate_rejected_file_exits_1(files: dict[str, Path]) -> None:
    code, out = cli("translate", files["bad_code_value"], "--partner", "acme")
    doc = json.loads(out)
    assert code == 1 and doc["orders"] == [] and doc["rejected"][0]["status"] == "rejected"


def test_usage_and_configuration_errors_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    assert cli("validate", tmp_path / "missing.edi")[0] == 2
    assert cli("validate", files["850_4010_valid"], "--format", "xml")[0] == 2
    assert cli("validate", files["850_4010_valid"], "--partner", "nobody")[0] == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("partner: broken\nname: [\n")
    assert cli("translate", files["850_4010_valid"], "--partner", broken)[0] == 2


@pytest.mark.slow
def test_subprocess_exit_codes_and_json(files: dict[str, Path]) -> None:
    env = {**os.environ, "HUB_PARTNERS_DIR": str(PARTNERS)}

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "connectors.x12.cli", *map(str, args)]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    ok = run("validate", files["850_4010_valid"], "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "accepted"
    bad = run("translate", files["bad_code_value"], "--format", "json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["status"] == "rejected"
    usage = run("validate", files["850_4010_valid"], "--partner", "nobody")
    assert usage.returncode == 2 and "no partner profile 'nobody'" in usage.stderr
