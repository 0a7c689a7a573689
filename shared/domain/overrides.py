"""Admin overrides of the catalog's defaults: targets, weights, baselines, adopted dimensions.

Every value here is the result of an audited admin operation; the scoring functions only read
them. An ``Overrides`` is immutable: its mappings are read-only views of private copies.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from shared.domain.catalog import Dimension, Measure

K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(mapping))


def _check_positive(kind: str, mapping: Mapping[K, float]) -> None:
    for key, number in mapping.items():
        if isinstance(number, bool) or not math.isfinite(number) or number <= 0:
            raise ValueError(f"{kind} for {key!r} must be a finite number > 0, got {number!r}")


@dataclass(frozen=True)
class Overrides:
    """Admin-set values that take precedence over the catalog's defaults.

    - ``qsmo_targets[(qsmo, measure)]``: a per-QSMO target (never used government-wide);
    - ``targets[measure]``: a target replacing the catalog default for everyone;
    - ``measure_weights[measure]``, ``dimension_weights[dimension]``: weights (> 0);
    - ``baselines[(qsmo or None, measure)]``: a baseline set by hand (None: government-wide);
    - ``adopted_dimensions[dimension]``: the phase given to a proposed dimension on adoption;
    - ``sla_targets[(provider, measure)]``: a provider's SLA target (rev. 2), which wins over
      the QSMO's target for that provider's slice only.

    Raises ValueError for a target or weight that is not a finite number > 0 or a phase < 1.
    """

    qsmo_targets: Mapping[tuple[str, str], float] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    measure_weights: Mapping[str, float] = field(default_factory=dict)
    dimension_weights: Mapping[str, float] = field(default_factory=dict)
    baselines: Mapping[tuple[str | None, str], float] = field(default_factory=dict)
    adopted_dimensions: Mapping[str, int] = field(default_factory=dict)
    sla_targets: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_positive("per-QSMO target", self.qsmo_targets)
        _check_positive("target", self.targets)
        _check_positive("measure weight", self.measure_weights)
        _check_positive("dimension weight", self.dimension_weights)
        _check_positive("SLA target", self.sla_targets)
        for dimension_id, phase in self.adopted_dimensions.items():
            if isinstance(phase, bool) or not isinstance(phase, int) or phase < 1:
                raise ValueError(f"adopted dimension {dimension_id!r} needs a phase ≥ 1")
        for name in (
            "qsmo_targets",
            "targets",
            "measure_weights",
            "dimension_weights",
            "baselines",
            "adopted_dimensions",
            "sla_targets",
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def target_for(self, measure: Measure, qsmo: str | None) -> float:
        """Per-QSMO target if ``qsmo`` has one, else the global override, else the default.

        ``qsmo`` None (government-wide) never uses per-QSMO targets.
        """
        if qsmo is not None and (qsmo, measure.id) in self.qsmo_targets:
            return self.qsmo_targets[(qsmo, measure.id)]
        return self.targets.get(measure.id, measure.default_target)

    def slice_target_for(self, measure: Measure, qsmo: str | None, provider: str | None) -> float:
        """A slice's target: the provider's SLA target if it has one, else ``target_for``."""
        if provider is not None and (provider, measure.id) in self.sla_targets:
            return self.sla_targets[(provider, measure.id)]
        return self.target_for(measure, qsmo)

    def measure_weight(self, measure: Measure) -> float:
        """The measure's weight: the override, else the catalog's (default 1)."""
        return self.measure_weights.get(measure.id, measure.weight)

    def dimension_weight(self, dimension: Dimension) -> float:
        """The dimension's weight: the override, else the catalog's (default 1)."""
        return self.dimension_weights.get(dimension.id, dimension.weight)

    def baseline_for(self, qsmo: str | None, measure_id: str) -> float | None:
        """The admin-set baseline for ``(qsmo, measure)``, or None if there is none.

        Exact key only: a government-wide baseline (qsmo None) is not a QSMO's fallback.
        """
        return self.baselines.get((qsmo, measure_id))


NO_OVERRIDES = Overrides()
"""No admin overrides: every default from the catalog applies."""
