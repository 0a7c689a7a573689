"""The decoder's quick check accepts exactly the events the full catalog check finds valid.

``decoding._plainly_valid`` decides the common case from a per-measure cache; whenever it says
no, ``validate_observation`` runs and explains. So it must never accept an event the full
check would refuse, and (to be worth having) it accepts every plain valid one.
"""

import math
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.measures.decoding import _plainly_valid
from shared.catalog import load_catalog
from shared.domain.validation import EARLIEST_OCCURRED_AT, validate_observation
from shared.events import AcceptedEvent

CATALOG = load_catalog()
MEASURES = [*sorted({m.id for f in CATALOG.frameworks for m in f.measures}), "no-such-measure"]
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9)))


@settings(max_examples=400, database=None, deadline=None)
@given(
    measure=st.sampled_from(MEASURES),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([-1.0, 0.0, 1.0, 5.0, 100.0, 100.5, 1e9, math.inf, math.nan]),
    ),
    occurred=st.one_of(
        st.sampled_from([EARLIEST_OCCURRED_AT, NOW + timedelta(minutes=5)]).flatmap(
            lambda edge: st.integers(-2, 2).map(lambda us: edge + timedelta(microseconds=us))
        ),
        st.datetimes(
            min_value=datetime(2021, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
        ),
    ),
    zone=st.sampled_from(ZONES),
    ingested_zone=st.sampled_from(ZONES),
)
def test_quick_check_agrees_with_the_full_check(
    measure: str,
    value: float,
    occurred: datetime,
    zone: timezone,
    ingested_zone: timezone,
) -> None:
    event = AcceptedEvent.model_construct(
        event_id="e",
        qsmo="cybersecurity",
        measure=measure,
        value=value,
        occurred_at=occurred.astimezone(zone),
        ingested_at=NOW.astimezone(ingested_zone),
        request_id="r",
    )
    problems = validate_observation(
        CATALOG,
        qsmo=event.qsmo,
        measure=event.measure,
        value=event.value,
        occurred_at=event.occurred_at,
        now=event.ingested_at,
        known_qsmos=[event.qsmo],
        framework_version=CATALOG.framework_for_measure(event.measure).version,
    )
    assert _plainly_valid(event, CATALOG) == (problems == [])
