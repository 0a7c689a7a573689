"""Ingest's Prometheus metrics, on a registry of its own (one per app).

Labels are bounded: ``qsmo`` is a catalog QSMO id or ``other``; ``outcome`` and ``route``
come from fixed lists; ``reason`` is an error class name. Never an event id or a key.
"""

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.identity.metrics import IdentityMetrics

EVENT_OUTCOMES = ("accepted", "invalid", "unauthorized", "forbidden", "throttled", "unavailable")
_OUTCOME_BY_STATUS = {
    202: "accepted",
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    405: "invalid",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "throttled",
    503: "unavailable",
}
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)


def request_outcome(status: int) -> str:
    """The outcome label of an answer with this HTTP status."""
    return _OUTCOME_BY_STATUS.get(status, "error")


def event_outcome(status: int) -> str:
    """The outcome of each event of a request answered with this status."""
    outcome = request_outcome(status)
    return "invalid" if outcome in ("too_large", "unsupported_media_type") else outcome


class IngestMetrics:
    """Counters and histograms of the ingest service (names ``qsmo_ingest_…``)."""

    def __init__(self, registry: CollectorRegistry, known_qsmos: Iterable[str]) -> None:
        self.known_qsmos = frozenset(known_qsmos)
        self.identity = IdentityMetrics(registry, "ingest")
        """Refused credentials by reason, accepted tokens (``shared.identity``)."""
        self.events = Counter(
            "qsmo_ingest_events_total",
            "Events received, by QSMO (catalog id or 'other') and outcome.",
            ["qsmo", "outcome"],
            registry=registry,
        )
        self.requests = Counter(
            "qsmo_ingest_requests_total",
            "Requests to the ingest endpoints, by route and outcome.",
            ["route", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "qsmo_ingest_request_duration_seconds",
            "Time from request to answer on the ingest endpoints.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "qsmo_ingest_batch_size_events",
            "Events per request whose body was read.",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.producer_errors = Counter(
            "qsmo_ingest_producer_errors_total",
            "Publish attempts Kafka did not acknowledge, by reason.",
            ["reason"],
            registry=registry,
        )
        self.added_qsmos = Gauge(
            "qsmo_ingest_added_qsmos",
            "QSMOs added by admins at run time that ingest accepts events for.",
            registry=registry,
        )
        self.qsmo_refresh_failures = Counter(
            "qsmo_ingest_qsmo_refresh_failures_total",
            "Reads of the framework audit log (for added QSMOs) that failed.",
            registry=registry,
        )
        for qsmo in (*sorted(self.known_qsmos), "other"):
            for outcome in EVENT_OUTCOMES:
                self.events.labels(qsmo=qsmo, outcome=outcome)

    def qsmo_label(self, qsmo: str | None) -> str:
        """A catalog QSMO id as is; anything else (typos, junk, missing) as ``other``."""
        return qsmo if qsmo in self.known_qsmos else "other"

    def observe_request(
        self, route: str, status: int, duration_s: float, qsmos: Tally[str] | None
    ) -> None:
        """Record one answered request; ``qsmos`` counts its events by label, if read."""
        self.requests.labels(route=route, outcome=request_outcome(status)).inc()
        self.duration.labels(route=route).observe(duration_s)
        if qsmos is None:
            return
        self.batch_size.observe(sum(qsmos.values()))
        outcome = event_outcome(status)
        for qsmo, count in qsmos.items():
            self.events.labels(qsmo=qsmo, outcome=outcome).inc(count)

    def producer_error(self, reason: str) -> None:
        """Count a publish attempt that failed (``timeout``, an aiokafka error name …)."""
        self.producer_errors.labels(reason=reason).inc()
