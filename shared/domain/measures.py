"""The parts of a framework: measure profiles, dimensions, phases, QSMOs and their enums.

Each is a frozen pydantic model that rejects unknown keys, so a typo in a catalog file fails
at load time instead of silently falling back to a default.
"""

import math
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
]
"""A catalog id: lower-case letters, digits and dashes (``customer-satisfaction``)."""

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Aggregation(StrEnum):
    """How a measure's events combine into one value for a period."""

    SUM = "sum"
    MEAN = "mean"
    LATEST = "latest"


class Direction(StrEnum):
    """Whether a larger value is better (``higher``) or worse (``lower``)."""

    HIGHER = "higher"
    LOWER = "lower"


class DimensionStatus(StrEnum):
    """``active`` dimensions are scored; ``proposed`` ones accept events but are not scored."""

    ACTIVE = "active"
    PROPOSED = "proposed"


class FrameworkStatus(StrEnum):
    """``active``: the framework in force; ``draft``: held beside it, not yet in force."""

    ACTIVE = "active"
    DRAFT = "draft"


class Frequency(StrEnum):
    """Expected reporting frequency; a measure silent for longer than ``days`` is stale."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"

    @property
    def days(self) -> int:
        """The longest gap, in days, between two reports before the measure is stale."""
        return _FREQUENCY_DAYS[self]


_FREQUENCY_DAYS = {
    Frequency.WEEKLY: 7,
    Frequency.MONTHLY: 31,
    Frequency.QUARTERLY: 92,
    Frequency.ANNUALLY: 366,
}


class CatalogModel(BaseModel):
    """Base of every catalog value: immutable, and unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ValueRange(CatalogModel):
    """The closed interval of acceptable values; ``max`` None means unbounded above."""

    min: float = 0.0
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "ValueRange":
        if not math.isfinite(self.min) or (self.max is not None and not math.isfinite(self.max)):
            raise ValueError("value_range bounds must be finite numbers")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"value_range max {self.max:g} is below min {self.min:g}")
        return self

    def contains(self, value: float) -> bool:
        """True when ``min <= value <= max`` (bounds included)."""
        return self.min <= value and (self.max is None or value <= self.max)

    def describe(self) -> str:
        """The range as people write it: ``1..5``, ``0..100`` or ``≥ 0``."""
        if self.max is None:
            return f"≥ {format_number(self.min)}"
        return f"{format_number(self.min)}..{format_number(self.max)}"


def format_number(value: float) -> str:
    """Format a number without a spurious ``.0`` (``5`` rather than ``5.0``)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Phase(CatalogModel):
    """A rollout phase: measures of phase ``number`` count from ``fiscal_year`` on."""

    number: int = Field(ge=1)
    name: Text
    fiscal_year: int = Field(ge=2000, le=2200)


class Qsmo(CatalogModel):
    """A Quality Service Management Office: one government-wide marketplace."""

    id: Identifier
    name: Text
    lead_agency: Text


class Dimension(CatalogModel):
    """A balanced-scorecard dimension (a group of measures with a weight)."""

    id: Identifier
    name: Text
    description: Text
    status: DimensionStatus = DimensionStatus.ACTIVE
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)


class Measure(CatalogModel):
    """A measure profile: what is measured, how it aggregates, and what good looks like.

    ``phase`` is None only for measures of a proposed dimension (they get one when an admin
    adopts the dimension). ``default_target`` is in the measure's ``unit``.
    """

    id: Identifier
    name: Text
    description: Text
    dimension: Identifier
    phase: int | None = Field(default=None, ge=1)
    unit: Text
    value_range: ValueRange = ValueRange()
    aggregation: Aggregation
    direction: Direction
    default_target: float = Field(gt=0, allow_inf_nan=False)
    amber_ratio: float = Field(default=0.9, gt=0, le=1)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    frequency: Frequency
    owner_role: Text
    data_source: Text

    @model_validator(mode="after")
    def _target_in_range(self) -> "Measure":
        if not self.value_range.contains(self.default_target):
            raise ValueError(
                f"measure '{self.id}': default_target {format_number(self.default_target)} "
                f"is outside its value range {self.value_range.describe()}"
            )
        expected = _range_for_unit(self.unit)
        if expected is not None and expected != self.value_range:
            raise ValueError(
                f"measure '{self.id}': unit '{self.unit}' requires value_range "
                f"{expected.describe()}, not {self.value_range.describe()}"
            )
        return self


def _range_for_unit(unit: str) -> ValueRange | None:
    """The unit rules (docs/scoring.md §12): ``score 1-5`` → 1..5, ``%…`` → 0..100 (else unchecked)."""
    if unit.startswith("score 1"):
        return ValueRange(min=1, max=5)
    if unit.startswith("%"):
        return ValueRange(min=0, max=100)
    return None
