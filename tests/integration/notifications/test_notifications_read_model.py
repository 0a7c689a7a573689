"""The gateway's API over the real store: pages, acknowledgements, subscriptions, deliveries."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notifications import documents as docs
from services.notifications.models import Delivery, Notification
from services.notifications.read_model import (
    InvalidPageError,
    NotAllowedError,
    NotFoundError,
    NotificationReader,
    SubscriptionRejected,
)
from services.notifications.repository import MongoNotificationStore
from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.pagination import Position

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
CYBER = Principal(key_id="dev-publisher-cybersecurity", role=Role.PUBLISHER, qsmo="cybersecurity")
VIEWER = Principal(key_id="dev-viewer", role=Role.VIEWER)
SECRET = "a-long-enough-secret"


async def public_dns(host: str, port: int) -> Sequence[str]:
    return ["93.184.216.34"] if host == "hooks.example.com" else ["10.0.0.1"]


def notification(i: int, qsmo: str | None, minutes: int) -> Notification:
    return Notification(
        id=f"ntf_{i:02d}",
        rule="status_degraded",
        severity="critical",
        state="raised",
        qsmo=qsmo,
        message=f"n{i}",
        raised_at=AT + timedelta(minutes=minutes),
    )


@pytest.fixture
async def seeded(mongo_db: Any) -> Any:
    store = MongoNotificationStore(mongo_db)
    await store.create_indexes()
    # ntf_03 and ntf_04 share a time: the id breaks the tie.
    await store.save_notifications(
        [
            notification(1, "cybersecurity", 1),
            notification(2, "grants-management", 2),
            notification(3, "cybersecurity", 3),
            notification(4, None, 3),
            notification(5, "cybersecurity", 5),
        ]
    )
    return mongo_db


async def test_pages_are_newest_first_after_a_position(seeded: Any) -> None:
    reader = NotificationReader(seeded)
    seen: list[str] = []
    after: Position | None = None
    while True:
        found = await reader.list(None, 2, after)  # one more than asked: a next page exists
        seen += [n.id for n in found[:2]]
        if len(found) <= 2:
            break
        after = Position(found[1].raised_at, found[1].id)
    assert seen == ["ntf_05", "ntf_04", "ntf_03", "ntf_02", "ntf_01"]
    cyber = await reader.list("cybersecurity", 10, None)
    assert [n.id for n in cyber] == ["ntf_05", "ntf_03", "ntf_01"]
    with pytest.raises(InvalidPageError, match="first: must be between 1 and 100, not 0"):
        await reader.list(None, 0, None)


async def test_acknowledge_first_one_wins_and_roles_are_checked(seeded: Any) -> None:
    store = SubscriptionStore(seeded, allow_private=False, resolver=public_dns, clock=lambda: AT)
    acknowledged = await store.acknowledge(CYBER, "ntf_01")
    assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (CYBER.key_id, AT)
    again = await SubscriptionStore(seeded, allow_private=False).acknowledge(ADMIN, "ntf_01")
    assert again.acknowledged_by == CYBER.key_id
    with pytest.raises(NotAllowedError):
        await store.acknowledge(CYBER, "ntf_02")
    with pytest.raises(NotAllowedError):
        await store.acknowledge(VIEWER, "ntf_03")
    with pytest.raises(NotFoundError):
        await store.acknowledge(ADMIN, "ntf_99")
    assert (await NotificationReader(seeded).get("ntf_01")).acknowledged_by == CYBER.key_id  # type: ignore[union-attr]


async def test_subscriptions_are_scoped_validated_and_never_show_the_secret(mongo_db: Any) -> None:
    store = SubscriptionStore(mongo_db, allow_private=False, resolver=public_dns)
    mine = await store.create(
        CYBER,
        "cybersecurity",
        "customer",
        "customer-satisfaction",
        "warning",
        "https://hooks.example.com/qsmo",
        SECRET,
    )
    everyone = await store.create(
        ADMIN, None, None, None, "info", "https://hooks.example.com/all", SECRET
    )
    assert SECRET not in mine.model_dump_json()
    assert "secret" not in mine.model_dump()
    assert [s.id for s in await store.list(CYBER)] == [mine.id]
    assert {s.id for s in await store.list(ADMIN)} == {mine.id, everyone.id}
    stored = await mongo_db[docs.SUBSCRIPTIONS].find_one({"_id": mine.id})
    assert stored["secret"] == SECRET
    rejections = [
        (
            (
                CYBER,
                "grants-management",
                None,
                None,
                "warning",
                "https://hooks.example.com/",
                SECRET,
            ),
            "qsmo",
        ),
        ((CYBER, None, None, None, "warning", "https://hooks.example.com/", SECRET), "qsmo"),
        ((ADMIN, None, None, None, "warning", "http://127.0.0.1:9/", SECRET), "url"),
        ((ADMIN, None, None, None, "warning", "https://internal.example.com/", SECRET), "url"),
        ((ADMIN, None, None, None, "warning", "https://hooks.example.com/\r\nX: y", SECRET), "url"),
        ((ADMIN, None, None, None, "warning", "https://u:p@hooks.example.com/", SECRET), "url"),
        ((ADMIN, None, None, None, "warning", "https://hooks.example.com/", "short"), "secret"),
        (
            (
                ADMIN,
                None,
                "customer",
                "price-transparency",
                "warning",
                "https://hooks.example.com/",
                SECRET,
            ),
            "measure",
        ),
        (
            (ADMIN, None, None, "no-such-measure", "warning", "https://hooks.example.com/", SECRET),
            "measure",
        ),
        ((ADMIN, None, None, None, "loud", "https://hooks.example.com/", SECRET), "min_severity"),
        ((VIEWER, None, None, None, "warning", "https://hooks.example.com/", SECRET), "principal"),
    ]
    for arguments, field in rejections:
        with pytest.raises(SubscriptionRejected) as rejected:
            await store.create(*arguments)  # type: ignore[arg-type]
        assert rejected.value.field == field, arguments
    with pytest.raises(NotFoundError):
        await store.delete(CYBER, everyone.id)  # a publisher cannot see an all-QSMO subscription
    await store.delete(CYBER, mine.id)
    assert [s.id for s in await store.list(ADMIN)] == [everyone.id]
    with pytest.raises(NotAllowedError):
        await store.list(VIEWER)


async def test_deliveries_page_by_notification_and_status(mongo_db: Any) -> None:
    store = MongoNotificationStore(mongo_db)
    await store.create_indexes()
    from services.notifications.ports import PendingDelivery

    def delivery(i: int, status: str) -> PendingDelivery:
        return PendingDelivery(
            Delivery.model_validate(
                {
                    "id": f"dlv_{i}",
                    "notification_id": f"ntf_{i % 2}",
                    "notification_state": "raised",
                    "subscription_id": "sub_1",
                    "qsmo": "cybersecurity",
                    "url": "https://hooks.example.com/",
                    "status": status,
                    "attempts": 3 if status == "failed" else 0,
                    "max_attempts": 3,
                    "created_at": AT + timedelta(seconds=i),
                    "updated_at": AT,
                    "last_error": "HTTP 500",
                }
            ),
            "{}",
        )

    await store.add_deliveries([delivery(i, "failed" if i < 3 else "pending") for i in range(6)])
    reader = NotificationReader(mongo_db)
    failed = await reader.deliveries(None, "failed", 1, None)
    assert [d.id for d in failed] == ["dlv_2", "dlv_1"]  # the second says a next page exists
    rest = await reader.deliveries(None, "failed", 2, Position(failed[0].created_at, "dlv_2"))
    assert [d.id for d in rest] == ["dlv_1", "dlv_0"]
    of_one = await reader.deliveries("ntf_1", None, 10, None)
    assert [d.id for d in of_one] == ["dlv_5", "dlv_3", "dlv_1"]
    assert of_one[-1].last_error == "HTTP 500"
