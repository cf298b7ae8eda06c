"""EDI in Dagster: an inbox sensor per partner (run key = file name + size + mtime), the job that processes
inbox files, and the scheduled check for overdue 997s. The work itself lives in ``hub.edi``."""

# No ``from __future__ import annotations``: Dagster reads op annotations at definition time.

import dagster as dg

from connectors.x12.partners import load_partners
from hub.config import HubConfig, load_config
from hub.edi.service import EdiService
from pipelines.assets import STORE_KEY

EDI_INBOX_JOB = "edi_inbox"
EDI_OVERDUE_JOB = "edi_overdue_acks"
EDI_INVENTORY_JOB = "edi_inventory"


class EdiFilesConfig(dg.Config):
    partner: str
    files: list[str] = []  # empty: every pending file


def _service(context: dg.OpExecutionContext) -> EdiService:
    resource = getattr(context.resources, STORE_KEY)
    return EdiService(load_config(resource.config_path), resource.store())


@dg.op(required_resource_keys={STORE_KEY}, description="Validate, acknowledge, translate and file EDI files.")
def process_edi_files(context: dg.OpExecutionContext, config: EdiFilesConfig) -> dg.Output:
    service = _service(context)
    try:
        outcomes = service.process(config.partner, config.files or None)
    finally:
        service.close()
    for o in outcomes:
        context.log.info(f"{config.partner}/{o.file}: {o.status} -> {o.moved_to}")
    interchanges = [i for o in outcomes for i in o.interchanges]
    return dg.Output(
        None,
        metadata={
            "files": len(outcomes),
            "archived": sum(o.clean for o in outcomes),
            "error": sum(not o.clean for o in outcomes),
            "interchanges": len(interchanges),
            "duplicates": sum(i.status == "duplicate" for i in interchanges),
            "orders": sum(len(i.orders) for i in interchanges),
            "acks_sent": [i.ack for i in interchanges if i.ack],
        },
    )


@dg.op(required_resource_keys={STORE_KEY}, description="Alert on documents whose 997 is overdue.")
def check_overdue_acks(context: dg.OpExecutionContext) -> dg.Output:
    service = _service(context)
    overdue = service.check_overdue()
    return dg.Output(None, metadata={"overdue": len(overdue)})


class EdiPartnerConfig(dg.Config):
    partner: str


@dg.op(required_resource_keys={STORE_KEY}, description="Send the partner today's 846 inventory advice.")
def send_inventory_advice(context: dg.OpExecutionContext, config: EdiPartnerConfig) -> dg.Output:
    from hub.edi.inventory import send_inventory
    from hub.engine.stats import utcnow

    service = _service(context)
    try:
        result = send_inventory(service, config.partner, utcnow().date())
    finally:
        service.close()
    return dg.Output(None, metadata={"file": result.file or "", "already_sent": bool(result.skipped)})


def build_edi_jobs() -> list[dg.JobDefinition]:
    @dg.job(
        name=EDI_INBOX_JOB,
        description="Process EDI files from a partner's inbox.",
        executor_def=dg.in_process_executor,
    )
    def edi_inbox() -> None:
        process_edi_files()

    @dg.job(name=EDI_OVERDUE_JOB, description="Check for overdue 997s.", executor_def=dg.in_process_executor)
    def edi_overdue() -> None:
        check_overdue_acks()

    @dg.job(
        name=EDI_INVENTORY_JOB, description="Send a partner its 846.", executor_def=dg.in_process_executor
    )
    def edi_inventory() -> None:
        send_inventory_advice()

    return [edi_inbox, edi_overdue, edi_inventory]


def build_edi_sensors(config: HubConfig, running: bool) -> list[dg.SensorDefinition]:
    """One sensor per partner with a mailbox; each new file (name, size, mtime) is one run."""
    try:
        partners = EdiService.partners_of(config)
    except Exception:  # a broken profile is reported by `hub edi` and the job; keep the location loading
        return []
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
    sensors = []
    for partner in partners:

        def evaluate(context: dg.SensorEvaluationContext, partner: str = partner) -> dg.SensorResult:
            service = EdiService(config)
            try:
                files = service.pending(partner)
            finally:
                service.close()
            return dg.SensorResult(
                run_requests=[
                    dg.RunRequest(
                        run_key=f"{partner}:{f.run_key}",
                        run_config={
                            "ops": {"process_edi_files": {"config": {"partner": partner, "files": [f.name]}}}
                        },
                        tags={"hub/partner": partner, "hub/file": f.name},
                    )
                    for f in files
                ]
            )

        sensors.append(
            dg.SensorDefinition(
                name=f"edi_inbox_{partner}",
                evaluation_fn=evaluate,
                job_name=EDI_INBOX_JOB,
                minimum_interval_seconds=config.edi.sensor_interval_s,
                default_status=status,
                description=f"New files in {partner}'s EDI inbox.",
            )
        )
    return sensors


def build_edi_schedules(config: HubConfig, running: bool) -> list[dg.ScheduleDefinition]:
    """The overdue-997 check, and a daily 846 for each partner whose profile takes one."""
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    try:
        profiles = load_partners(config.partners_dir)
        partners = [p for p in EdiService.partners_of(config) if "846" in profiles[p].documents.outbound]
    except Exception:  # reported by `hub edi` and the jobs; keep the code location loading
        partners = []
    inventory = [
        dg.ScheduleDefinition(
            name=f"edi_846_{partner}",
            job_name=EDI_INVENTORY_JOB,
            cron_schedule=config.edi.inventory_cron,
            run_config={"ops": {"send_inventory_advice": {"config": {"partner": partner}}}},
            default_status=status,
            description=f"Daily 846 inventory advice to {partner}.",
        )
        for partner in partners
    ]
    return [
        *inventory,
        dg.ScheduleDefinition(
            name=f"{EDI_OVERDUE_JOB}_schedule",
            job_name=EDI_OVERDUE_JOB,
            cron_schedule=config.edi.overdue_cron,
            default_status=status,
            description="Alert when a partner's 997 is later than its profile allows.",
        ),
    ]
