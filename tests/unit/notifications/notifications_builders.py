"""Messages and records for the notification unit tests, built without a broker."""

import base64
from datetime import UTC, datetime

from services.notifications.models import Subscription
from services.notifications.ports import RawRecord
from shared.events import DeadLetter, MeasureQuality, ScorecardChanged, StatusTransition

SCORECARDS = "t.scorecards"
DLQ = "t.dlq"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def transition(
    from_status: str,
    to_status: str,
    *,
    level: str = "measure",
    measure: str | None = "customer-satisfaction",
    dimension: str | None = "customer",
    to_score: float | None = 3.4,
    from_score: float | None = 3.7,
    target: float | None = 4.0,
) -> StatusTransition:
    return StatusTransition.model_validate(
        {
            "level": level,
            "dimension": dimension,
            "measure": measure if level == "measure" else None,
            "from_status": from_status,
            "to_status": to_status,
            "from_score": from_score,
            "to_score": to_score,
            "target": target,
        }
    )


def quality(
    measure: str = "customer-satisfaction",
    last_event_at: datetime | None = T0,
    frequency_days: int = 31,
) -> MeasureQuality:
    return MeasureQuality(
        measure=measure,
        dimension="customer",
        status="GREEN",
        value=4.2,
        target=4.0,
        event_count=3,
        restated_count=0,
        last_event_at=last_event_at,
        last_ingested_at=last_event_at,
        reporting_frequency_days=frequency_days,
        stale=False,
    )


def scorecard(
    *transitions: StatusTransition,
    qsmo: str | None = "cybersecurity",
    fiscal_year: int = 2025,
    version: int = 1,
    measures: list[MeasureQuality] | None = None,
) -> ScorecardChanged:
    return ScorecardChanged(
        scorecard_id=f"FY{fiscal_year}|{qsmo or 'government'}",
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        version=version,
        phase=1,
        computed_at=T0,
        cause="new_data",
        overall_score=80.0,
        overall_status="AMBER",
        transitions=list(transitions),
        measures=measures or [],
    )


def dead_letter(qsmo: str | None, at: datetime = T0, offset: int = 0) -> DeadLetter:
    return DeadLetter(
        reason="value 9 is outside 1..5",
        code="validation",
        topic="qsmo.events.v1",
        partition=0,
        offset=offset,
        key=f"{qsmo}|customer-satisfaction" if qsmo else None,
        payload_base64=base64.b64encode(b"{}").decode(),
        dead_lettered_at=at,
    )


def record(message: ScorecardChanged | DeadLetter, offset: int = 0) -> RawRecord:
    topic = DLQ if isinstance(message, DeadLetter) else SCORECARDS
    return RawRecord(topic, 0, offset, None, message.model_dump_json().encode())


def subscription(
    sub_id: str = "sub_1",
    *,
    qsmo: str | None = "cybersecurity",
    min_severity: str = "warning",
    measure: str | None = None,
    dimension: str | None = None,
) -> Subscription:
    return Subscription.model_validate(
        {
            "id": sub_id,
            "qsmo": qsmo,
            "dimension": dimension,
            "measure": measure,
            "min_severity": min_severity,
            "url": "https://hooks.example.com/qsmo",
            "created_at": T0,
            "created_by": "dev-admin",
        }
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
