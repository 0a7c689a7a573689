"""Phase gating: which measures count in a fiscal year, and when their baselines were taken.

Phase N counts from the fiscal year its ``Phase`` names (qsmo-2022: 1 crawl FY2022, 2 walk
FY2023, 3 run FY2024 and later). A measure is active when its dimension is active — a proposed
dimension only once an admin adopts it with a phase — and its phase is ≤ the phase in force.
"""

from collections.abc import Sequence

from shared.domain.catalog import Dimension, DimensionStatus, Framework, Measure, Phase
from shared.domain.overrides import NO_OVERRIDES, Overrides

QSMO_2022_PHASES = (
    Phase(number=1, name="crawl", fiscal_year=2022),
    Phase(number=2, name="walk", fiscal_year=2023),
    Phase(number=3, name="run", fiscal_year=2024),
)
"""The crawl, walk and run phases (docs/scoring.md §5), the default wherever no framework is given."""


def active_phase(fiscal_year: int, phases: Sequence[Phase] = QSMO_2022_PHASES) -> int:
    """The phase in force in ``fiscal_year``: the highest phase begun by then.

    qsmo-2022: FY2022 → 1, FY2023 → 2, FY2024 and later → 3; before FY2022 → 0 (no measure
    is active).
    """
    begun = [p.number for p in phases if p.fiscal_year <= fiscal_year]
    return max(begun, default=0)


def is_dimension_active(dimension: Dimension, overrides: Overrides = NO_OVERRIDES) -> bool:
    """True for an active dimension, or a proposed one an admin has adopted."""
    return (
        dimension.status is DimensionStatus.ACTIVE or dimension.id in overrides.adopted_dimensions
    )


def measure_phase(
    framework: Framework, measure_id: str, overrides: Overrides = NO_OVERRIDES
) -> int | None:
    """The phase a measure counts from, or None while its dimension is proposed.

    A measure of an adopted dimension takes the adoption's phase (its own, if it has one).
    Raises KeyError for an unknown measure.
    """
    measure = framework.measure(measure_id)
    dimension = framework.dimension(measure.dimension)
    if dimension.status is DimensionStatus.ACTIVE:
        return measure.phase
    adopted = overrides.adopted_dimensions.get(dimension.id)
    if adopted is None:
        return None
    return measure.phase if measure.phase is not None else adopted


def is_measure_active(
    framework: Framework, measure_id: str, phase: int, overrides: Overrides = NO_OVERRIDES
) -> bool:
    """True when the measure counts toward scores while ``phase`` is in force."""
    own_phase = measure_phase(framework, measure_id, overrides)
    return own_phase is not None and own_phase <= phase


def baseline_fiscal_year(
    measure: Measure, framework: Framework | None = None, overrides: Overrides = NO_OVERRIDES
) -> int | None:
    """The fiscal year whose value is the measure's baseline: the year its phase began.

    qsmo-2022: phase 1 → FY2022, phase 2 → FY2023, phase 3 → FY2024. Without ``framework``
    the qsmo-2022 phases and the measure's own phase are used. None when the measure has no
    phase (proposed, unadopted dimension) or its phase is not one of the framework's.
    """
    phases: Sequence[Phase] = QSMO_2022_PHASES
    number = measure.phase
    if framework is not None:
        number, phases = measure_phase(framework, measure.id, overrides), framework.phases
    return next((p.fiscal_year for p in phases if p.number == number), None)
