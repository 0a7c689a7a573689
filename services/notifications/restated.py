"""Pure rule: changes to periods closed long ago raise one ``restated`` notice a day.

A scorecard of a fiscal year closed 45 days or more before ``now`` no longer raises status
notifications (``signals.tells_status``). When such a scorecard changes because late events
restated it (``cause == "restatement"``), the QSMO's readers hear it once a day: one
``restated`` notification per (QSMO, fiscal year, UTC day), id
``ntf_`` + SHA-256 of ``restated|<qsmo>|FY<year>|<day>``, naming the measures whose values
changed. A second restatement the same day rewrites that notification (the union of the
measures), it does not raise another.

"Values changed" is judged against the values this service last saw for the scorecard
(``ClosedSnapshot``, kept for every scorecard of a long-closed year, whatever the cause); a
scorecard never seen before names its measures with restated events. Government-wide
scorecards raise none: the QSMOs' own scorecards carry the same changes.
"""

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from services.notifications.models import Notification
from services.notifications.rules import notification_id
from services.notifications.signals import Names, links, tells_status
from shared.domain.fiscal import fiscal_year_period
from shared.events import ScorecardChanged

TOLERANCE = 1e-9


class ClosedSnapshot(BaseModel):
    """The measure values of a long-closed QSMO scorecard as last seen (stored)."""

    model_config = ConfigDict(frozen=True)

    scorecard_id: str
    values: dict[str, float | None]
    restated: dict[str, int]


def is_long_closed(message: ScorecardChanged, now: datetime) -> bool:
    """A QSMO scorecard of a year that no longer tells status at ``now``."""
    return message.qsmo is not None and not tells_status(message.fiscal_year, now)


def snapshot_of(message: ScorecardChanged) -> ClosedSnapshot:
    return ClosedSnapshot(
        scorecard_id=message.scorecard_id,
        values={m.measure: m.value for m in message.measures},
        restated={m.measure: m.restated_count for m in message.measures},
    )


def _differs(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs(old - new) > TOLERANCE * max(1.0, abs(old), abs(new))


def changed_measures(old: ClosedSnapshot | None, message: ScorecardChanged) -> list[str]:
    """Measures whose value differs from ``old`` (or, with no snapshot, that were restated)."""
    if old is None:
        return sorted(m.measure for m in message.measures if m.restated_count > 0)
    return sorted(
        m.measure
        for m in message.measures
        if m.measure not in old.values or _differs(old.values[m.measure], m.value)
    )


def restated_key(qsmo: str, fiscal_year: int, day: date) -> str:
    return f"restated|{qsmo}|FY{fiscal_year}|{day.isoformat()}"


def restated_id(qsmo: str, fiscal_year: int, day: date) -> str:
    """The id of the day's ``restated`` notification (a replay and a second change agree)."""
    return notification_id("restated", restated_key(qsmo, fiscal_year, day), 1, "info")


def restated_message(
    qsmo: str, fiscal_year: int, day: date, measures: Sequence[str], names: Names
) -> str:
    """``FY2024 of Cybersecurity Services QSMO (closed 2024-09-30) was restated on
    2026-11-30: late events changed Customer Satisfaction, Cost Avoidance``."""
    closed = fiscal_year_period(fiscal_year).end.date().isoformat()
    changed = ", ".join(names.measure(m) for m in measures)
    return (
        f"FY{fiscal_year} of {names.qsmo(qsmo)} (closed {closed}) was restated on "
        f"{day.isoformat()}: late events changed {changed}"
    )


def restated_notification(
    existing: Notification | None,
    message: ScorecardChanged,
    measures: Sequence[str],
    now: datetime,
    names: Names,
) -> Notification:
    """The day's notification for this restatement: new, or ``existing`` extended by
    ``measures`` (its id, raise time and acknowledgement stay)."""
    assert message.qsmo is not None
    day = now.date()
    merged = tuple(sorted({*(existing.changed_measures if existing else ()), *measures}))
    text = restated_message(message.qsmo, message.fiscal_year, day, merged, names)
    if existing is not None:
        return existing.model_copy(update={"changed_measures": merged, "message": text})
    return Notification(
        id=restated_id(message.qsmo, message.fiscal_year, day),
        rule="restated",
        severity="info",
        state="raised",
        qsmo=message.qsmo,
        fiscal_year=message.fiscal_year,
        scorecard_id=message.scorecard_id,
        message=text,
        links=links(message.scorecard_id, message.qsmo, None, None),
        raised_at=now,
        changed_measures=merged,
    )
