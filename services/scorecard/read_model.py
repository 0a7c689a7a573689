"""The scorecard service's read door: the only module of the service the gateway imports.

``ScorecardReader`` reads the service's collections; the views it returns (``ScorecardView``,
``ScorecardDiff`` and their parts) are immutable values. ``__all__`` is what the door offers;
an import contract in ``pyproject.toml`` keeps the gateway from reaching past it.

Every method is a bounded number of round trips: ``current`` one lookup, ``as_of`` one
indexed find, ``all_current`` one find for every QSMO and government-wide, ``diff`` three;
a government-wide ``current`` one more find, a government-wide ``as_of`` one more per
participating QSMO (for the QSMO status counts).

Rev. 2: ``current`` and ``all_current`` judge each version at *now* (the injected clock),
``as_of`` at ``at`` — an open year's ``sum`` targets are the targets expected by that day
(``domain.rejudge``, from the numbers the version itself stored: values, annual targets,
weights, baselines). A ``phase`` argument rejudges with that phase as well. Government-wide
views carry per-measure QSMO status counts from the QSMO views judged the same way.
``history`` and ``diff`` show the versions as stored.

Slice scorecards (a provider's or a customer agency's share, rev. 2) are not stored: the pure
``slice_scorecard`` computes one on read from the slice's fiscal-year states
(``SliceYearState``, which the gateway builds from the measures service's read door).
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.scorecard import documents as docs
from services.scorecard.changes import diff
from services.scorecard.inputs import to_millis
from services.scorecard.judging import needs_rejudging, rejudge, with_qsmo_status_counts
from services.scorecard.slices import SliceYearState, sla_targets_of, slice_scorecard
from services.scorecard.views import (
    CauseDetail,
    MeasureView,
    ScorecardDiff,
    ScorecardView,
    StatusCounts,
    VersionSummary,
    scorecard_id,
)
from shared.catalog import load_catalog
from shared.domain.catalog import Framework
from shared.mongo import find_by_ids

HISTORY_LIMIT = 1000
"""Most versions ``history`` and ``diff`` read in one call."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ScorecardReader:
    """Reads the scorecard service's collections (``qsmo`` None: government-wide)."""

    def __init__(
        self,
        database: Any,
        framework: Framework | None = None,
        clock: Callable[[], datetime] = _utc_now,
        qsmo_ids: Callable[[], Awaitable[Sequence[str]]] | None = None,
    ) -> None:
        """``qsmo_ids``: every QSMO that may have a scorecard (catalog and admin-added); with
        it ``all_current`` reads by ``_id`` (FerretDB 1.24 scans for ``fiscal_year``)."""
        self._current = database[docs.CURRENT]
        self._versions = database[docs.VERSIONS]
        self._framework = framework or load_catalog().framework()
        self._clock = clock
        self._qsmo_ids = qsmo_ids

    async def current(
        self, fiscal_year: int, qsmo: str | None, phase: int | None = None
    ) -> ScorecardView | None:
        """The latest version judged now, or None when the scorecard has no data yet."""
        if qsmo is None:
            views = await self.all_current(fiscal_year, phase)
            return next((v for v in views if v.qsmo is None), None)
        document = await self._current.find_one({"_id": scorecard_id(fiscal_year, qsmo)})
        return None if document is None else self._view(document, self._clock(), phase)

    async def as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime, phase: int | None = None
    ) -> ScorecardView | None:
        """The version in force at ``at`` (what the scorecard said then), judged at ``at``."""
        document = await self._document_as_of(fiscal_year, qsmo, at)
        if document is None:
            return None
        view = self._view(document, at, phase)
        if qsmo is not None:
            return view
        participants = view.participants or await self._qsmos_with_scorecards(fiscal_year)
        found = {}
        for participant in participants:
            other = await self._document_as_of(fiscal_year, participant, at)
            if other is not None:
                found[participant] = self._view(other, at, phase)
        return with_qsmo_status_counts(view, found)

    async def all_current(self, fiscal_year: int, phase: int | None = None) -> list[ScorecardView]:
        """Every QSMO's and the government-wide latest version for the year, in one find.

        Ordered by QSMO id with government-wide last; all judged now.
        """
        if self._qsmo_ids is None:
            found = await self._current.find({"fiscal_year": fiscal_year}).to_list()
        else:
            owners = [*await self._qsmo_ids(), None]
            found = await find_by_ids(self._current, [scorecard_id(fiscal_year, q) for q in owners])
        now = self._clock()
        views = [self._view(d, now, phase) for d in found]
        qsmo_views = {v.qsmo: v for v in views if v.qsmo is not None}
        views = [v if v.qsmo is not None else with_qsmo_status_counts(v, qsmo_views) for v in views]
        return sorted(views, key=lambda v: (v.qsmo is None, v.qsmo or ""))

    async def history(
        self, fiscal_year: int, qsmo: str | None, limit: int = 50
    ) -> list[ScorecardView]:
        """The latest ``limit`` versions as stored, newest first."""
        bounded = max(1, min(limit, HISTORY_LIMIT))
        found = await (
            self._versions.find({"scorecard_id": scorecard_id(fiscal_year, qsmo)})
            .sort("version", DESCENDING)
            .limit(bounded)
            .to_list()
        )
        return [docs.view_from(d) for d in found]

    async def diff(
        self, fiscal_year: int, qsmo: str | None, start: datetime, end: datetime
    ) -> ScorecardDiff:
        """What changed between the versions in force at ``start`` and at ``end`` (as stored).

        Raises ValueError when ``end`` is before ``start``.
        """
        if end < start:
            raise ValueError("diff: end must not be before start")
        sid = scorecard_id(fiscal_year, qsmo)
        before = await self._document_as_of(fiscal_year, qsmo, start)
        old = None if before is None else docs.view_from(before)
        between = [
            docs.view_from(d)
            for d in await self._versions.find(
                {"scorecard_id": sid, "computed_at": {"$gt": start, "$lte": end}}
            )
            .sort("version", ASCENDING)
            .limit(HISTORY_LIMIT)
            .to_list()
        ]
        new = between[-1] if between else old
        return diff((sid, fiscal_year, qsmo), start, end, old, new, between)

    async def _qsmos_with_scorecards(self, fiscal_year: int) -> tuple[str, ...]:
        """The QSMOs with a scorecard for the year: the participants of a version stored
        before rev. 2, which does not name its own."""
        cursor = self._current.find(
            {"fiscal_year": fiscal_year, "qsmo": {"$ne": None}}, {"qsmo": 1}
        )
        return tuple(sorted({d["qsmo"] async for d in cursor}))

    async def _document_as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime
    ) -> dict[str, Any] | None:
        found = await (
            self._versions.find(
                {"scorecard_id": scorecard_id(fiscal_year, qsmo), "computed_at": {"$lte": at}}
            )
            .sort([("computed_at", DESCENDING), ("version", DESCENDING)])
            .limit(1)
            .to_list()
        )
        return found[0] if found else None

    def _view(
        self, document: dict[str, Any], reference: datetime, phase: int | None
    ) -> ScorecardView:
        view = docs.view_from(document)
        if not needs_rejudging(view, reference, phase):
            return view.model_copy(update={"reference_time": to_millis(reference)})
        return rejudge(self._framework, view, reference=reference, phase=phase)


async def create_read_indexes(database: Any) -> None:
    """Indexes the reads need (the service creates them at start; idempotent)."""
    await database[docs.VERSIONS].create_index(
        [("scorecard_id", ASCENDING), ("computed_at", ASCENDING)]
    )
    await database[docs.VERSIONS].create_index(
        [("scorecard_id", ASCENDING), ("version", ASCENDING)]
    )
    await database[docs.CURRENT].create_index([("fiscal_year", ASCENDING)])


__all__ = [
    "CauseDetail",
    "MeasureView",
    "ScorecardDiff",
    "ScorecardReader",
    "ScorecardView",
    "SliceYearState",
    "StatusCounts",
    "VersionSummary",
    "sla_targets_of",
    "slice_scorecard",
]
