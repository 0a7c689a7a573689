"""Scorecards exactly as docs/scoring.md defines them.

attainment → measure status → dimension score (100 x weighted mean attainment of its active
measures with a value) → overall score (weighted mean of the non-null dimension scores).
Nothing here rounds; rounding is for display only.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from shared.domain.catalog import Direction, Framework, Measure
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.phases import active_phase, is_dimension_active, is_measure_active

GREEN_SCORE = 90.0
AMBER_SCORE = 75.0
DEFAULT_AMBER_RATIO = 0.9
FLOAT_NOISE = 1e-9
"""Band comparisons forgive this much float noise, so 100 x 0.9 never reads as 89.99…"""

NO_VALUES: Mapping[str, float | None] = MappingProxyType({})


class Status(StrEnum):
    """Traffic-light status of a measure, dimension or scorecard."""

    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"
    NO_DATA = "NO_DATA"


def attainment(value: float, target: float, direction: Direction) -> float:
    """How far ``value`` reaches ``target``, clamped to [0, 1].

    Higher-is-better: ``value / target``; lower-is-better: ``target / value``, where a value
    of 0 (or less) gives 1. Raises ValueError for a non-finite value or a target that is not
    a finite number > 0.
    """
    if not math.isfinite(value):
        raise ValueError(f"value must be finite, got {value!r}")
    if not math.isfinite(target) or target <= 0:
        raise ValueError(f"target must be a finite number > 0, got {target!r}")
    if direction is Direction.HIGHER:
        ratio = value / target
    else:
        ratio = 1.0 if value <= 0 else target / value
    return min(1.0, max(0.0, ratio))


def measure_status(attainment: float | None, amber_ratio: float = DEFAULT_AMBER_RATIO) -> Status:
    """GREEN if attainment ≥ 1, AMBER if ≥ ``amber_ratio``, else RED; None → NO_DATA."""
    if attainment is None:
        return Status.NO_DATA
    if attainment >= 1.0 - FLOAT_NOISE:
        return Status.GREEN
    if attainment >= amber_ratio - FLOAT_NOISE:
        return Status.AMBER
    return Status.RED


def score_status(score: float | None) -> Status:
    """Bands for a 0-100 score: GREEN ≥ 90, AMBER ≥ 75, else RED; None → NO_DATA."""
    if score is None:
        return Status.NO_DATA
    if score >= GREEN_SCORE - FLOAT_NOISE:
        return Status.GREEN
    if score >= AMBER_SCORE - FLOAT_NOISE:
        return Status.AMBER
    return Status.RED


def display_score(score: float | None) -> str:
    """A score for people: one decimal, rounded *down*, so it never shows a better band.

    89.375 → ``"89.3"``; 89.99 → ``"89.9"`` (AMBER, as its status says); None → ``"no data"``.
    Float noise below ``FLOAT_NOISE`` is forgiven first, as in the status bands. Storage and
    APIs keep the unrounded number.
    """
    if score is None:
        return "no data"
    return f"{math.floor((score + FLOAT_NOISE) * 10) / 10:.1f}"


def display_attainment(attainment: float | None) -> str:
    """An attainment as a percentage with one decimal, rounded down: 0.875 → ``"87.5%"``."""
    if attainment is None:
        return "no data"
    return f"{display_score(100.0 * attainment)}%"


@dataclass(frozen=True)
class MeasureResult:
    """One measure on a scorecard.

    ``active`` False: shown for information (value, target, attainment and status are still
    computed when there is a value) but left out of every score. ``change`` = value - baseline.
    """

    id: str
    name: str
    dimension: str
    value: float | None
    target: float
    attainment: float | None
    status: Status
    weight: float
    active: bool
    baseline: float | None
    change: float | None


@dataclass(frozen=True)
class DimensionResult:
    """One dimension on a scorecard; ``active`` False for a proposed, unadopted dimension."""

    id: str
    name: str
    score: float | None
    status: Status
    weight: float
    active: bool


@dataclass(frozen=True)
class ScorecardResult:
    """A whole scorecard: overall score and status, the phase used, dimensions, measures."""

    framework_version: str
    fiscal_year: int
    qsmo: str | None
    phase: int
    score: float | None
    status: Status
    dimensions: tuple[DimensionResult, ...]
    measures: tuple[MeasureResult, ...]

    def dimension(self, dimension_id: str) -> DimensionResult:
        """The dimension result with this id; KeyError if absent."""
        return _by_id(self.dimensions, dimension_id)

    def measure(self, measure_id: str) -> MeasureResult:
        """The measure result with this id; KeyError if absent."""
        return _by_id(self.measures, measure_id)


R = TypeVar("R", DimensionResult, MeasureResult)


def _by_id(results: Iterable[R], wanted: str) -> R:
    for result in results:
        if result.id == wanted:
            return result
    raise KeyError(f"{wanted!r} is not on this scorecard")


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Σ wᵢxᵢ / Σ wᵢ over ``(x, w)`` pairs (exactly rounded sums); None for no pairs."""
    items = list(pairs)
    if not items:
        return None
    return math.fsum(x * w for x, w in items) / math.fsum(w for _, w in items)


