"""Pure rules that read scorecards: status changes, targets met and stale measures.

``scorecard_signals`` turns a ``ScorecardChanged`` into breaches and clears of
``status|<scorecard>|<level>|<subject>`` conditions — only while the scorecard's fiscal year
``tells_status`` (open, or closed less than ``STATUS_WINDOW`` = 45 days ago, FRAMEWORK.md
rev. 2); changes to years closed longer ago are ``restated.py``'s business. ``freshness_of``
and ``stale_signal`` keep the newest data-quality facts per QSMO and measure (across fiscal
years) and judge them against a clock that is passed in.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from services.notifications.rules import Breach, Clear, Draft, Signal
from shared.domain.catalog import Catalog
from shared.domain.fiscal import fiscal_year_period
from shared.domain.open_periods import PeriodState, period_state
from shared.events import ScorecardChanged, StatusTransition

BADNESS = {"GREEN": 0, "AMBER": 1, "RED": 2}
STATUS_WINDOW = timedelta(days=45)
"""How long after its end a closed period still raises status notifications (late reports)."""


def tells_status(fiscal_year: int, now: datetime) -> bool:
    """True while status changes of FY ``fiscal_year`` are news at ``now``: the year is open
    (or not started), or closed less than 45 days ago (``end + 45 days > now``)."""
    period = fiscal_year_period(fiscal_year)
    if period_state(period, now) is not PeriodState.CLOSED:
        return True
    return now - period.end < STATUS_WINDOW


@dataclass(frozen=True)
class Names:
    """Display names for messages; an unknown id (a QSMO added at run time) shows as itself."""

    qsmos: Mapping[str, str] = field(default_factory=dict)
    dimensions: Mapping[str, str] = field(default_factory=dict)
    measures: Mapping[str, str] = field(default_factory=dict)
    dimension_of: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> "Names":
        """Names of every QSMO, dimension and measure of every framework version."""
        frameworks = catalog.frameworks
        return cls(
            qsmos={q.id: q.name for q in catalog.qsmos},
            dimensions={d.id: d.name for f in frameworks for d in f.dimensions},
            measures={m.id: m.name for f in frameworks for m in f.measures},
            dimension_of={m.id: m.dimension for f in frameworks for m in f.measures},
        )

    def qsmo(self, qsmo: str | None) -> str:
        """``Cybersecurity Services QSMO``, or ``all QSMOs`` for government-wide scorecards."""
        return "all QSMOs (government-wide)" if qsmo is None else self.qsmos.get(qsmo, qsmo)

    def measure(self, measure: str) -> str:
        return self.measures.get(measure, measure)

    def dimension(self, dimension: str) -> str:
        return self.dimensions.get(dimension, dimension)


def number(value: float | None) -> str:
    """``3.4``, ``4.0``, ``82.35``, ``50,000,000``; ``no value`` for None."""
    if value is None:
        return "no value"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def links(
    scorecard_id: str | None, qsmo: str | None, dimension: str | None, measure: str | None
) -> dict[str, str]:
    """GraphQL ids of what a notification is about."""
    found = {
        "scorecard": f"scorecard:{scorecard_id}" if scorecard_id else None,
        "qsmo": f"qsmo:{qsmo}" if qsmo else None,
        "dimension": f"dimension:{dimension}" if dimension else None,
        "measure": f"measure:{measure}" if measure else None,
    }
    return {name: value for name, value in found.items() if value is not None}


def _movement(t: StatusTransition, fiscal_year: int) -> str:
    if t.from_status == "NO_DATA":
        return f"started FY{fiscal_year} at {t.to_status}"
    if t.to_status == "GREEN":
        return f"is back to GREEN (from {t.from_status}) in FY{fiscal_year}"
    verb = "fell" if BADNESS[t.to_status] > BADNESS[t.from_status] else "rose"
    return f"{verb} from {t.from_status} to {t.to_status} in FY{fiscal_year}"


def _subject(t: StatusTransition, names: Names, qsmo: str | None) -> str:
    if t.level == "measure":
        return f"{names.measure(t.measure or '?')} for {names.qsmo(qsmo)}"
    if t.level == "dimension":
        return f"The {names.dimension(t.dimension or '?')} dimension of {names.qsmo(qsmo)}"
    return f"The overall score of {names.qsmo(qsmo)}"


def _numbers(t: StatusTransition) -> str:
    if t.level == "measure":
        target = "" if t.target is None else f" against a target of {number(t.target)}"
        return f"{number(t.to_score)}{target}"
    was = "" if t.from_score is None else f" (was {number(t.from_score)})"
    return f"score {number(t.to_score)} of 100{was}"


def status_message(t: StatusTransition, message: ScorecardChanged, names: Names) -> str:
    """``Customer Satisfaction for Cybersecurity Services QSMO fell from AMBER to RED in
    FY2025: 3.4 against a target of 4.0`` (and the dimension and overall variants)."""
    movement = _movement(t, message.fiscal_year)
    return f"{_subject(t, names, message.qsmo)} {movement}: {_numbers(t)}"


def scorecard_signals(message: ScorecardChanged, names: Names, now: datetime) -> list[Signal]:
    """Breaches (to AMBER = warning, to RED = critical) and clears (to GREEN) per transition.

    A clear of a measure carries a ``target_met`` follow-up. Transitions to ``NO_DATA`` and
    non-changes say nothing: missing data is the stale rule's business. A scorecard of a year
    that no longer ``tells_status`` at ``now`` says nothing either.
    """
    signals: list[Signal] = []
    if not tells_status(message.fiscal_year, now):
        return signals
    for t in message.transitions:
        if t.from_status == t.to_status or t.to_status == "NO_DATA":
            continue
        subject = {"measure": t.measure, "dimension": t.dimension}.get(t.level) or "overall"
        key = f"status|{message.scorecard_id}|{t.level}|{subject}"
        dimension = t.dimension or (names.dimension_of.get(t.measure) if t.measure else None)
        common = {
            "qsmo": message.qsmo,
            "dimension": dimension,
            "measure": t.measure if t.level == "measure" else None,
            "fiscal_year": message.fiscal_year,
            "scorecard_id": message.scorecard_id,
            "level": t.level,
            "links": links(
                message.scorecard_id,
                message.qsmo,
                dimension,
                t.measure if t.level == "measure" else None,
            ),
        }
        text = status_message(t, message, names)
        if t.to_status == "GREEN":
            follow_up = None
            if t.level == "measure":
                met = (
                    f"{_subject(t, names, message.qsmo)} met its target in "
                    f"FY{message.fiscal_year}: {_numbers(t)}"
                )
                follow_up = Draft(rule="target_met", severity="info", message=met, **common)
            signals.append(
                Clear(key=key, rule="status_degraded", message=text, follow_up=follow_up)
            )
        else:
            severity = "critical" if t.to_status == "RED" else "warning"
            draft = Draft(rule="status_degraded", severity=severity, message=text, **common)
            signals.append(Breach(key=key, draft=draft))
    return signals


class Freshness(BaseModel):
    """When a QSMO last reported a measure, and how often it is expected to (stored)."""

    model_config = ConfigDict(frozen=True)

    qsmo: str
    measure: str
    dimension: str
    fiscal_year: int
    scorecard_id: str
    last_event_at: datetime
    reporting_frequency_days: int

    @property
    def key(self) -> str:
        return f"{self.qsmo}|{self.measure}"


def freshness_of(message: ScorecardChanged) -> list[Freshness]:
    """The data-quality facts of a QSMO scorecard (government-wide ones are skipped: the
    QSMOs' own scorecards carry the same facts). Measures that never reported are left out:
    they show as ``NO_DATA``, not as stale."""
    if message.qsmo is None:
        return []
    return [
        Freshness(
            qsmo=message.qsmo,
            measure=m.measure,
            dimension=m.dimension,
            fiscal_year=message.fiscal_year,
            scorecard_id=message.scorecard_id,
            last_event_at=m.last_event_at,
            reporting_frequency_days=m.reporting_frequency_days,
        )
        for m in message.measures
        if m.last_event_at is not None
    ]


def newer_freshness(old: Freshness | None, new: Freshness) -> Freshness:
    """Keep the later ``last_event_at`` (a restated older year must not make a measure stale)."""
    if old is None or new.last_event_at >= old.last_event_at:
        return new
    return old


def stale_key(qsmo: str, measure: str) -> str:
    return f"stale|{qsmo}|{measure}"


def stale_signal(freshness: Freshness, now: datetime, names: Names) -> Signal:
    """Breach (warning) when nothing arrived for longer than the reporting frequency.

    Stale means ``now - last_event_at > reporting_frequency_days`` days (exactly the
    frequency is still fresh); a newer event clears the condition. The message counts whole
    days from the newest event across every fiscal year to ``now`` and is ``refresh``ed, so an
    open notice always tells the current count (the "708 days" of issue #16 was the text of a
    breach raised mid-backfill and never rewritten).
    """
    f = freshness
    key = stale_key(f.qsmo, f.measure)
    silent = now - f.last_event_at
    subject = f"{names.measure(f.measure)} for {names.qsmo(f.qsmo)}"
    last = f.last_event_at.date().isoformat()
    if silent <= timedelta(days=f.reporting_frequency_days):
        return Clear(
            key=key,
            rule="measure_stale",
            message=f"{subject} is reporting again: last event {last}",
        )
    message = (
        f"{subject} is stale: no event since {last} ({silent.days} days; expected at least "
        f"every {f.reporting_frequency_days} days)"
    )
    draft = Draft(
        rule="measure_stale",
        severity="warning",
        qsmo=f.qsmo,
        dimension=f.dimension,
        measure=f.measure,
        fiscal_year=f.fiscal_year,
        scorecard_id=f.scorecard_id,
        level="measure",
        message=message,
        links=links(f.scorecard_id, f.qsmo, f.dimension, f.measure),
        refresh=True,
    )
    return Breach(key=key, draft=draft)
