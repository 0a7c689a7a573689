"""The value model behind the simulated feeds: levels, rates and single draws.

Pure: time is an argument and randomness comes from the ``random.Random`` passed in, so the
same seed always gives the same events.
"""

import math
import random
from datetime import UTC, datetime, timedelta, timezone

from qsmo_client.simulator.profiles import Feed, QsmoProfile, ValueKind

FY2022_START = datetime(2021, 10, 1, tzinfo=UTC)
"""The first instant ingest accepts events for."""
DAYS_PER_YEAR = 365.25


def fiscal_month(at: datetime) -> int:
    """0 for October … 11 for September."""
    return (at.month - 10) % 12


def years_since_fy2022(at: datetime) -> float:
    return (at - FY2022_START).total_seconds() / 86_400 / DAYS_PER_YEAR


def level_at(feed: Feed, profile: QsmoProfile, at: datetime) -> float:
    """The mean value of one event of ``feed`` for ``profile`` at ``at`` (before noise)."""
    level = feed.level + feed.trend_per_year * years_since_fy2022(at)
    if feed.kind is not ValueKind.COUNT:
        level += profile.skill * feed.skill_unit
    level *= profile.level_factor.get(feed.measure, 1.0)
    level += profile.level_shift.get(feed.measure, 0.0)
    level += feed.level_season[fiscal_month(at)]
    if profile.slip is not None:
        level += profile.slip.level_shift.get(feed.measure, 0.0) * profile.slip.weight(at)
    return level


def rate_at(feed: Feed, profile: QsmoProfile, at: datetime) -> float:
    """Expected events of ``feed`` in the month around ``at`` (≥ 0)."""
    rate = feed.events_per_month * feed.rate_season[fiscal_month(at)]
    if feed.kind is ValueKind.COUNT:
        rate *= 1 + profile.skill * feed.skill_unit
    if profile.slip is not None and feed.measure in profile.slip.rate_factor:
        factor = profile.slip.rate_factor[feed.measure]
        rate *= 1 + (factor - 1) * profile.slip.weight(at)
    return max(0.0, rate)


def draw_value(feed: Feed, profile: QsmoProfile, at: datetime, rng: random.Random) -> float:
    """One event's value, always inside the measure's range (docs/ingest.md)."""
    level = level_at(feed, profile, at)
    if feed.kind is ValueKind.COUNT:
        return rng.randint(1, feed.max_count)
    noisy = rng.gauss(level, feed.spread)
    if feed.kind is ValueKind.SCORE:
        return round(min(5.0, max(1.0, noisy)), 1)
    if feed.kind is ValueKind.PERCENT:
        return round(min(100.0, max(0.0, noisy)), 1)
    if feed.kind is ValueKind.DOLLARS:
        return max(10_000, round(noisy))
    return round(max(1.0, noisy), 1)


def poisson(rate: float, rng: random.Random) -> int:
    """A Poisson-distributed count with mean ``rate`` (Knuth's method; rates here are small)."""
    limit = math.exp(-rate)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def eastern_offset(month: int) -> timezone:
    """US Eastern as QSMO systems stamp their events: EDT April–October, EST otherwise
    (close enough for a simulation; the offset is explicit, so instants are exact)."""
    return timezone(timedelta(hours=-4 if 4 <= month <= 10 else -5))


def rfc3339(at: datetime) -> str:
    """``at`` in US Eastern with its offset, to the second."""
    local = at.astimezone(eastern_offset(at.astimezone(UTC).month))
    return local.replace(microsecond=0).isoformat()
