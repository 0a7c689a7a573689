"""What a scorecard says, as immutable values: the stored version and the gateway's view.

A ``ScorecardView`` is one version of one scorecard exactly as it was reported. Versions are
stored as ``model_dump()`` documents and read back with ``model_validate``; every timestamp is
truncated to whole milliseconds (what BSON keeps), so a stored view equals a fresh one.
Statuses are the strings ``GREEN``, ``AMBER``, ``RED`` and ``NO_DATA``.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import GOVERNMENT, StatusName

Cause = Literal["new_data", "restatement", "framework_change", "rescore", "rules_revision"]
"""Why a version was made: new data, late data for a reported period, an admin change, a new
day that moved an open period's expected-to-date target enough to change a status
(``rescore``), or a recompute under a new revision of the scoring rules (``rules_revision``).
"""

RULES_REVISION = 2
"""The revision of FRAMEWORK.md's scoring rules new versions follow (docs/scoring.md §13)."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class MeasureDataQuality(_View):
    """How much data stands behind a measure's value, and how fresh it is.

    ``event_count``: events counted in the fiscal year (all QSMOs for government-wide);
    ``restated_count``: of those, events that arrived after their period was reported;
    ``last_event_at``: the latest ``occurred_at``; ``last_ingested_at``: when the latest event
    was accepted; ``stale``: an active measure whose last event (or the fiscal year's start,
    without one) lies more than ``reporting_frequency_days`` before the version's
    ``computed_at`` (capped at the fiscal year's end).
    """

    event_count: int = 0
    restated_count: int = 0
    last_event_at: datetime | None = None
    last_ingested_at: datetime | None = None
    stale: bool = False
    reporting_frequency_days: int


class StatusCounts(_View):
    """How many participating QSMOs are GREEN, AMBER, RED and NO_DATA on one measure."""

    green: int = 0
    amber: int = 0
    red: int = 0
    no_data: int = 0


