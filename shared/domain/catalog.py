"""The performance-framework catalog as validated, immutable values.

The catalog is *data* (``shared/catalog/*.yaml``); this module only defines its shape and
the rules every catalog must satisfy, checked when it is loaded: ids are unique, measures
name a known dimension, phases exist and increase, targets lie inside the measure's value
range, and so on. Every broken rule is reported at once, in a sentence naming the id.
The parts (``Measure``, ``Dimension``, enums, ...) live in ``shared.domain.measures`` and are
re-exported here.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property

from pydantic import Field, model_validator

from shared.domain.measures import (
    Aggregation,
    CatalogModel,
    Dimension,
    DimensionStatus,
    Direction,
    FrameworkStatus,
    Frequency,
    Identifier,
    Measure,
    Phase,
    Qsmo,
    Text,
    ValueRange,
    format_number,
)
from shared.domain.providers import Agency, Provider

DEFAULT_FRAMEWORK_VERSION = "qsmo-2022"


class Framework(CatalogModel):
    """One version of the framework: phases, dimensions and measures."""

    version: Identifier
    name: Text
    description: Text
    status: FrameworkStatus
    phases: tuple[Phase, ...] = Field(min_length=1)
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    measures: tuple[Measure, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Framework":
        problems = _framework_problems(self)
        if problems:
            raise ValueError(f"framework '{self.version}': " + "; ".join(problems))
        return self

    @cached_property
    def _measures_by_id(self) -> Mapping[str, Measure]:
        return {m.id: m for m in self.measures}

    @cached_property
    def _dimensions_by_id(self) -> Mapping[str, Dimension]:
        return {d.id: d for d in self.dimensions}

    @cached_property
    def measure_ids(self) -> tuple[str, ...]:
        """Measure ids in catalog order."""
        return tuple(m.id for m in self.measures)

    def measure(self, measure_id: str) -> Measure:
        """The measure with this id; KeyError naming the framework if there is none."""
        try:
            return self._measures_by_id[measure_id]
        except KeyError:
            raise KeyError(f"measure '{measure_id}' is not in framework {self.version}") from None

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension with this id; KeyError naming the framework if there is none."""
        try:
            return self._dimensions_by_id[dimension_id]
        except KeyError:
            msg = f"dimension '{dimension_id}' is not in framework {self.version}"
            raise KeyError(msg) from None

    def dimension_of(self, measure_id: str) -> Dimension:
        """The dimension a measure belongs to; KeyError for an unknown measure."""
        return self.dimension(self.measure(measure_id).dimension)

    def measures_of(self, dimension_id: str) -> tuple[Measure, ...]:
        """The measures of one dimension, in catalog order (empty for an unknown id)."""
        return tuple(m for m in self.measures if m.dimension == dimension_id)

    def phase(self, number: int) -> Phase:
        """The phase with this number; KeyError if the framework has no such phase."""
        for phase in self.phases:
            if phase.number == number:
                return phase
        raise KeyError(f"phase {number} is not in framework {self.version}")


def _framework_problems(framework: Framework) -> list[str]:
    """Every cross-reference rule the framework breaks, as readable sentences."""
    problems = [
        *_duplicates("dimension", [d.id for d in framework.dimensions]),
        *_duplicates("measure", [m.id for m in framework.measures]),
        *_duplicates("phase", [str(p.number) for p in framework.phases]),
    ]
    numbers = sorted(p.number for p in framework.phases)
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"phases must be numbered 1..{len(numbers)}, got {numbers}")
    years = [p.fiscal_year for p in sorted(framework.phases, key=lambda p: p.number)]
    if years != sorted(set(years)):
        problems.append(f"phase fiscal years must increase with the phase number, got {years}")
    dimensions = {d.id: d for d in framework.dimensions}
    for measure in framework.measures:
        dimension = dimensions.get(measure.dimension)
        if dimension is None:
            problems.append(
                f"measure '{measure.id}' names unknown dimension '{measure.dimension}' "
                f"(known: {', '.join(dimensions)})"
            )
        elif dimension.status is DimensionStatus.PROPOSED and measure.phase is not None:
            problems.append(
                f"measure '{measure.id}' of proposed dimension '{dimension.id}' must not have "
                "a phase (it gets one when the dimension is adopted)"
            )
        elif dimension.status is DimensionStatus.ACTIVE and measure.phase not in numbers:
            problems.append(
                f"measure '{measure.id}' needs a phase among {numbers}, got {measure.phase}"
            )
    return problems


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    counts = Counter(ids)
    return [f"duplicate {kind} id '{i}' ({n} times)" for i, n in counts.items() if n > 1]


