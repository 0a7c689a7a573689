"""The historical backfill: every simulated event from ``since`` up to ``until``, as deliveries.

A *delivery* is one sending of an event: most events arrive within two days of occurring,
some arrive months late (backdated: they land in their own, already reported period), and
some are sent twice — a client that retried after losing the answer — with the same
``event_id``, which the platform counts once.

Each (seed, QSMO, measure, month) draws from its own random stream, so a month's events do
not depend on the range asked for: extending ``until`` only adds events. With a
``Marketplace`` (``marketplace``), events name the provider and customer agency their feed
calls for (``Feed.reach``), drawn from a second stream of the same month.
"""

import calendar
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qsmo_client.events import Event
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.model import (
    FY2022_START,
    draw_value,
    eastern_offset,
    poisson,
    rate_at,
    rfc3339,
)
from qsmo_client.simulator.profiles import (
    ENGAGEMENT_CHANNELS,
    FEEDS,
    Feed,
    QsmoProfile,
    profile_for,
)
from shared.domain.catalog import Framework

LATE_SHARE = 0.03
"""Share of events that arrive 95–200 days after they occurred."""
RETRY_SHARE = 0.015
"""Share of events a client sends a second time, with the same id."""


@dataclass(frozen=True)
class Delivery:
    """One sending of ``event`` at ``arrival``."""

    arrival: datetime
    event: Event
    late: bool = False
    retry: bool = False


def measure_start(framework: Framework, measure_id: str) -> datetime | None:
    """When a measure starts reporting: 1 October before its phase's first fiscal year."""
    phase = framework.measure(measure_id).phase
    if phase is None:
        return None
    fiscal_year = framework.phase(phase).fiscal_year
    return datetime(fiscal_year - 1, 10, 1, tzinfo=UTC)


def months(since: datetime, until: datetime) -> Iterator[tuple[int, int]]:
    """(year, month) of every calendar month that overlaps [since, until]."""
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def generate_history(
    seed: int,
    qsmos: Sequence[str],
    since: datetime,
    until: datetime,
    framework: Framework,
    marketplace: Marketplace | None = None,
) -> list[Delivery]:
    """Every delivery of events that occurred in [since, until], ordered by arrival.

    ``since`` is moved up to FY2022 (ingest refuses earlier events); arrivals never pass
    ``until``. Measures report from the fiscal year their phase begins. Without a
    ``marketplace`` no event names a provider (agencies are drawn as before the tiers).
    """
    since = max(since, FY2022_START)
    deliveries: list[Delivery] = []
    for qsmo in qsmos:
        profile = profile_for(qsmo)
        for feed in FEEDS:
            start = measure_start(framework, feed.measure)
            if start is None:
                continue
            for year, month in months(max(since, start), until):
                for delivery in month_deliveries(seed, profile, feed, year, month, marketplace):
                    if since <= _occurred(delivery) <= until:
                        deliveries.append(_capped(delivery, until))
    deliveries.sort(key=lambda d: (d.arrival, d.event.event_id, d.retry))
    return deliveries


def month_deliveries(
    seed: int,
    profile: QsmoProfile,
    feed: Feed,
    year: int,
    month: int,
    marketplace: Marketplace | None = None,
) -> list[Delivery]:
    """The deliveries of one measure's events that occurred in one month (uncapped)."""
    stream = f"{seed}|{profile.qsmo}|{feed.measure}|{year:04d}-{month:02d}"
    rng = random.Random(stream)
    tiers = random.Random(f"{stream}|tiers")
    market = marketplace or Marketplace(seed, ())
    middle = datetime(year, month, 15, tzinfo=UTC)
    if feed.quarterly:
        count = 1 if (month - 10) % 3 == 1 else 0
    else:
        count = poisson(rate_at(feed, profile, middle), rng)
    last_day = calendar.monthrange(year, month)[1]
    deliveries: list[Delivery] = []
    for number in range(1, count + 1):
        local = datetime(
            year,
            month,
            rng.randint(1, last_day),
            rng.randint(8, 17),
            rng.randint(0, 59),
            tzinfo=eastern_offset(month),
        )
        occurred = local.astimezone(UTC)
        agency, provider = market.names(profile.qsmo, feed, occurred, tiers)
        event = Event(
            event_id=f"sim{seed}-{profile.qsmo}-{feed.measure}-{year:04d}{month:02d}-{number}",
            qsmo=profile.qsmo,
            measure=feed.measure,
            value=draw_value(feed, profile, occurred, rng),
            occurred_at=rfc3339(occurred),
            agency=agency,
            provider=provider,
            source=profile.source,
            attributes=_attributes(feed, rng),
        )
        late = rng.random() < LATE_SHARE
        delay = (
            timedelta(days=rng.uniform(95, 200)) if late else timedelta(hours=rng.uniform(0.1, 48))
        )
        deliveries.append(Delivery(occurred + delay, event, late=late))
        if rng.random() < RETRY_SHARE:
            again = occurred + delay + timedelta(hours=rng.uniform(0.5, 6))
            deliveries.append(Delivery(again, event, late=late, retry=True))
    return deliveries


def _attributes(feed: Feed, rng: random.Random) -> dict[str, str | int]:
    if feed.attribute == "responses":
        return {"responses": rng.randint(5, 60)}
    if feed.attribute == "channel":
        return {"channel": rng.choice(ENGAGEMENT_CHANNELS)}
    return {}


def _occurred(delivery: Delivery) -> datetime:
    return datetime.fromisoformat(delivery.event.occurred_at).astimezone(UTC)


def _capped(delivery: Delivery, until: datetime) -> Delivery:
    if delivery.arrival <= until:
        return delivery
    return Delivery(until, delivery.event, delivery.late, delivery.retry)
