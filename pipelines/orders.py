"""Order to cash in Dagster: a sensor on the order inbox (webhooks and EDI 850s land there), a sensor per 3PL
inbox file, the shop poll (safety net), and hourly replenishment. The work lives in ``hub.workflows``."""

# No ``from __future__ import annotations``: Dagster reads op annotations at definition time.

import dagster as dg
import sqlalchemy as sa

from hub.config import HubConfig, load_config
from hub.store.schema import order_inbox
from hub.workflows.wiring import OrderFlow, build_order_flow
from pipelines.assets import STORE_KEY
from pipelines.resources import cached_store

ORDERS_JOB = "orders_process"
THREEPL_JOB = "threepl_inbox"
POLL_JOB = "shop_order_poll"
REPLENISH_JOB = "replenishment"


class ThreePLFileConfig(dg.Config):
    files: list[str] = []  # empty: every pending file


def _flow(context: dg.OpExecutionContext) -> OrderFlow:
    resource = getattr(context.resources, STORE_KEY)
    return build_order_flow(load_config(resource.config_path), resource.store(), run_id=context.run_id)


@dg.op(required_resource_keys={STORE_KEY}, description="Drain the order inbox and move orders on.")
def process_orders(context: dg.OpExecutionContext) -> dg.Output:
    flow = _flow(context)
    try:
        stats = flow.process_orders()
    finally:
        flow.close()
    return dg.Output(None, metadata={k: v for k, v in vars(stats).items() if isinstance(v, int)})


@dg.op(required_resource_keys={STORE_KEY}, description="Apply the 3PL's shipment confirmations and receipts.")
def apply_threepl_files(context: dg.OpExecutionContext, config: ThreePLFileConfig) -> dg.Output:
    flow = _flow(context)
    totals = {"files": 0, "shipments": 0, "receipts": 0, "inventory": 0, "failed": 0}
    try:
        for file in flow.threepl_files():
            if config.files and file.name not in config.files:
                continue
            totals["files"] += 1
            for key, value in flow.apply_threepl_file(file).items():
                totals[key] += value
    finally:
        flow.close()
    return dg.Output(None, metadata=totals)


@dg.op(required_resource_keys={STORE_KEY}, description="Poll the shop for orders the webhooks missed.")
def poll_shop_orders(context: dg.OpExecutionContext) -> dg.Output:
    from connectors import resource_for
    from hub.workflows.intake import poll_orders

    resource = getattr(context.resources, STORE_KEY)
    config = load_config(resource.config_path)
    shop = config.orders.shop_system
    connector = resource_for(config, shop, dagster=False).connector(shop)
    result = poll_orders(resource.store(), connector)
    flow = _flow(context)
    try:
        stats = flow.process_orders()
    finally:
        flow.close()
    return dg.Output(
        None, metadata={"read": result.read, "enqueued": result.enqueued, "processed": stats.done}
    )


@dg.op(required_resource_keys={STORE_KEY}, description="Purchase requests and alerts for low stock.")
def replenish_stock(context: dg.OpExecutionContext) -> dg.Output:
    from hub.engine.observers import alert_rules
    from hub.workflows.replenish import replenish

    flow = _flow(context)
    if flow.erp is None:
        return dg.Output(None, metadata={"suggestions": 0, "note": "no ERP configured"})
    manager = alert_rules(flow.config).manager  # type: ignore[attr-defined]
    done = replenish(flow.store, flow.erp, manager.raise_alert)
    return dg.Output(None, metadata={"suggestions": len(done)})


def build_order_jobs() -> list[dg.JobDefinition]:
    jobs = []
    for name, op, description in (
        (ORDERS_JOB, process_orders, "Process new orders: validate, approve, allocate, ERP, 3PL."),
        (THREEPL_JOB, apply_threepl_files, "Apply 3PL shipment confirmations and receipts."),
        (POLL_JOB, poll_shop_orders, "Poll the shop for orders (safety net for webhooks)."),
        (REPLENISH_JOB, replenish_stock, "Raise purchase requests for stock below its reorder point."),
    ):
        jobs.append(
            dg.GraphDefinition(name=name, node_defs=[op], description=description).to_job(
                executor_def=dg.in_process_executor
            )
        )
    return jobs


def _has_order_flow(config: HubConfig) -> bool:
    return "order" in (config.entities or ["order"]) or config.threepl.mailbox is not None


def build_order_sensors(config: HubConfig, running: bool) -> list[dg.SensorDefinition]:
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED

    def inbox(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        store = cached_store(load_config(config.file).database_url)
        with store.begin() as conn:
            newest = conn.execute(
                sa.select(sa.func.max(order_inbox.c.id)).where(order_inbox.c.status == "pending")
            ).scalar()
        if newest is None:
            return dg.SensorResult(run_requests=[])
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"orders:{newest}")])

    sensors = [
        dg.SensorDefinition(
            name="order_inbox",
            evaluation_fn=inbox,
            job_name=ORDERS_JOB,
            minimum_interval_seconds=1,
            default_status=status,
            description="New order events (webhooks, polls, EDI 850s) in the order inbox.",
        )
    ]
    if config.threepl.mailbox is not None:

        def threepl(context: dg.SensorEvaluationContext) -> dg.SensorResult:
            flow = build_order_flow(load_config(config.file), run_id="sensor")
            try:
                files = flow.threepl_files()
            finally:
                flow.close()
            return dg.SensorResult(
                run_requests=[
                    dg.RunRequest(
                        run_key=f"3pl:{f.run_key}",
                        run_config={"ops": {"apply_threepl_files": {"config": {"files": [f.name]}}}},
                        tags={"hub/file": f.name},
                    )
                    for f in files
                ]
            )

        sensors.append(
            dg.SensorDefinition(
                name="threepl_inbox",
                evaluation_fn=threepl,
                job_name=THREEPL_JOB,
                minimum_interval_seconds=config.threepl.sensor_interval_s,
                default_status=status,
                description="Shipment confirmations, receipts and stock files from the 3PL.",
            )
        )
    return sensors


def build_order_schedules(config: HubConfig, running: bool) -> list[dg.ScheduleDefinition]:
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    return [
        dg.ScheduleDefinition(name=f"{POLL_JOB}_schedule", job_name=POLL_JOB, cron_schedule="*/2 * * * *",
                              default_status=status, description="Shop orders the webhooks missed."),
        dg.ScheduleDefinition(name=f"{REPLENISH_JOB}_schedule", job_name=REPLENISH_JOB, cron_schedule="0 * * * *",
                              default_status=status, description="Purchase requests for low stock."),
        dg.ScheduleDefinition(name=f"{ORDERS_JOB}_schedule", job_name=ORDERS_JOB, cron_schedule="*/5 * * * *",
                              default_status=status, description="Re-drive orders waiting on a retry."),
    ]  # fmt: skip
