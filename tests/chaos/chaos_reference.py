"""The reference for the chaos test: values and scorecards from the acknowledged events.

Computed independently of the services' storage: plain folds of each fiscal year's events
with the domain's exact summaries, then the domain's scoring (the binding rules). Slices the
same way: each provider's and each agency's events of a QSMO folded alone, and each agency's
events of every QSMO for its government-wide value."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from shared.domain.catalog import Framework
from shared.domain.fiscal import fiscal_year_of
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.scoring import ScorecardResult, score
from shared.domain.summaries import EMPTY, Summary, fold, government_wide_value, value_of
from shared.domain.targets import annual_target


def reference_values(
    events: list[dict[str, Any]], framework: Framework
) -> dict[tuple[str | None, str, int], float]:
    """(qsmo or None for government-wide, measure, fiscal year) → value."""
    summaries: dict[tuple[str, str, int], Summary] = defaultdict(lambda: EMPTY)
    for seq, event in enumerate(events):
        at = datetime.fromisoformat(event["occurred_at"])
        key = (event["qsmo"], event["measure"], fiscal_year_of(at))
        summaries[key] = fold(summaries[key], float(event["value"]), at, seq)
    values: dict[tuple[str | None, str, int], float] = {}
    by_measure_year: dict[tuple[str, int], dict[str, Summary]] = defaultdict(dict)
    for (qsmo, measure, year), summary in summaries.items():
        aggregation = framework.measure(measure).aggregation
        value = value_of(summary, aggregation)
        assert value is not None
        values[(qsmo, measure, year)] = value
        by_measure_year[(measure, year)][qsmo] = summary
    for (measure, year), per_qsmo in by_measure_year.items():
        government = government_wide_value(per_qsmo, framework.measure(measure).aggregation)
        assert government is not None
        values[(None, measure, year)] = government
    return values


SliceKey = tuple[str | None, str, str, int]
"""(qsmo or None for government-wide, slice label such as ``provider:doi-ibc``, measure, year)."""


def reference_slice_values(
    events: list[dict[str, Any]], framework: Framework
) -> dict[SliceKey, float]:
    """Every provider and agency slice's value; government-wide (None) for agencies only."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event.get("provider") is not None:
            members[f"provider:{event['provider']}"].append(event)
        if event.get("agency") is not None:
            members[f"agency:{event['agency']}"].append(event)
    values: dict[SliceKey, float] = {}
    for label, group in members.items():
        for (qsmo, measure, year), value in reference_values(group, framework).items():
            if qsmo is not None or label.startswith("agency:"):
                values[(qsmo, label, measure, year)] = value
    return values


def reference_scorecards(
    values: dict[tuple[str | None, str, int], float], framework: Framework, qsmos: tuple[str, ...]
) -> dict[tuple[str | None, int], ScorecardResult]:
    """Every (QSMO or government-wide, fiscal year) scorecard the values imply."""
    years = {year for (_, _, year) in values}
    participants: dict[str, datetime | None] = dict.fromkeys(qsmos)
    cards = {}
    for year in years:
        for qsmo in (*qsmos, None):
            measured = {m: v for (q, m, y), v in values.items() if q == qsmo and y == year}
            if measured:
                # Rev. 2: a government-wide sum's target is Σ of the QSMOs' targets. The events
                # lie in closed fiscal years, whose targets are the whole annual ones.
                targets = {
                    m.id: annual_target(m, qsmo, NO_OVERRIDES, participants, year)
                    for m in framework.measures
                }
                cards[(qsmo, year)] = score(
                    framework,
                    measured,
                    fiscal_year=year,
                    qsmo=qsmo,
                    overrides=Overrides(targets=targets),
                )
    return cards