class Catalog(CatalogModel):
    """Every framework version and every QSMO the platform knows, with the tiers below the
    QSMOs: the providers of their marketplaces and the customer agencies (rev. 2)."""

    default_version: Identifier = DEFAULT_FRAMEWORK_VERSION
    frameworks: tuple[Framework, ...] = Field(min_length=1)
    qsmos: tuple[Qsmo, ...] = Field(min_length=1)
    providers: tuple[Provider, ...] = ()
    agencies: tuple[Agency, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> "Catalog":
        versions = [f.version for f in self.frameworks]
        problems = [
            *_duplicates("framework", versions),
            *_duplicates("qsmo", [q.id for q in self.qsmos]),
            *_duplicates("provider", [p.id for p in self.providers]),
            *_duplicates("agency", [a.id for a in self.agencies]),
        ]
        qsmo_ids = {q.id for q in self.qsmos}
        for provider in self.providers:
            unknown = [q for q in provider.qsmos if q not in qsmo_ids]
            if unknown:
                problems.append(
                    f"provider '{provider.id}' names unknown qsmo(s) {', '.join(unknown)}"
                )
        if self.default_version not in versions:
            problems.append(
                f"default_version '{self.default_version}' is not among {', '.join(versions)}"
            )
        problems += _shared_measures_disagree(self.frameworks)
        if problems:
            raise ValueError("catalog: " + "; ".join(problems))
        return self

    @cached_property
    def frameworks_by_version(self) -> Mapping[str, Framework]:
        """Framework versions keyed by their ``version`` id."""
        return {f.version: f for f in self.frameworks}

    @cached_property
    def qsmo_ids(self) -> tuple[str, ...]:
        """QSMO ids in catalog order."""
        return tuple(q.id for q in self.qsmos)

    def framework(self, version: str | None = None) -> Framework:
        """The framework of this version (default: ``default_version``, i.e. ``qsmo-2022``)."""
        wanted = self.default_version if version is None else version
        try:
            return self.frameworks_by_version[wanted]
        except KeyError:
            known = ", ".join(self.frameworks_by_version)
            raise KeyError(f"framework version '{wanted}' is unknown (known: {known})") from None

    def framework_for_measure(self, measure_id: str) -> Framework:
        """The framework that defines ``measure_id``: the default one if it has it, else the
        first other version that does, else the default (whose checks then say "unknown").

        The measures service counts every framework's measures (rev. 2: the provider tools
        feed the provider framework's ``best-practices-self-assessment``); a measure id that
        two versions share means the same thing in both (checked when the catalog loads), and
        each scorecard judges only its own framework's measures.
        """
        default = self.framework()
        if measure_id in default.measure_ids:
            return default
        for framework in self.frameworks:
            if measure_id in framework.measure_ids:
                return framework
        return default

    def qsmo(self, qsmo_id: str) -> Qsmo:
        """The QSMO with this id; KeyError listing the known ids if there is none."""
        for qsmo in self.qsmos:
            if qsmo.id == qsmo_id:
                return qsmo
        raise KeyError(f"qsmo '{qsmo_id}' is unknown (known: {', '.join(self.qsmo_ids)})")


def _shared_measures_disagree(frameworks: Sequence[Framework]) -> list[str]:
    """A problem for every measure id two versions define with different aggregations or
    ranges (values are kept per QSMO and measure id, whatever the version)."""
    first: dict[str, Measure] = {}
    problems = []
    for framework in frameworks:
        for measure in framework.measures:
            seen = first.setdefault(measure.id, measure)
            if (seen.aggregation, seen.value_range) != (measure.aggregation, measure.value_range):
                problems.append(
                    f"measure '{measure.id}' is defined differently in framework "
                    f"{framework.version} (aggregation and value range must match everywhere)"
                )
    return problems


__all__ = [
    "DEFAULT_FRAMEWORK_VERSION",
    "Agency",
    "Aggregation",
    "Catalog",
    "Dimension",
    "DimensionStatus",
    "Direction",
    "Framework",
    "FrameworkStatus",
    "Frequency",
    "Measure",
    "Phase",
    "Provider",
    "Qsmo",
    "ValueRange",
    "format_number",
]
