"""One suite, two adapters: the in-memory notification store must behave like MongoDB's."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notifications import documents as docs
from services.notifications.models import Delivery, Notification, Subscription
from services.notifications.ports import PendingDelivery
from services.notifications.repository import InMemoryNotificationStore, MongoNotificationStore
from services.notifications.rules import Clear, Condition, Draft
from services.notifications.signals import Freshness
from services.notifications.surges import SurgeWindow
from shared.events import NotificationRaised

AT = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)  # milliseconds: what BSON keeps


def _notification(i: int = 1, **changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "id": f"ntf_{i}",
        "rule": "status_degraded",
        "severity": "critical",
        "state": "raised",
        "qsmo": "cybersecurity",
        "measure": "customer-satisfaction",
        "fiscal_year": 2025,
        "message": "fell",
        "links": {"qsmo": "qsmo:cybersecurity"},
        "raised_at": AT,
    }
    return Notification.model_validate({**fields, **changes})


def _delivery(i: int, due: datetime, status: str = "pending", attempts: int = 0) -> PendingDelivery:
    delivery = Delivery.model_validate(
        {
            "id": f"dlv_{i}",
            "notification_id": "ntf_1",
            "notification_state": "raised",
            "subscription_id": "sub_1",
            "qsmo": "cybersecurity",
            "url": "https://hooks.example.com/",
            "status": status,
            "attempts": attempts,
            "max_attempts": 3,
            "created_at": AT,
            "updated_at": AT,
            "next_attempt_at": due,
        }
    )
    return PendingDelivery(delivery, f'{{"n":{i}}}')


def _subscription() -> Subscription:
    return Subscription(
        id="sub_1",
        qsmo=None,
        url="https://hooks.example.com/",
        created_at=AT,
        created_by="dev-admin",
    )


@pytest.fixture(params=["in-memory", "mongo"])
def backend(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if request.param == "in-memory":
        return InMemoryNotificationStore(), None
    database = request.getfixturevalue("mongo_db")
    return MongoNotificationStore(database), database


@pytest.fixture
async def store(backend: tuple[Any, Any]) -> Any:
    adapter, database = backend
    if database is None:
        adapter.subscription_list.append((_subscription(), "s" * 16))
    else:
        await adapter.create_indexes()
        await database[docs.SUBSCRIPTIONS].insert_one(
            docs.subscription_document(_subscription(), "s" * 16)
        )
    return adapter


async def test_notifications_replace_update_and_load(store: Any) -> None:
    await store.save_notifications([_notification(1), _notification(2)])
    await store.save_notifications([_notification(1, message="fell again")])
    await store.update_notifications(["ntf_2", "missing"], {"state": "resolved", "resolved_at": AT})
    one, two = await store.load_notifications(["ntf_1", "ntf_2", "missing"])
    assert one == _notification(1, message="fell again")
    assert (two.state, two.resolved_at) == ("resolved", AT)


async def test_rule_state_round_trips(store: Any) -> None:
    follow_up = Draft(rule="target_met", severity="info", qsmo="x", message="met", links={"a": "b"})
    clearing = Clear(key="k1", rule="status_degraded", message="back", follow_up=follow_up)
    condition = Condition(
        key="k1",
        rule="status_degraded",
        open=True,
        episode=2,
        severity="warning",
        notification_ids=("ntf_1", "ntf_2"),
        opened_at=AT,
        clearing_since=AT,
        clearing=clearing,
        suppressed=3,
        episode_suppressed=1,
    )
    closed = Condition(key="k2", rule="measure_stale")
    await store.save_conditions([condition, closed])
    assert await store.load_conditions(["k1", "k2", "k3"]) == {"k1": condition, "k2": closed}
    assert await store.open_conditions() == {"k1": condition}
    fresh = Freshness(
        qsmo="q",
        measure="m",
        dimension="d",
        fiscal_year=2025,
        scorecard_id="FY2025|q",
        last_event_at=AT,
        reporting_frequency_days=31,
    )
    await store.save_freshness([fresh])
    assert await store.load_freshness(None) == {"q|m": fresh}
    assert await store.load_freshness(["other"]) == {}
    window = SurgeWindow(qsmo=None, times=(AT, AT + timedelta(seconds=1)), last_reason="r")
    await store.save_surge_windows([window])
    assert await store.load_surge_windows([window.key]) == {window.key: window}


async def test_outbox_keeps_one_event_per_notification_state(store: Any) -> None:
    raised = NotificationRaised(
        notification_id="ntf_1",
        rule="r",
        severity="info",
        state="raised",
        qsmo=None,
        message="m",
        raised_at=AT,
    )
    resolved = raised.model_copy(update={"state": "resolved"})
    await store.add_outbox([raised, resolved])
    await store.add_outbox([raised])
    assert await store.outbox(10) == [raised, resolved]
    await store.remove_outbox([raised])
    assert await store.outbox(10) == [resolved]


async def test_deliveries_are_added_once_and_come_due_in_order(store: Any) -> None:
    await store.add_deliveries([_delivery(i, AT + timedelta(seconds=i)) for i in range(3)])
    await store.add_deliveries([_delivery(0, AT + timedelta(hours=1))])  # a replay adds nothing
    due = await store.due_deliveries(AT + timedelta(seconds=1), 10, set())
    assert [p.delivery.id for p in due] == ["dlv_0", "dlv_1"]
    assert due[0].body == '{"n":0}'
    assert [
        p.delivery.id for p in await store.due_deliveries(AT + timedelta(seconds=9), 10, {"dlv_0"})
    ] == ["dlv_1", "dlv_2"]
    assert await store.next_due_at({"dlv_0"}) == AT + timedelta(seconds=1)
    retry = due[0].delivery.model_copy(
        update={"attempts": 1, "next_attempt_at": AT + timedelta(minutes=5)}
    )
    delivered = due[1].delivery.model_copy(
        update={"attempts": 1, "status": "delivered", "next_attempt_at": None}
    )
    await store.save_delivery(retry)
    await store.save_delivery(delivered)
    assert await store.delivery_backlog() == (2, 1)
    assert [
        p.delivery for p in await store.due_deliveries(AT + timedelta(minutes=5), 10, set())
    ] == [_delivery(2, AT + timedelta(seconds=2)).delivery, retry]


async def test_subscriptions_without_secrets_and_the_secret_by_id(store: Any) -> None:
    assert await store.subscriptions() == [_subscription()]
    assert await store.subscription_secret("sub_1") == "s" * 16
    assert await store.subscription_secret("sub_2") is None


async def test_review_messages_are_remembered_as_handled(store: Any) -> None:
    ids = {"review-ready:FY2026-Q1|cybersecurity", "action-overdue:act_1:2026-01-31"}
    assert await store.handled_review_messages(ids) == set()
    await store.mark_review_messages(["review-ready:FY2026-Q1|cybersecurity"])
    await store.mark_review_messages(["review-ready:FY2026-Q1|cybersecurity"])  # idempotent
    assert await store.handled_review_messages(ids) == {"review-ready:FY2026-Q1|cybersecurity"}
    assert await store.stakeholder_lists() == []
