"""The EDI sensor and job in Dagster: a file in a partner's inbox becomes one run, keyed by name, size and mtime."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from connectors.mailbox import LocalMailbox
from hub.edi.ledger import EdiLedger
from hub.store import Store
from pipelines.build import build_definitions
from tests.x12.builders import envelope, po_850, render

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_inbox_sensor_requests_one_run_per_file_and_the_job_processes_it(project: Path, db_url: str) -> None:
    defs = build_definitions(project / "hub.yaml")
    sensor = defs.get_sensor_def("edi_inbox_acme")
    box = LocalMailbox(project / "var" / "edi" / "acme")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        assert sensor(context).run_requests == []
        box.write("outbound", "po.x12", render(envelope([po_850("PO-55")], control=55)).encode())
        [request] = sensor(dg.build_sensor_context(instance=instance, definitions=defs)).run_requests
        assert request.run_key.startswith("acme:outbound/po.x12:")
        job = defs.get_job_def("edi_inbox")
        result = job.execute_in_process(run_config=request.run_config, instance=instance)
        assert result.success
        [materialized] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        assert materialized.event_specific_data.metadata["orders"].value == 1
    assert [f.name for f in box.list("inbound")] == ["997_000000001.x12"]
    assert box.list("outbound") == []
    store = Store(db_url)
    [doc] = EdiLedger(store).documents(direction="in")
    assert doc["order_no"] == "ACME-PO-55" and doc["status"] == "accepted"
    # the order reached the intake, durably
    from hub.workflows.intake import inbox_counts

    assert sum(inbox_counts(store).values()) == 1


def test_the_daily_846_goes_to_each_partner_that_takes_it_once_a_day(project: Path, db_url: str) -> None:
    from hub.config import load_config
    from hub.edi.service import EdiService
    from pipelines.execute import run_sync

    run_sync(
        ["product", "stock"], config_path=project / "hub.yaml"
    )  # golden stock levels from the files connector
    defs = build_definitions(project / "hub.yaml")
    names = {s.name for s in defs.schedules}
    assert "edi_846_acme" in names and "edi_overdue_acks_schedule" in names
    job = defs.get_job_def("edi_inventory")
    run_config = {"ops": {"send_inventory_advice": {"config": {"partner": "acme"}}}}
    with dg.instance_for_test() as instance:
        for _ in range(2):  # the second run the same day sends nothing new
            assert job.execute_in_process(run_config=run_config, instance=instance).success
    box = LocalMailbox(project / "var" / "edi" / "acme")
    [sent] = box.list("inbound")
    text = box.read("inbound", sent.name).decode()
    assert "ST*846*" in text and "QTY*33*" in text
    service = EdiService(load_config(project / "hub.yaml"), Store(db_url), orders=lambda p, o: None)
    docs = service.ledger.documents(partner="acme", direction="out")
    assert {d["set_id"] for d in docs} == {"846"} and all(d["ack_due_at"] for d in docs)


def test_hub_edi_process_documents_and_overdue_commands(project: Path, db_url: str) -> None:
    import json

    from typer.testing import CliRunner

    from hub.cli import app

    box = LocalMailbox(project / "var" / "edi" / "acme")
    box.write("outbound", "po.x12", render(envelope([po_850("PO-77")], control=77)).encode())
    runner = CliRunner()
    done = runner.invoke(app, ["edi", "process", "acme", "--format", "json"])
    assert done.exit_code == 0, done.output
    [row] = json.loads(done.output)
    assert row["status"] == "archived" and row["interchanges"][0]["orders"] == ["ACME-PO-77"]
    listed = runner.invoke(app, ["edi", "documents", "--order", "ACME-PO-77", "--format", "json"])
    assert [d["set_id"] for d in json.loads(listed.output)] == ["850"]
    assert runner.invoke(app, ["edi", "overdue"]).exit_code == 0
    assert runner.invoke(app, ["edi", "process", "nobody"]).exit_code == 2
