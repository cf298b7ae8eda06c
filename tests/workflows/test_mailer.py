"""Approval mail over real SMTP (the aiosmtpd catcher): one message per key, however often it is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.errors import RetriableError
from hub.mapping import Translator
from hub.store import Store
from hub.workflows import intake
from hub.workflows.mailer import SmtpMailer, message_id
from hub.workflows.policy import OrdersConfig
from hub.workflows.processor import OrderProcessor
from hub.workflows.states import OrderState, get_order
from sandbox.common.server import free_port
from sandbox.mail import MailCatcher
from tests.workflows.helpers import FakeErp, seed_catalog, seed_customer, shop_order


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    with MailCatcher(tmp_path / "mail") as mail:
        yield mail


def test_a_key_is_sent_once(store: Store, catcher: MailCatcher) -> None:
    mailer = SmtpMailer(store, host="127.0.0.1", port=catcher.port, sender="hub@example.com")
    assert mailer.send("a@example.com", "Hello", "body", key="k-1")
    assert not mailer.send("a@example.com", "Hello", "body", key="k-1")
    assert mailer.send("a@example.com", "Hello again", "body", key="k-2")
    assert mailer.send("a@example.com", "No key", "body")
    messages = catcher.messages()
    assert [m["Subject"] for m in messages] == ["Hello", "Hello again", "No key"]
    assert messages[0]["Message-ID"] == message_id("k-1") and messages[0]["X-Hub-Idempotency-Key"] == "k-1"


def test_a_failed_send_is_tried_again_with_the_same_key(store: Store, catcher: MailCatcher) -> None:
    down = SmtpMailer(store, host="127.0.0.1", port=free_port(), sender="hub@example.com", timeout=2)
    with pytest.raises(RetriableError):
        down.send("a@example.com", "Hello", "body", key="k-9")
    assert not down.already_sent("k-9")
    up = SmtpMailer(store, host="127.0.0.1", port=catcher.port, sender="hub@example.com")
    assert up.send("a@example.com", "Hello", "body", key="k-9") and up.already_sent("k-9")
    assert len(catcher.messages()) == 1


def test_the_approver_gets_one_mail_per_order_version(
    store: Store, catcher: MailCatcher, translators: dict[str, Translator]
) -> None:
    seed_catalog(store)
    seed_customer(store, "C10001", credit_hold=True)
    policy = OrdersConfig.model_validate({"approval": {"approver_email": "approver@example.com"}})
    mailer = SmtpMailer(store, host="127.0.0.1", port=catcher.port, sender="hub@example.com")
    erp = FakeErp(prices={"SKU-1": "10.00"}, stock={"SKU-1": {"EAST": 9}})

    def run() -> None:
        OrderProcessor(store, policy, translators=translators, erp=erp, mailer=mailer).run_once()

    intake.enqueue(store, "shop", "webhook", shop_order(1201))
    run()
    run()
    assert get_order(store, "1201").state is OrderState.pending_approval
    (mail,) = catcher.messages()
    assert mail["To"] == "approver@example.com" and "1201" in mail["Subject"]
    assert "on credit hold" in mail.get_payload()
    # the buyer changes the order while it waits: the approver hears about the new version
    intake.enqueue(
        store,
        "shop",
        "webhook",
        shop_order(1201, lines=[("SKU-1", 3, "10.00")], updated_at="2026-11-21T00:00:00Z"),
    )
    run()
    assert len(catcher.messages()) == 2
