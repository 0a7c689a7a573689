"""Kafka topic names: the platform's event streams, versioned in the name."""

from typing import Final

EVENTS: Final = "qsmo.events.v1"
"""Performance events accepted by ingest; key ``"<qsmo>|<measure>"``."""
EVENTS_DLQ: Final = "qsmo.events.dlq.v1"
"""Events the measures service could not process, with the reason and the original bytes."""
MEASURE_VALUES: Final = "qsmo.measure-values.v1"
"""``MeasureValueChanged`` events from the measures service."""
SCORECARDS: Final = "qsmo.scorecards.v1"
"""``ScorecardChanged`` events from the scorecard service."""
NOTIFICATIONS: Final = "qsmo.notifications.v1"
"""``NotificationRaised`` events from the notifications service."""
FRAMEWORK: Final = "qsmo.framework.v1"
"""``FrameworkChanged`` events: targets, weights, baselines, adoptions, new QSMOs."""

REVIEWS: Final = "qsmo.reviews.v1"
"""Performance reviews and the Adjust loop, from the gateway: ``ReviewReady`` (a review's packet
is frozen and goes out to its stakeholders) and ``ImprovementActionOverdue``; key: the QSMO id
(``GOVERNMENT`` for government-wide). The notifications service delivers them."""

ALL_TOPICS: Final = (
    EVENTS,
    EVENTS_DLQ,
    MEASURE_VALUES,
    SCORECARDS,
    NOTIFICATIONS,
    FRAMEWORK,
    REVIEWS,
)


def event_key(qsmo: str, measure: str) -> bytes:
    """Kafka key of a performance event: one partition owns each QSMO-measure pair."""
    return f"{qsmo}|{measure}".encode()