class MeasureView(_View):
    """One measure on a scorecard; ``active`` False: shown, but left out of every score.

    ``target`` is the target the status was judged against (rev. 2: a ``sum`` measure's
    annual target pro-rated to the days elapsed at the scorecard's ``reference_time``);
    ``annual_target`` the whole year's (government-wide ``sum``: Σ of the participating
    QSMOs' targets). A version stored before rev. 2 has no ``annual_target``: it was judged
    against the annual target, so it reads as ``target``. ``projected_value``: a ``sum``
    measure's value ÷ elapsed share in an open year, else None. ``qsmo_status_counts`` is
    filled in by the read door for government-wide scorecards only.
    """

    id: str
    name: str
    unit: str
    value: float | None
    target: float
    annual_target: float
    attainment: float | None
    status: StatusName
    weight: float
    active: bool
    baseline: float | None
    change: float | None
    quality: MeasureDataQuality
    projected_value: float | None = None
    last_year_value: float | None = None
    change_from_last_year: float | None = None
    qsmo_status_counts: StatusCounts | None = None

    @model_validator(mode="before")
    @classmethod
    def _annual_target_of_old_versions(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("annual_target") is None and "target" in data:
            return {**data, "annual_target": data["target"]}
        return data


class DimensionView(_View):
    """One dimension with its measures; ``score`` 0-100 or None (``NO_DATA``)."""

    id: str
    name: str
    score: float | None
    status: StatusName
    weight: float
    active: bool
    measures: tuple[MeasureView, ...]


class CauseDetail(_View):
    """What made a version: the measures whose inputs changed, and the admin changes applied."""

    measures: tuple[str, ...] = ()
    restated_measures: tuple[str, ...] = ()
    framework_changes: tuple[str, ...] = ()
    """``change_id`` of each ``FrameworkChanged`` applied."""
    reason: str | None = None
    """``rules-revision-2`` on the versions the recompute command made; ``day-YYYY-MM-DD``
    on a ``rescore``; else None."""


class ScorecardView(_View):
    """One version of one scorecard (``qsmo`` None: government-wide).

    ``scorecard_id`` is ``FY<year>|<qsmo>`` or ``FY<year>|government``; ``version`` counts
    from 1; ``phase`` is the phase used for gating; ``framework_version`` the catalog version
    (``qsmo-2022``); ``framework_seq`` the number of admin framework changes in force.
    ``adopted_dimensions`` maps adopted proposed dimensions to their phase (so a phase
    override can be recomputed from the version alone).

    Rev. 2: ``reference_time`` is the instant the version was judged at (its ``computed_at``
    when stored; now or ``asOf`` when the read door re-judges it), ``open`` whether the
    fiscal year was open then and ``elapsed_share`` how much of it had passed (1 once
    closed). ``participants``: on a government-wide scorecard, the QSMOs whose targets make
    its ``sum`` targets. ``rules_revision``: 1 for versions stored before rev. 2 (their
    missing fields are derived: ``reference_time`` = ``computed_at``).
    """

    scorecard_id: str
    fiscal_year: int
    qsmo: str | None
    version: int
    computed_at: datetime
    cause: Cause
    cause_detail: CauseDetail = CauseDetail()
    phase: int
    framework_version: str
    framework_seq: int = 0
    overall_score: float | None
    overall_status: StatusName
    dimensions: tuple[DimensionView, ...]
    adopted_dimensions: dict[str, int] = {}
    reference_time: datetime
    open: bool = False
    elapsed_share: float = 1.0
    participants: tuple[str, ...] = ()
    rules_revision: int = 1
    slice: str | None = Field(default=None, exclude=True)
    """A slice scorecard's slice (``provider:doi-ibc``, ``agency:DOI``; ``slices``): computed
    on read, never stored, so never dumped; None for every stored scorecard."""

    @model_validator(mode="before")
    @classmethod
    def _reference_of_old_versions(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("reference_time") is None:
            return {**data, "reference_time": data.get("computed_at")}
        return data

    def dimension(self, dimension_id: str) -> DimensionView:
        """The dimension with this id; KeyError if absent."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"dimension {dimension_id!r} is not on scorecard {self.scorecard_id}")

    def measure(self, measure_id: str) -> MeasureView:
        """The measure with this id; KeyError if absent."""
        for dimension in self.dimensions:
            for measure in dimension.measures:
                if measure.id == measure_id:
                    return measure
        raise KeyError(f"measure {measure_id!r} is not on scorecard {self.scorecard_id}")

    @property
    def measures(self) -> tuple[MeasureView, ...]:
        """Every measure, dimension by dimension, in catalog order."""
        return tuple(m for d in self.dimensions for m in d.measures)


class VersionSummary(_View):
    """A version in a history or a diff: when, why, and the overall result."""

    version: int
    computed_at: datetime
    cause: Cause
    cause_detail: CauseDetail
    overall_score: float | None
    overall_status: StatusName


class MeasureChange(_View):
    """A measure that differs between two instants; ``causes``: of the versions between."""

    id: str
    dimension: str
    old_value: float | None
    new_value: float | None
    old_target: float | None
    new_target: float | None
    old_attainment: float | None
    new_attainment: float | None
    old_status: StatusName
    new_status: StatusName
    causes: tuple[Cause, ...]


class DimensionChange(_View):
    """A dimension whose score, status, weight or activity differs between two instants."""

    id: str
    old_score: float | None
    new_score: float | None
    old_status: StatusName
    new_status: StatusName


class ScorecardDiff(_View):
    """What changed in one scorecard between ``start`` and ``end`` (versions as of each).

    ``from_version``/``to_version`` are None when the scorecard did not exist yet at that
    instant. ``versions`` are those made in (start, end], oldest first, and ``causes`` the
    distinct causes among them.
    """

    scorecard_id: str
    fiscal_year: int
    qsmo: str | None
    start: datetime
    end: datetime
    from_version: int | None
    to_version: int | None
    old_overall_score: float | None
    new_overall_score: float | None
    old_overall_status: StatusName
    new_overall_status: StatusName
    measures: tuple[MeasureChange, ...]
    dimensions: tuple[DimensionChange, ...]
    versions: tuple[VersionSummary, ...]
    causes: tuple[Cause, ...]


def scorecard_id(fiscal_year: int, qsmo: str | None) -> str:
    """``FY2024|cybersecurity`` or ``FY2024|government`` (``qsmo`` None)."""
    return f"FY{fiscal_year}|{GOVERNMENT if qsmo is None else qsmo}"


def owner_of(qsmo: str | None) -> str:
    """The owner key (and Kafka key) of a scorecard: the QSMO, or ``government``."""
    return GOVERNMENT if qsmo is None else qsmo
