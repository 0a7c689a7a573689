"""Builders for the scorecard tests: value messages as the measures service sends them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from services.scorecard import documents as docs
from services.scorecard.views import ScorecardView, scorecard_id
from shared.domain.fiscal import fiscal_quarter_period, fiscal_year_period
from shared.domain.summaries import fold_all
from shared.events import MeasureValueChanged, PeriodRef

Scope = Literal["qsmo", "government"]


def value_message(
    qsmo: str,
    measure: str,
    fiscal_year: int,
    values: Sequence[float],
    *,
    scope: Scope = "qsmo",
    restated: bool = False,
    restated_count: int = 0,
    aggregation: str = "sum",
    quarter: int | None = None,
    first_at: datetime | None = None,
    changed_at: datetime | None = None,
) -> MeasureValueChanged:
    """The full state of ``values`` (one event a day from ``first_at``) for one period."""
    period = (
        fiscal_year_period(fiscal_year)
        if quarter is None
        else fiscal_quarter_period(fiscal_year, quarter)
    )
    start = first_at or period.start + timedelta(days=10)
    observations = [(v, start + timedelta(days=i), i + 1) for i, v in enumerate(values)]
    summary = fold_all(observations)
    last = observations[-1][1] if observations else None
    return MeasureValueChanged(
        scope=scope,
        qsmo=qsmo,
        measure=measure,
        period=PeriodRef(
            kind="fiscal_year" if quarter is None else "fiscal_quarter",
            label=f"FY{fiscal_year}" if quarter is None else f"FY{fiscal_year}Q{quarter}",
            fiscal_year=fiscal_year,
            fiscal_quarter=quarter,
            start=period.start,
            end=period.end,
        ),
        aggregation=aggregation,
        value=None,
        count=summary.count,
        summary=summary.to_document(),
        restated=restated,
        restated_count=restated_count,
        source_event_count=len(values),
        last_occurred_at=max((o[1] for o in observations), default=None),
        last_ingested_at=last,
        changed_at=changed_at or datetime(2025, 1, 1, tzinfo=UTC),
    )


def both_scopes(
    qsmo: str, measure: str, fiscal_year: int, values: Sequence[float], **kw: object
) -> list[MeasureValueChanged]:
    """The QSMO-scope and government-scope messages, as measures publishes them."""
    return [
        value_message(qsmo, measure, fiscal_year, values, scope="qsmo", **kw),  # type: ignore[arg-type]
        value_message(qsmo, measure, fiscal_year, values, scope="government", **kw),  # type: ignore[arg-type]
    ]


def stored_current(repository: object, fiscal_year: int, qsmo: str | None) -> ScorecardView | None:
    """The current version held by an ``InMemoryScorecardRepository``."""
    document = repository.current.get(scorecard_id(fiscal_year, qsmo))  # type: ignore[attr-defined]
    return None if document is None else docs.view_from(document)


def stored_versions(repository: object, fiscal_year: int, qsmo: str | None) -> list[ScorecardView]:
    """Every stored version of one scorecard, oldest first."""
    prefix = scorecard_id(fiscal_year, qsmo) + "|"
    found = [docs.view_from(d) for k, d in repository.versions.items() if k.startswith(prefix)]  # type: ignore[attr-defined]
    return sorted(found, key=lambda v: v.version)
