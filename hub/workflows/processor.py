"""Drains the order inbox: translate, validate, approve, allocate, hand on. One order, one transaction.

For every claimed event: parse and translate it to the canonical ``Order`` (mappings/order.yaml),
decide (``decide.evaluate``, read-only), then write the transitions, the failures with the raw
payload, a created customer and the inbox status together. Mails and the hand-off to the next step
(the ERP sale, built elsewhere) run after the commit and are re-driven by ``advance``, so a crash or
a fault never loses them; both are idempotent by the order number.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hub.engine import codec
from hub.engine.repository import FailureRecord, Repository
from hub.engine.stats import utcnow
from hub.errors import RecordRejected, RetriableError
from hub.mapping import Translator
from hub.models import Order
from hub.store import Store
from hub.workflows import intake
from hub.workflows.allocation import plan_to_json
from hub.workflows.batching import BatchErp
from hub.workflows.customers import create_customer_in
from hub.workflows.decide import Decision, allocation_step, evaluate, plan_for
from hub.workflows.followups import (
    HANDED_STATES,
    NextStep,
    NextSteps,
    hand_off,
    hand_off_many,
    handed_off,
    notify,
)
from hub.workflows.policy import OrdersConfig
from hub.workflows.ports import ErpOrders, Mailer
from hub.workflows.states import (
    EVALUATED,
    IllegalTransition,
    OrderRecord,
    OrderState,
    can_move,
    get_order,
    list_orders,
    load_state,
    transition_in,
)
from hub.workflows.translate import order_no_of, to_order

log = logging.getLogger("hub.workflows.orders")
S = OrderState


@dataclass
class ProcessStats:
    claimed: int = 0
    done: int = 0
    ignored: int = 0
    failed: int = 0
    retried: int = 0
    states: dict[str, int] = field(default_factory=dict)
    handed_off: list[str] = field(default_factory=list)
    mails: int = 0

    def count(self, state: OrderState | None) -> None:
        if state is not None:
            self.states[state.value] = self.states.get(state.value, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "done": self.done,
            "ignored": self.ignored,
            "failed": self.failed,
            "retried": self.retried,
            "states": dict(self.states),
            "handed_off": list(self.handed_off),
            "mails": self.mails,
        }


class OrderProcessor:
    """Order intake processing. ``erp`` None: no prices, parties or stock from the ERP (the hub's
    golden records only) and approved orders wait in ``approved`` until an ERP is given."""

    def __init__(
        self,
        store: Store,
        policy: OrdersConfig,
        *,
        translators: dict[str, Translator] | None = None,
        erp: ErpOrders | None = None,
        mailer: Mailer | None = None,
        next_step: NextStep | None = None,
        run_id: str | None = None,
        quote: Callable[[Order], str | None] | None = None,
        next_many: NextSteps | None = None,
    ) -> None:
        self.store, self.policy, self.translators = store, policy, translators or {}
        self.erp, self.mailer, self.next_step = erp, mailer, next_step
        self.next_many = next_many  # the batch form of next_step: a batch's hand-offs in one go
        self.quote = quote  # content-based router: a request for quote goes to the quote flow, not evaluation
        self.run_id = run_id or f"orders-{uuid.uuid4().hex[:12]}"
        self.repo = Repository(store)

    # -- the loop an orchestrator calls --------------------------------------------------------------
    def run_once(self) -> ProcessStats:
        """Drain the inbox, then move approved orders on and re-send what is owed (mails, hand-offs)."""
        stats = self.process_inbox()
        self.advance(stats)
        return stats

    def process_inbox(self, *, max_batches: int | None = None) -> ProcessStats:
        stats, batches, started = ProcessStats(), 0, utcnow()
        while max_batches is None or batches < max_batches:
            # events deferred during this call wait for a later one
            rows = intake.claim(self.store, self.policy.batch_size, due_by=started)
            if not rows:
                break
            batches += 1
            stats.claimed += len(rows)
            # the batch's ERP questions asked once; its hand-offs (ERP sales) made together after the rows
            batch = _Batch(self._batch_erp(rows))
            for row in rows:
                self._handle(row, stats, batch)
            self._hand_off_all(batch.handed, stats)
        return stats

    def advance(self, stats: ProcessStats | None = None, *, settled: timedelta | None = None) -> ProcessStats:
        """Allocate approved orders, hand allocated/backordered ones to the next step, mail approvers.

        ``settled``: re-drive only hand-offs of orders unchanged for that long, so a worker running this
        next to others does not start an order another one is handing off right now."""
        stats = stats or ProcessStats()
        if self.erp is not None:
            for record in list_orders(self.store, states={S.approved}):
                self._allocate(record, stats)
        if self.next_step is not None:
            before = utcnow() - settled if settled is not None else None
            owed = [
                r.order_no
                for r in list_orders(self.store, states=set(HANDED_STATES))
                if not handed_off(r) and (before is None or _aware(r.updated_at) <= before)
            ]
            for start in range(0, len(owed), self.policy.batch_size):
                self._hand_off_all(owed[start : start + self.policy.batch_size], stats)
        self._notify_pending(stats)
        return stats

    def _batch_erp(self, rows: list[intake.InboxRow]) -> BatchErp | None:
        """The ERP for one batch: its questions asked once for all the batch's orders (best effort)."""
        if self.erp is None or len(rows) < 2:
            return None
        orders = []
        for row in rows:
            try:
                orders.append(to_order(self.translators, row.system, row.format, codec.loads(row.payload)))
            except Exception:  # an untranslatable event is dealt with when handled
                continue
        return BatchErp(self.erp, orders)

    def recheck(self, order_nos: Iterable[str] | None = None) -> ProcessStats:
        """Evaluate invalid / on-hold orders again from their stored version (after a fix elsewhere:
        a SKU published, a customer created, a price corrected)."""
        stats = ProcessStats()
        wanted = set(order_nos) if order_nos is not None else None
        for record in list_orders(self.store, states={S.invalid, S.on_hold}):
            if (wanted is not None and record.order_no not in wanted) or not record.order:
                continue
            order = Order.model_validate(record.order)
            raw = record.data.get("raw", record.order)
            system = record.data.get("system", "shop")
            try:
                decision = evaluate(
                    self.store,
                    order,
                    record,
                    erp=self.erp,
                    policy=self.policy,
                    system=system,
                    run_id=self.run_id,
                    raw=raw,
                )
            except RetriableError as exc:
                log.warning("recheck of order %s deferred: %s", order.order_no, exc)
                stats.retried += 1
                continue
            with self.store.begin() as conn:
                self._apply(conn, decision, system, raw, {"recheck": True})
            self._after(decision, stats)
        return stats

    # -- one inbox event ----------------------------------------------------------------------------
    def _handle(self, row: intake.InboxRow, stats: ProcessStats, batch: _Batch | None = None) -> None:
        erp = batch.erp if batch is not None else None
        try:
            decision, raw = self._decide(row, erp)
            correlation = {f"{row.system}_order_id": row.external_id} if row.external_id else {}
            with self.store.begin() as conn:
                self._apply(conn, decision, row.system, raw, {"inbox_id": row.id, **correlation})
                intake.finish(
                    conn, row.id, decision.inbox_status, order_no=decision.order_no, note=decision.note
                )
        except (RetriableError, IntegrityError) as exc:  # ERP or store fault; a concurrent first insert
            self._defer(row, exc if isinstance(exc, RetriableError) else RetriableError(str(exc)), stats)
            return
        except IllegalTransition as exc:  # someone (an approver) moved the order while we decided
            self._close(row, "ignored", exc.order_no, f"not applied: {exc}", stats)
            return
        except Exception as exc:  # a poison event must not block the inbox: keep it as a failure
            log.exception("order event %s could not be processed", row.id)
            failure = self._failure(
                None, row.system, "process", "error", None, f"{type(exc).__name__}: {exc}", row.payload
            )
            with self.store.begin() as conn:
                self.repo.record_failures(conn, [failure], utcnow())
            self._close(row, "failed", None, f"{type(exc).__name__}: {exc}", stats)
            return
        setattr(stats, decision.inbox_status, getattr(stats, decision.inbox_status) + 1)
        if erp is not None:
            erp.reserve(decision.plan)
        self._after(decision, stats, batch)

    def _close(
        self, row: intake.InboxRow, status: str, order_no: str | None, note: str, stats: ProcessStats
    ) -> None:
        with self.store.begin() as conn:
            intake.finish(conn, row.id, status, order_no=order_no, note=note)
        setattr(stats, status, getattr(stats, status) + 1)

    def _decide(self, row: intake.InboxRow, erp: ErpOrders | None = None) -> tuple[Decision, Any]:
        try:
            raw = codec.loads(row.payload)
        except ValueError as exc:
            failure = self._failure(None, row.system, "read", "payload.json", None, str(exc), row.payload)
            return Decision("failed", f"not JSON: {exc}", failures=[failure]), row.payload
        try:
            order = to_order(self.translators, row.system, row.format, raw)
        except RecordRejected as exc:
            return self._untranslatable(row, raw, exc), raw
        if self.quote is not None:
            note = self.quote(order)
            if note is not None:
                return Decision("done", note, order_no=order.order_no), raw
        current = get_order(self.store, order.order_no)
        skip = self._skip(order, raw, current)
        if skip is not None:
            return skip, raw
        return (
            evaluate(
                self.store,
                order,
                current,
                erp=erp or self.erp,
                policy=self.policy,
                system=row.system,
                run_id=self.run_id,
                raw=raw,
            ),
            raw,
        )

    def _untranslatable(self, row: intake.InboxRow, raw: Any, exc: RecordRejected) -> Decision:
        order_no = self._order_no_of(row, raw)
        failure = self._failure(order_no, row.system, exc.stage, exc.rule, exc.field, exc.message, raw)
        decision = Decision("failed", exc.message, order_no=order_no, failures=[failure])
        if order_no is None:
            return decision
        current = get_order(self.store, order_no)
        state = current.state if current else None
        if state is None or state in EVALUATED:
            if state is None:
                decision.steps.append((S.received, f"from {row.system}"))
            decision.steps.append((S.invalid, exc.message))
        return decision

    def _order_no_of(self, row: intake.InboxRow, raw: Any) -> str | None:
        return order_no_of(self.translators, row.system, row.format, raw)

    def _skip(self, order: Order, raw: Any, current: OrderRecord | None) -> Decision | None:
        """Cancellations, stale or unchanged versions, and updates of orders already past approval."""
        cancelled = isinstance(raw, dict) and bool(raw.get("cancelled_at"))
        if current is not None and current.order:
            stored = Order.model_validate(current.order).updated_at
            if stored and order.updated_at and stored > order.updated_at:
                return Decision("ignored", f"older than the version the hub has ({stored})", order.order_no)
        if cancelled:
            state = current.state if current else None
            if not can_move(state, S.cancelled):
                note = (
                    f"cancelled in the shop, but the order is already {state.value if state else 'unknown'}"
                )
                return Decision("ignored", note, order.order_no)
            decision = Decision("done", "cancelled", order.order_no, order)
            if state is None:
                decision.steps.append((S.received, "from the shop"))
            decision.steps.append((S.cancelled, "cancelled in the shop"))
            return decision
        if current is None:
            return None
        if current.state not in EVALUATED:
            return Decision("ignored", f"order is already {current.state.value}", order.order_no)
        if current.data.get("raw") == raw:
            return Decision("ignored", f"unchanged; order is {current.state.value}", order.order_no)
        return None

    def _defer(self, row: intake.InboxRow, exc: RetriableError, stats: ProcessStats) -> None:
        """A fault outside the order (ERP down): try the event again later, up to max_attempts."""
        with self.store.begin() as conn:
            if row.attempts < self.policy.max_attempts:
                delay = self.policy.retry_delay_seconds * 2 ** (row.attempts - 1)
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                wait = timedelta(seconds=min(delay, 3600))
                intake.finish(conn, row.id, "pending", note=f"attempt {row.attempts}: {exc}", retry_in=wait)
                stats.retried += 1
                return
            try:
                key = self._order_no_of(row, codec.loads(row.payload))
            except ValueError:
                key = None
            failure = self._failure(key, row.system, "process", "retries", None, str(exc), row.payload)
            failure.retriable = True
            self.repo.record_failures(conn, [failure], utcnow())
            intake.finish(conn, row.id, "failed", note=f"gave up after {row.attempts} attempts: {exc}")
            stats.failed += 1

    # -- writing a decision --------------------------------------------------------------------------
    def _apply(
        self, conn: Connection, d: Decision, system: str, raw: Any, correlation: dict[str, Any]
    ) -> None:
        now = utcnow()
        if d.order is not None and d.create_customer:
            create_customer_in(
                conn, self.store, d.order, d.create_customer, system=system, run_id=self.run_id
            )
        if d.resolve and d.order_no:
            self.repo.resolve_failures(
                conn, "order", system, [d.order_no], ("read", "translate", "validate", "process"), now
            )
        self.repo.record_failures(conn, d.failures, now)
        if not d.steps or d.order_no is None:
            return
        data: dict[str, Any] = {"system": system, "reasons": [r.to_dict() for r in d.reasons]}
        if d.order is not None:
            data["order"] = d.order.model_dump(mode="json", exclude_none=True)
            data["raw"] = raw
        if d.plan is not None:
            data["plan"] = plan_to_json(d.plan)
        for to, reason in d.steps:
            transition_in(
                conn, d.order_no, to, reason=reason, run_id=self.run_id, correlation=correlation, data=data,
                system=system,
            )  # fmt: skip

    def _after(self, d: Decision, stats: ProcessStats, batch: _Batch | None = None) -> None:
        stats.count(d.final)
        if d.final is S.pending_approval and d.order_no:
            self._notify(d.order_no, stats)
        if d.final in (S.allocated, S.backordered) and d.order_no:
            if batch is not None and self.next_many is not None:
                batch.handed.append(d.order_no)  # handed off with the rest of the batch
            else:
                self._hand_off(d.order_no, stats)

    def _allocate(self, record: OrderRecord, stats: ProcessStats) -> None:
        order = Order.model_validate(record.order)
        try:
            plan = plan_for(order, self.erp, self.policy)
        except RetriableError as exc:
            log.warning("allocation of order %s deferred: %s", order.order_no, exc)
            return
        assert plan is not None
        to, reason = allocation_step(plan)
        with self.store.begin() as conn:
            current = load_state(conn, order.order_no, lock=True)
            if current is None or current.state is not S.approved:
                return  # someone else moved it meanwhile
            transition_in(
                conn, order.order_no, to, reason=reason, run_id=self.run_id, data={"plan": plan_to_json(plan)}
            )
        stats.count(to)
        if self.next_step is not None:
            self._hand_off(order.order_no, stats)

    def _hand_off(self, order_no: str, stats: ProcessStats) -> None:
        if self.next_step is not None and hand_off(self.store, order_no, self.next_step, run_id=self.run_id):
            stats.handed_off.append(order_no)

    def _hand_off_all(self, order_nos: list[str], stats: ProcessStats) -> None:
        if not order_nos or self.next_step is None:
            return
        if self.next_many is None:
            for order_no in order_nos:
                self._hand_off(order_no, stats)
            return
        stats.handed_off.extend(
            hand_off_many(self.store, order_nos, self.next_many, self.next_step, run_id=self.run_id)
        )

    def _notify(self, order_no: str, stats: ProcessStats) -> None:
        to = self.policy.approval.approver_email
        if self.mailer is not None and to and notify(self.store, self.mailer, to, order_no):
            stats.mails += 1

    def _notify_pending(self, stats: ProcessStats) -> None:
        if self.mailer is None or not self.policy.approval.approver_email:
            return
        for record in list_orders(self.store, states={S.pending_approval}):
            self._notify(record.order_no, stats)

    def _failure(
        self,
        key: str | None,
        system: str,
        stage: str,
        rule: str | None,
        field_: str | None,
        message: str,
        raw: Any,
    ) -> FailureRecord:
        return FailureRecord(self.run_id, "order", key, system, stage, rule, field_, message, raw)


@dataclass
class _Batch:
    """One claimed inbox batch: its ERP (questions asked once) and the orders to hand off at its end."""

    erp: BatchErp | None
    handed: list[str] = field(default_factory=list)


def _aware(moment: Any) -> Any:
    """SQLite gives naive UTC datetimes back."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
