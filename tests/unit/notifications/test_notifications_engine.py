"""The engine with in-memory adapters: store, publish, deliveries, dedup, cooldown, sweeps."""

from datetime import timedelta

import pytest
from notifications_builders import (
    DLQ,
    SCORECARDS,
    T0,
    dead_letter,
    quality,
    record,
    scorecard,
    subscription,
    transition,
)
from prometheus_client import CollectorRegistry

from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.metrics import NotificationsMetrics
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.repository import InMemoryNotificationStore
from services.notifications.signals import Names
from shared.catalog import load_catalog


class Harness:
    def __init__(self, cooldown: timedelta = timedelta(minutes=10), threshold: int = 3) -> None:
        self.store = InMemoryNotificationStore()
        self.store.subscription_list.append((subscription(), "secret-secret-secret"))
        self.publisher = InMemoryNotificationPublisher()
        self.registry = CollectorRegistry()
        settings = RuleSettings(SCORECARDS, DLQ, cooldown, threshold, timedelta(minutes=5), 4)
        self.engine = NotificationEngine(
            self.store,
            self.publisher,
            Names.from_catalog(load_catalog()),
            settings,
            NotificationsMetrics(self.registry),
        )

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_a_red_measure_is_stored_published_and_queued_for_delivery(harness: Harness) -> None:
    outcome = await harness.engine.process([record(scorecard(transition("AMBER", "RED")))], T0)
    (notification,) = outcome.raised
    assert harness.store.notifications[notification.id].message.startswith("Customer Satisfaction")
    assert [e.notification_id for e in harness.publisher.events] == [notification.id]
    (pending,) = harness.store.deliveries.values()
    assert pending.delivery.status == "pending"
    assert pending.delivery.subscription_id == "sub_1"
    assert f'"notification_id":"{notification.id}"' in pending.body
    assert harness.store.outbox_events == {}
    assert (
        harness.metric(
            "qsmo_notifications_raised_total", rule="status_degraded", severity="critical"
        )
        == 1
    )


async def test_a_redelivered_batch_and_a_repeated_condition_raise_nothing_new(
    harness: Harness,
) -> None:
    batch = [record(scorecard(transition("GREEN", "RED")))]
    await harness.engine.process(batch, T0)
    again = await harness.engine.process(batch, T0 + timedelta(seconds=1))
    still_red = await harness.engine.process(
        [record(scorecard(transition("RED", "RED"), version=2))], T0
    )
    assert again.raised == []
    assert still_red.raised == []
    assert len(harness.store.notifications) == 1
    assert len(harness.publisher.events) == 1


async def test_flapping_within_the_cooldown_is_suppressed_and_counted(harness: Harness) -> None:
    red, green = transition("AMBER", "RED"), transition("RED", "GREEN", to_score=4.1)
    (first,) = (await harness.engine.process([record(scorecard(red))], T0)).raised
    await harness.engine.process([record(scorecard(green))], T0 + timedelta(minutes=1))
    flap = await harness.engine.process([record(scorecard(red))], T0 + timedelta(minutes=2))
    assert flap.raised == []
    assert flap.suppressed == 1
    assert harness.store.notifications[first.id].suppressed_flaps == 1
    assert harness.metric("qsmo_notifications_suppressed_total", rule="status_degraded") == 1
    await harness.engine.process([record(scorecard(green))], T0 + timedelta(minutes=3))
    assert (await harness.engine.sweep(T0 + timedelta(minutes=12))).resolved == []  # 9 min clear
    swept = await harness.engine.sweep(T0 + timedelta(minutes=14))
    assert swept.resolved == [first.id]
    assert [n.rule for n in swept.raised] == ["target_met"]
    resolved = harness.store.notifications[first.id]
    assert resolved.state == "resolved"
    assert resolved.resolution_message is not None
    assert [(e.notification_id, e.state) for e in harness.publisher.events][-2:] == [
        (first.id, "resolved"),
        (swept.raised[0].id, "raised"),
    ]
    # target_met is info: the warning-level subscription gets raised + resolved only
    states = sorted(p.delivery.notification_state for p in harness.store.deliveries.values())
    assert states == ["raised", "resolved"]


async def test_a_stale_measure_is_found_by_the_sweep_with_an_injected_clock(
    harness: Harness,
) -> None:
    message = scorecard(measures=[quality(last_event_at=T0, frequency_days=31)])
    assert (await harness.engine.process([record(message)], T0 + timedelta(days=1))).raised == []
    assert (await harness.engine.sweep(T0 + timedelta(days=31))).raised == []
    (stale,) = (await harness.engine.sweep(T0 + timedelta(days=32))).raised
    assert stale.rule == "measure_stale"
    assert stale.measure == "customer-satisfaction"
    assert (await harness.engine.sweep(T0 + timedelta(days=33))).raised == []
    fresh = scorecard(measures=[quality(last_event_at=T0 + timedelta(days=33))], version=2)
    await harness.engine.process([record(fresh)], T0 + timedelta(days=33))
    assert (await harness.engine.sweep(T0 + timedelta(days=34))).resolved == []  # cooldown
    later = T0 + timedelta(days=34, minutes=10)
    assert (await harness.engine.sweep(later)).resolved == [stale.id]


async def test_a_dead_letter_surge_is_raised_once_per_qsmo(harness: Harness) -> None:
    letters = [
        record(dead_letter("grants-management", T0 + timedelta(seconds=i), i), i) for i in range(5)
    ]
    outcome = await harness.engine.process([*letters[:2], record(dead_letter("cybersecurity"))], T0)
    assert outcome.raised == []
    (surge,) = (await harness.engine.process(letters[2:], T0 + timedelta(seconds=5))).raised
    assert surge.rule == "dead_letter_surge"
    assert surge.qsmo == "grants-management"
    assert surge.severity == "critical"
    assert "5 events" in surge.message
    assert (await harness.engine.sweep(T0 + timedelta(minutes=4))).resolved == []
    assert (await harness.engine.sweep(T0 + timedelta(minutes=6))).resolved == []  # cooldown starts
    assert (await harness.engine.sweep(T0 + timedelta(minutes=17))).resolved == [surge.id]


async def test_undecodable_records_are_skipped_and_counted(harness: Harness) -> None:
    bad = record(scorecard()).__class__(SCORECARDS, 0, 9, None, b"not json")
    assert (await harness.engine.process([bad], T0)).raised == []
    assert harness.metric("qsmo_notifications_records_total", kind="undecodable") == 1
