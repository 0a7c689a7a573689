"""Records for the measures handlers, built without a broker."""

from datetime import UTC, datetime

from services.measures.decoding import RawRecord
from shared.events import AcceptedEvent

TOPIC = "qsmo.events.v1"
INGESTED = datetime(2025, 6, 1, tzinfo=UTC)


def accepted(
    event_id: str,
    value: float,
    occurred_at: datetime,
    *,
    qsmo: str = "cybersecurity",
    measure: str = "customer-engagement",
    provider: str | None = None,
    agency: str | None = None,
) -> AcceptedEvent:
    return AcceptedEvent(
        event_id=event_id,
        qsmo=qsmo,
        measure=measure,
        value=value,
        occurred_at=occurred_at,
        ingested_at=INGESTED,
        request_id="r",
        provider=provider,
        agency=agency,
    )


def record(event: AcceptedEvent, offset: int, partition: int = 0) -> RawRecord:
    key = f"{event.qsmo}|{event.measure}".encode()
    return RawRecord(TOPIC, partition, offset, key, event.model_dump_json().encode())