def score(
    framework: Framework,
    values: Mapping[str, float | None],
    *,
    fiscal_year: int,
    qsmo: str | None,
    overrides: Overrides = NO_OVERRIDES,
    phase: int | None = None,
    baselines: Mapping[str, float | None] = NO_VALUES,
) -> ScorecardResult:
    """Score one QSMO (or government-wide, ``qsmo`` None) for one period.

    ``values`` maps measure id → the period's value (missing or None: no data). ``phase``
    overrides the phase of ``fiscal_year``. ``baselines`` maps measure id → the measured
    baseline (the value in ``baseline_fiscal_year``); an admin baseline in ``overrides`` wins.
    Raises ValueError for a measure id the framework does not know.
    """
    unknown = sorted(set(values) - set(framework.measure_ids))
    if unknown:
        raise ValueError(f"measures {unknown} are not in framework {framework.version}")
    used_phase = active_phase(fiscal_year, framework.phases) if phase is None else phase
    measures = tuple(
        _measure_result(framework, m, values.get(m.id), qsmo, used_phase, overrides, baselines)
        for m in framework.measures
    )
    dimensions = tuple(
        _dimension_result(framework, d.id, measures, overrides) for d in framework.dimensions
    )
    overall = weighted_mean((d.score, d.weight) for d in dimensions if d.score is not None)
    return ScorecardResult(
        framework_version=framework.version,
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        phase=used_phase,
        score=overall,
        status=score_status(overall),
        dimensions=dimensions,
        measures=measures,
    )


def _measure_result(
    framework: Framework,
    measure: Measure,
    value: float | None,
    qsmo: str | None,
    phase: int,
    overrides: Overrides,
    baselines: Mapping[str, float | None],
) -> MeasureResult:
    target = overrides.target_for(measure, qsmo)
    reached = None if value is None else attainment(value, target, measure.direction)
    baseline = overrides.baseline_for(qsmo, measure.id)
    if baseline is None:
        baseline = baselines.get(measure.id)
    return MeasureResult(
        id=measure.id,
        name=measure.name,
        dimension=measure.dimension,
        value=value,
        target=target,
        attainment=reached,
        status=measure_status(reached, measure.amber_ratio),
        weight=overrides.measure_weight(measure),
        active=is_measure_active(framework, measure.id, phase, overrides),
        baseline=baseline,
        change=None if value is None or baseline is None else value - baseline,
    )


def _dimension_result(
    framework: Framework,
    dimension_id: str,
    measures: tuple[MeasureResult, ...],
    overrides: Overrides,
) -> DimensionResult:
    dimension = framework.dimension(dimension_id)
    mean = weighted_mean(
        (m.attainment, m.weight)
        for m in measures
        if m.dimension == dimension_id and m.active and m.attainment is not None
    )
    dimension_score = None if mean is None else 100.0 * mean
    return DimensionResult(
        id=dimension.id,
        name=dimension.name,
        score=dimension_score,
        status=score_status(dimension_score),
        weight=overrides.dimension_weight(dimension),
        active=is_dimension_active(dimension, overrides),
    )
