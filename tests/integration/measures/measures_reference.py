"""An independent reference: values computed straight from the events a test sent.

Slices too: each provider's and each agency's share of a QSMO, and each agency's share of the
government-wide value (``reference_slice_values``, ``reference_slice_months``).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_year_of
from shared.events import AcceptedEvent

MEASURES = {
    "customer-engagement": "sum",
    "customer-satisfaction": "mean",
    "return-on-investment": "latest",
}
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
INGESTED = datetime(2025, 11, 1, tzinfo=UTC)
AGENCIES = ("DOI", "USDA", "TREAS", "HHS", "DOD")
PROVIDERS = {
    qsmo: tuple(p.id for p in load_catalog().providers if p.serves(qsmo)) for qsmo in QSMOS
}
"""The catalog's providers of each QSMO: an event names only one its QSMO offers."""


def reference_values(
    events: list[AcceptedEvent],
) -> dict[tuple[str | None, str, int], tuple[float, int]]:
    """(qsmo or None, measure, fiscal year) → (value, count), first event_id wins."""
    seen: set[str] = set()
    groups: dict[tuple[str, str, int], list[AcceptedEvent]] = defaultdict(list)
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        groups[(event.qsmo, event.measure, fiscal_year_of(event.occurred_at))].append(event)
    result: dict[tuple[str | None, str, int], tuple[float, int]] = {}
    for (qsmo, measure, year), group in groups.items():
        result[(qsmo, measure, year)] = (_value(MEASURES[measure], group), len(group))
    for measure, aggregation in MEASURES.items():
        for year in {k[2] for k in groups}:
            parts = [(q, g) for (q, m, y), g in groups.items() if m == measure and y == year]
            if not parts:
                continue
            if aggregation == "latest":
                latest = [_value("latest", g) for _, g in parts]
                value = sum(latest) / len(latest)
            else:
                value = _value(aggregation, [e for _, g in parts for e in g])
            result[(None, measure, year)] = (value, sum(len(g) for _, g in parts))
    return result


def reference_months(
    events: list[AcceptedEvent],
) -> dict[tuple[str | None, str, int], dict[str, tuple[float, int]]]:
    """(qsmo or None, measure, fiscal year) → {month label: (value, count)}, as ``reference_values``."""
    result: dict[tuple[str | None, str, int], dict[str, tuple[float, int]]] = defaultdict(dict)
    by_month: dict[str, list[AcceptedEvent]] = defaultdict(list)
    for event in events:
        by_month[event.occurred_at.astimezone(UTC).strftime("%Y-%m")].append(event)
    for label, group in by_month.items():
        for (qsmo, measure, year), found in reference_values(group).items():
            result[(qsmo, measure, year)][label] = found
    return dict(result)


SliceKey = tuple[str | None, str, str, int]
"""(qsmo or None for government-wide, slice label, measure, fiscal year)."""


def _first_seen(events: list[AcceptedEvent]) -> list[AcceptedEvent]:
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    return unique


def _slices(events: list[AcceptedEvent]) -> dict[str, list[AcceptedEvent]]:
    """Each slice label (``provider:x``, ``agency:y``) with its events (first event_id wins)."""
    members: dict[str, list[AcceptedEvent]] = defaultdict(list)
    for event in _first_seen(events):
        if event.provider is not None:
            members[f"provider:{event.provider}"].append(event)
        if event.agency is not None:
            members[f"agency:{event.agency}"].append(event)
    return members


def reference_slice_values(events: list[AcceptedEvent]) -> dict[SliceKey, tuple[float, int]]:
    """Every slice's (value, count); government-wide (qsmo None) for agency slices only."""
    result: dict[SliceKey, tuple[float, int]] = {}
    for label, members in _slices(events).items():
        for (qsmo, measure, year), found in reference_values(members).items():
            if qsmo is not None or label.startswith("agency:"):
                result[(qsmo, label, measure, year)] = found
    return result


def reference_slice_months(
    events: list[AcceptedEvent],
) -> dict[SliceKey, dict[str, tuple[float, int]]]:
    """As ``reference_slice_values``, per month label."""
    result: dict[SliceKey, dict[str, tuple[float, int]]] = {}
    for label, members in _slices(events).items():
        for (qsmo, measure, year), months in reference_months(members).items():
            if qsmo is not None or label.startswith("agency:"):
                result[(qsmo, label, measure, year)] = months
    return result


def _value(aggregation: str, group: list[AcceptedEvent]) -> float:
    if aggregation == "sum":
        return math.fsum(e.value for e in group)
    if aggregation == "mean":
        return math.fsum(e.value for e in group) / len(group)
    return max(group, key=lambda e: e.occurred_at).value


def stream(
    count: int, seed: int, duplicate_share: float = 0.05, late_share: float = 0.10
) -> list[AcceptedEvent]:
    """``count`` events over FY2023–FY2025 in mostly time order, with client resends
    (same event again) and late events (backdated into an earlier quarter); ~70% name one
    of their QSMO's providers and ~80% an agency."""
    rng = random.Random(seed)
    start = datetime(2022, 10, 1, tzinfo=UTC)
    span = (datetime(2025, 9, 30, tzinfo=UTC) - start).total_seconds()
    events: list[AcceptedEvent] = []
    for i in range(count):
        if events and rng.random() < duplicate_share:
            events.append(rng.choice(events[-200:]))
            continue
        at = start + timedelta(seconds=span * i / count, microseconds=i)
        if rng.random() < late_share:
            at -= timedelta(days=rng.randint(40, 400), microseconds=-1)
            at = max(at, start + timedelta(microseconds=i))
        measure = rng.choice(list(MEASURES))
        value = (
            round(rng.uniform(1, 5), 2)
            if measure == "customer-satisfaction"
            else float(rng.randint(0, 100))
        )
        qsmo = rng.choice(QSMOS)
        provider = rng.choice(PROVIDERS[qsmo]) if rng.random() < 0.7 else None
        agency = rng.choice(AGENCIES) if rng.random() < 0.8 else None
        events.append(
            AcceptedEvent(
                event_id=f"s{seed}-{i}",
                qsmo=qsmo,
                provider=provider,
                agency=agency,
                measure=measure,
                value=value,
                occurred_at=at,
                ingested_at=INGESTED,
                request_id=f"r{i // 100}",
            )
        )
    return events
