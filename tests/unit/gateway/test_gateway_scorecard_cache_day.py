"""Rev. 2: a cached scorecard belongs to the UTC day it was judged on (open years' targets
grow every day), so a new day reads afresh even within the TTL."""

from datetime import date

from gateway_unit_support import QSMOS, InMemoryScorecards, make_view

from gateway.caching import CachedScorecards, ReadThrough
from shared.catalog import load_catalog


async def test_a_new_utc_day_reads_the_scorecards_again() -> None:
    reader = InMemoryScorecards()
    for qsmo in QSMOS:
        reader.versions.append(make_view(load_catalog(), 2027, qsmo, {"customer-engagement": 1}))
    today = [date(2026, 11, 30)]
    cached = CachedScorecards(reader, ReadThrough(3600, lambda: True), today=lambda: today[0])
    for _ in range(2):
        await cached.current(2027, "cybersecurity")
        await cached.all_current(2027)
    assert (reader.calls["current"], reader.calls["all_current"]) == (1, 1)
    today[0] = date(2026, 12, 1)
    await cached.current(2027, "cybersecurity")
    await cached.all_current(2027)
    assert (reader.calls["current"], reader.calls["all_current"]) == (2, 2)
