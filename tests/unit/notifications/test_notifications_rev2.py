"""FRAMEWORK.md rev. 2 notification rules with a fake clock: which years tell status, the
daily ``restated`` notice, the lag-gated stale sweep and its day count, and the digest."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from notifications_builders import (
    DLQ,
    SCORECARDS,
    quality,
    record,
    scorecard,
    subscription,
    transition,
)
from prometheus_client import CollectorRegistry

from services.notifications.digest import (
    digest_delivery_id,
    digest_of,
    due_days,
    subscription_digest,
)
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.lag import lane_lag
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Notification, Subscription
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.repository import InMemoryNotificationStore
from services.notifications.restated import restated_id
from services.notifications.signals import Names, scorecard_signals, tells_status
from shared.catalog import load_catalog
from shared.events import ScorecardChanged

NAMES = Names.from_catalog(load_catalog())
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
"""Two months into FY2027; FY2026 closed on 2026-10-01 (60 days before)."""
FY2026_END = datetime(2026, 10, 1, tzinfo=UTC)


class FakeProbe:
    """Lags the test sets by hand; ``None`` = Kafka cannot be reached."""

    def __init__(self) -> None:
        self.value: dict[str, int] | None = {"measures@qsmo.events.v1": 0}

    async def lags(self) -> dict[str, int]:
        if self.value is None:
            raise ConnectionError("no broker")
        return dict(self.value)

    async def close(self) -> None:
        return None


class Harness:
    def __init__(self, *subscriptions: Subscription) -> None:
        self.store = InMemoryNotificationStore()
        for s in subscriptions:
            self.store.subscription_list.append((s, "secret-secret-secret"))
        self.probe = FakeProbe()
        settings = RuleSettings(SCORECARDS, DLQ, timedelta(minutes=15), 3, timedelta(minutes=5), 4)
        self.engine = NotificationEngine(
            self.store,
            InMemoryNotificationPublisher(),
            NAMES,
            settings,
            NotificationsMetrics(CollectorRegistry()),
            self.probe,
        )


def red(fiscal_year: int, qsmo: str | None = "cybersecurity") -> ScorecardChanged:
    return scorecard(transition("NO_DATA", "RED"), fiscal_year=fiscal_year, qsmo=qsmo)


@pytest.mark.parametrize(
    ("year", "now", "expected"),
    [
        (2027, NOW, True),  # FY2027 is open
        (2026, FY2026_END - timedelta(microseconds=1), True),  # FY2026's last instant
        (2026, FY2026_END + timedelta(days=45) - timedelta(microseconds=1), True),
        (2026, FY2026_END + timedelta(days=45), False),  # exactly 45 days closed
        (2026, NOW, False),  # 60 days closed
    ],
    ids=["open", "last-instant", "just-under-45-days", "45-days", "60-days"],
)
def test_status_is_told_for_open_years_and_years_closed_under_45_days(
    year: int, now: datetime, expected: bool
) -> None:
    assert tells_status(year, now) is expected
    assert bool(scorecard_signals(red(year), NAMES, now)) is expected


def test_a_year_not_started_yet_tells_status() -> None:
    assert tells_status(2028, NOW)


async def test_a_backfill_of_closed_years_raises_status_only_for_the_open_year() -> None:
    harness = Harness()
    backfill = [
        red(year, qsmo) for year in (2024, 2025, 2026, 2027) for qsmo in ("cybersecurity", None)
    ]
    outcome = await harness.engine.process([record(m, i) for i, m in enumerate(backfill)], NOW)
    assert {(n.rule, n.fiscal_year) for n in outcome.raised} == {("status_degraded", 2027)}
    assert len(outcome.raised) == 2  # the QSMO's and the government-wide FY2027


def restated(
    version: int, values: dict[str, float], *, cause: str = "restatement", year: int = 2024
) -> ScorecardChanged:
    measures = [
        quality(measure).model_copy(
            update={"value": value, "restated_count": int(cause != "new_data")}
        )
        for measure, value in values.items()
    ]
    message = scorecard(fiscal_year=year, version=version, measures=measures)
    return message.model_copy(update={"cause": cause})


async def test_restatements_of_a_long_closed_year_coalesce_into_one_notice_a_day() -> None:
    harness = Harness(subscription(min_severity="info"))
    engine = harness.engine
    history = restated(1, {"customer-satisfaction": 4.2, "cost-avoidance": 10.0}, cause="new_data")
    assert (await engine.process([record(history)], NOW)).raised == []  # history, no news

    first = restated(2, {"customer-satisfaction": 3.1, "cost-avoidance": 10.0})
    (notice,) = (await engine.process([record(first)], NOW)).raised
    assert notice.id == restated_id("cybersecurity", 2024, NOW.date())
    assert (notice.rule, notice.severity, notice.fiscal_year) == ("restated", "info", 2024)
    assert notice.changed_measures == ("customer-satisfaction",)
    assert notice.message == (
        "FY2024 of Cybersecurity Services QSMO (closed 2024-10-01) was restated on 2026-11-30: "
        "late events changed Customer Satisfaction"
    )

    second = restated(3, {"customer-satisfaction": 3.1, "cost-avoidance": 12.5})
    again = await engine.process([record(second)], NOW + timedelta(hours=3))
    assert again.raised == []
    assert again.updated == [notice.id]
    stored = harness.store.notifications[notice.id]
    assert stored.changed_measures == ("cost-avoidance", "customer-satisfaction")
    assert stored.message.endswith("late events changed Cost Avoidance, Customer Satisfaction")
    assert stored.raised_at == notice.raised_at
    assert [n.rule for n in harness.store.notifications.values()] == ["restated"]
    assert len(harness.store.deliveries) == 1  # one webhook, when it was first raised

    unchanged = restated(4, {"customer-satisfaction": 3.1, "cost-avoidance": 12.5})
    assert (await engine.process([record(unchanged)], NOW + timedelta(days=1))).raised == []
    third = restated(5, {"customer-satisfaction": 2.0, "cost-avoidance": 12.5})
    (next_day,) = (await engine.process([record(third)], NOW + timedelta(days=1))).raised
    assert next_day.id != notice.id
    assert next_day.changed_measures == ("customer-satisfaction",)


async def test_a_restatement_within_45_days_is_a_status_change_not_a_restated_notice() -> None:
    harness = Harness()
    message = red(2026).model_copy(update={"cause": "restatement"})
    (raised,) = (
        await harness.engine.process([record(message)], FY2026_END + timedelta(days=44))
    ).raised
    assert raised.rule == "status_degraded"


def fresh_at(last: datetime, *, year: int = 2027, version: int = 1) -> ScorecardChanged:
    return scorecard(
        fiscal_year=year, version=version, measures=[quality(last_event_at=last, frequency_days=31)]
    )


async def test_stale_is_judged_by_the_sweep_only_while_the_pipeline_has_caught_up() -> None:
    harness = Harness()
    await harness.engine.process([record(fresh_at(NOW - timedelta(days=40)))], NOW)
    assert harness.store.notifications == {}  # a batch never judges staleness

    harness.probe.value = {"measures@qsmo.events.v1": 120, "scorecard@values": 0}
    lagging = await harness.engine.sweep(NOW)
    assert (lagging.stale_judged, lagging.raised) == (False, [])
    harness.probe.value = None  # lag unknown: treated as lagging
    assert (await harness.engine.sweep(NOW)).raised == []

    harness.probe.value = {"measures@qsmo.events.v1": 0, "scorecard@values": 0}
    (stale,) = (await harness.engine.sweep(NOW)).raised
    assert stale.rule == "measure_stale"
    assert "(40 days;" in stale.message


async def test_a_backfill_brings_no_stale_notice_for_its_own_data() -> None:
    harness = Harness()
    harness.probe.value = {"measures@qsmo.events.v1": 5000}
    old = fresh_at(datetime(2024, 12, 22, tzinfo=UTC), year=2025)
    await harness.engine.process([record(old)], NOW)
    assert (await harness.engine.sweep(NOW)).raised == []  # mid-backfill: not judged
    await harness.engine.process([record(fresh_at(NOW - timedelta(days=3)), 1)], NOW)
    harness.probe.value = {"measures@qsmo.events.v1": 0}
    done = await harness.engine.sweep(NOW + timedelta(minutes=1))
    assert done.stale_judged
    assert done.raised == []


async def test_the_day_count_is_from_the_newest_event_and_stays_current() -> None:
    """Regression (issue #16): an open notice said "708 days" when the last event was 39
    days earlier — the text of a breach raised from an older year's last event, never
    rewritten while the condition stayed open."""
    harness = Harness()
    older_year = fresh_at(datetime(2024, 12, 22, 12, tzinfo=UTC), year=2025)
    await harness.engine.process([record(older_year)], NOW)
    (stale,) = (await harness.engine.sweep(NOW)).raised
    assert "no event since 2024-12-22 (708 days;" in stale.message

    newest = fresh_at(NOW - timedelta(days=39), version=2)
    await harness.engine.process([record(newest, 1)], NOW)
    await harness.engine.process([record(older_year, 2)], NOW)  # a replayed older year
    swept = await harness.engine.sweep(NOW + timedelta(minutes=1))
    assert swept.raised == []
    assert swept.updated == [stale.id]
    message = harness.store.notifications[stale.id].message
    assert f"no event since {(NOW - timedelta(days=39)).date()} (39 days;" in message
    assert (await harness.engine.sweep(NOW + timedelta(minutes=2))).updated == []
    tomorrow = await harness.engine.sweep(NOW + timedelta(days=1))
    assert tomorrow.updated == [stale.id]
    assert "(40 days;" in harness.store.notifications[stale.id].message


def test_lane_lag_counts_from_the_committed_offset_or_the_beginning() -> None:
    assert lane_lag({0: 10, 1: 5}, {0: 0, 1: 0}, {0: 10, 1: 5}) == 0
    assert lane_lag({0: 10, 1: None}, {0: 0, 1: 3}, {0: 12, 1: 7}) == 2 + 4
    assert lane_lag({}, {0: 0}, {0: 0}) == 0  # an empty topic never lags


def digest_subscription(
    created: datetime = NOW - timedelta(days=2), *, delivery: str = "DAILY_DIGEST"
) -> Subscription:
    return Subscription.model_validate(
        {
            "id": "sub_digest",
            "qsmo": "cybersecurity",
            "min_severity": "warning",
            "url": "https://hooks.example.com/digest",
            "created_at": created,
            "created_by": "dev-admin",
            "delivery": delivery,
        }
    )


def test_due_days_are_finished_days_since_the_subscription_within_the_lookback() -> None:
    subscription = digest_subscription()
    assert due_days(subscription, NOW) == [date(2026, 11, 28), date(2026, 11, 29)]
    assert due_days(digest_subscription(NOW - timedelta(days=30)), NOW)[0] == date(2026, 11, 23)
    assert due_days(digest_subscription(delivery="IMMEDIATE"), NOW) == []


def notification(
    nid: str, at: datetime, qsmo: str = "cybersecurity", severity: str = "critical"
) -> Notification:
    return Notification.model_validate(
        {
            "id": nid,
            "rule": "status_degraded",
            "severity": severity,
            "state": "raised",
            "qsmo": qsmo,
            "message": nid,
            "raised_at": at,
        }
    )


def test_a_digest_holds_the_day_s_matching_notifications_oldest_first() -> None:
    day = date(2026, 11, 29)
    start = datetime(2026, 11, 29, tzinfo=UTC)
    found = [
        notification("b", start + timedelta(hours=5)),
        notification("a", start),
        notification("late", start + timedelta(days=1)),
        notification("other", start, qsmo="human-resources"),
        notification("info", start, severity="info"),
    ]
    assert [n.id for n in digest_of(found, day, "cybersecurity")] == ["a", "info", "b"]
    assert [n.id for n in subscription_digest(digest_subscription(), found, day)] == ["a", "b"]


async def test_a_digest_subscription_gets_one_delivery_a_day_and_no_immediate_ones() -> None:
    harness = Harness(digest_subscription())
    day_before = NOW - timedelta(days=1)
    outcome = await harness.engine.process([record(red(2027))], day_before)
    assert outcome.raised
    assert outcome.deliveries == 0

    swept = await harness.engine.sweep(NOW)
    assert swept.digests == 2  # 2026-11-28 (quiet) and 2026-11-29
    assert (await harness.engine.sweep(NOW + timedelta(minutes=1))).digests == 0
    delivery_id = digest_delivery_id("sub_digest", day_before.date())
    pending = harness.store.deliveries[delivery_id]
    assert (pending.delivery.kind, pending.delivery.digest_date) == ("digest", "2026-11-29")
    body = json.loads(pending.body)
    assert (body["type"], body["date"], body["count"]) == ("notification.digest", "2026-11-29", 1)
    assert body["notifications"][0]["notification_id"] == outcome.raised[0].id
    quiet = json.loads(
        harness.store.deliveries[digest_delivery_id("sub_digest", date(2026, 11, 28))].body
    )
    assert quiet["count"] == 0
