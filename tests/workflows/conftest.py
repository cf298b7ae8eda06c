"""Fixtures of the order workflow tests: store (SQLite and PostgreSQL), policy, translators, processor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.mapping import Translator, load_mapping_file
from hub.store import Store
from hub.workflows.policy import OrdersConfig
from hub.workflows.processor import OrderProcessor
from tests.conftest import ROOT
from tests.workflows.helpers import FakeErp, RecordingMailer


@pytest.fixture(scope="session")
def translators() -> dict[str, Translator]:
    mapping = load_mapping_file(ROOT / "mappings" / "order.yaml")
    return {"shop": mapping.systems["shop"].translator}


@pytest.fixture
def erp() -> FakeErp:
    return FakeErp(
        prices={"SKU-1": "10.00", "SKU-2": "5.00"},
        stock={"SKU-1": {"EAST": 5, "WEST": 10}, "SKU-2": {"EAST": 1}},
        customers=["C10001"],
    )


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def make_processor(
    store: Store, translators: dict[str, Translator], erp: FakeErp, mailer: RecordingMailer
) -> Callable[..., OrderProcessor]:
    """``make_processor(**policy)``: a processor over the fake ERP and mailer, handing off into a list."""

    def make(handed: list[Any] | None = None, **policy: Any) -> OrderProcessor:
        policy.setdefault("approval", {"approver_email": "approver@example.com"})
        config = OrdersConfig.model_validate(policy)
        step = (lambda order, plan: handed.append((order.order_no, plan))) if handed is not None else None
        return OrderProcessor(
            store, config, translators=translators, erp=erp, mailer=mailer, next_step=step, run_id="t-run"
        )

    return make
