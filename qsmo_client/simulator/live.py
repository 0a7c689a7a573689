"""The live trickle after the backfill: a few events at a time, as QSMO systems send them.

``--rate`` paces the survey and snapshot measures (``mean`` and ``latest``: more of them
moves no total), picked as often as their feeds report. Counts and dollars (``sum``) keep
their real monthly pace, so year totals stay believable however long the trickle runs.
Values follow the backfill's model (the stories go on); some events are backdated (late) and
some of the previous tick's events are sent again with their ids (client retries). With a
``Marketplace``, events name providers and agencies as the backfill's do (its migrations
have happened by now).
"""

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from qsmo_client.events import Event
from qsmo_client.simulator.history import measure_start
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.model import FY2022_START, draw_value, poisson, rate_at, rfc3339
from qsmo_client.simulator.profiles import FEEDS, Feed, profile_for
from shared.domain.catalog import Framework
from shared.domain.measures import Aggregation

LIVE_LATE_SHARE = 0.08
LIVE_RETRY_SHARE = 0.05
MAX_BACKDATE_DAYS = 45
SECONDS_PER_MONTH = 30.44 * 86_400


class LiveTrickle:
    """Draws the events of each tick; deterministic for a seed and start instant."""

    def __init__(
        self,
        seed: int,
        qsmos: Sequence[str],
        started: datetime,
        framework: Framework,
        marketplace: Marketplace | None = None,
    ) -> None:
        self._seed = seed
        self._qsmos = list(qsmos)
        self._framework = framework
        self._run = started.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        self._rng = random.Random(f"{seed}|live|{self._run}")
        self._tiers = random.Random(f"{seed}|live|{self._run}|tiers")
        self._marketplace = marketplace or Marketplace(seed, ())
        self._sent = 0
        self._previous: list[Event] = []

    def tick(self, now: datetime, elapsed_s: float, rate_per_s: float) -> list[Event]:
        """The events of the ``elapsed_s`` seconds up to ``now``, plus client retries."""
        rng = self._rng
        events = [self._snapshot_event(now) for _ in range(poisson(rate_per_s * elapsed_s, rng))]
        for qsmo in self._qsmos:
            for feed in self._feeds(now, summed=True):
                expected = rate_at(feed, profile_for(qsmo), now) * elapsed_s / SECONDS_PER_MONTH
                events += [self._event(qsmo, feed, now) for _ in range(poisson(expected, rng))]
        repeats = [e for e in self._previous if rng.random() < LIVE_RETRY_SHARE]
        self._previous = events
        return events + repeats

    def _feeds(self, at: datetime, *, summed: bool) -> list[Feed]:
        return [
            feed
            for feed in FEEDS
            if (start := measure_start(self._framework, feed.measure)) is not None
            and start <= at
            and (self._framework.measure(feed.measure).aggregation is Aggregation.SUM) == summed
        ]

    def _snapshot_event(self, now: datetime) -> Event:
        rng = self._rng
        occurred = now - timedelta(seconds=rng.uniform(0, 60))
        if rng.random() < LIVE_LATE_SHARE:
            occurred = max(now - timedelta(days=rng.uniform(1, MAX_BACKDATE_DAYS)), FY2022_START)
        qsmo = rng.choice(self._qsmos)
        feeds = self._feeds(occurred, summed=False)
        weights = [rate_at(feed, profile_for(qsmo), occurred) + 0.05 for feed in feeds]
        return self._event(qsmo, rng.choices(feeds, weights=weights)[0], occurred)

    def _event(self, qsmo: str, feed: Feed, occurred: datetime) -> Event:
        rng = self._rng
        profile = profile_for(qsmo)
        self._sent += 1
        agency, provider = self._marketplace.names(qsmo, feed, occurred, self._tiers)
        return Event(
            event_id=f"sim{self._seed}-live-{self._run}-{self._sent}",
            qsmo=qsmo,
            measure=feed.measure,
            value=draw_value(feed, profile, occurred, rng),
            occurred_at=rfc3339(occurred),
            agency=agency,
            provider=provider,
            source=profile.source,
        )
