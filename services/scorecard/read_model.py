"""The scorecard service's read door: the only module of the service the gateway imports.

``ScorecardReader`` reads the service's collections; the views it returns (``ScorecardView``,
``ScorecardDiff`` and their parts) are immutable values. ``__all__`` is what the door offers;
an import contract in ``pyproject.toml`` keeps the gateway from reaching past it.

Every method is a bounded number of round trips: ``current`` one lookup, ``as_of`` one
indexed find, ``all_current`` one find for every QSMO and government-wide, ``diff`` three.
A ``phase`` argument recomputes the version with that phase via the pure scoring, from the
numbers the version itself stored (values, targets, weights, baselines).
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.scorecard import documents as docs
from services.scorecard.changes import diff
from services.scorecard.domain import rescore
from services.scorecard.views import (
    CauseDetail,
    MeasureView,
    ScorecardDiff,
    ScorecardView,
    VersionSummary,
    scorecard_id,
)
from shared.catalog import load_catalog
from shared.domain.catalog import Framework
from shared.mongo import find_by_ids

HISTORY_LIMIT = 1000
"""Most versions ``history`` and ``diff`` read in one call."""


class ScorecardReader:
    """Reads the scorecard service's collections (``qsmo`` None: government-wide)."""

    def __init__(
        self,
        database: Any,
        framework: Framework | None = None,
        qsmo_ids: Callable[[], Awaitable[Sequence[str]]] | None = None,
    ) -> None:
        """``qsmo_ids``: every QSMO that may have a scorecard (catalog and admin-added); with
        it ``all_current`` reads by ``_id`` (FerretDB 1.24 scans for ``fiscal_year``)."""
        self._current = database[docs.CURRENT]
        self._versions = database[docs.VERSIONS]
        self._framework = framework or load_catalog().framework()
        self._qsmo_ids = qsmo_ids

    async def current(
        self, fiscal_year: int, qsmo: str | None, phase: int | None = None
    ) -> ScorecardView | None:
        """The latest version, or None when the scorecard has no data yet."""
        document = await self._current.find_one({"_id": scorecard_id(fiscal_year, qsmo)})
        return None if document is None else self._view(document, phase)

    async def as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime, phase: int | None = None
    ) -> ScorecardView | None:
        """The version in force at ``at`` (what the scorecard said then), or None."""
        found = await (
            self._versions.find(
                {"scorecard_id": scorecard_id(fiscal_year, qsmo), "computed_at": {"$lte": at}}
            )
            .sort([("computed_at", DESCENDING), ("version", DESCENDING)])
            .limit(1)
            .to_list()
        )
        return self._view(found[0], phase) if found else None

    async def all_current(self, fiscal_year: int, phase: int | None = None) -> list[ScorecardView]:
        """Every QSMO's and the government-wide latest version for the year, in one find.

        Ordered by QSMO id with government-wide last.
        """
        if self._qsmo_ids is None:
            found = await self._current.find({"fiscal_year": fiscal_year}).to_list()
        else:
            owners = [*await self._qsmo_ids(), None]
            found = await find_by_ids(self._current, [scorecard_id(fiscal_year, q) for q in owners])
        views = [self._view(d, phase) for d in found]
        return sorted(views, key=lambda v: (v.qsmo is None, v.qsmo or ""))

    async def history(
        self, fiscal_year: int, qsmo: str | None, limit: int = 50
    ) -> list[ScorecardView]:
        """The latest ``limit`` versions, newest first."""
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
        """What changed between the versions in force at ``start`` and at ``end``.

        Raises ValueError when ``end`` is before ``start``.
        """
        if end < start:
            raise ValueError("diff: end must not be before start")
        sid = scorecard_id(fiscal_year, qsmo)
        old = await self.as_of(fiscal_year, qsmo, start)
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

    def _view(self, document: dict[str, Any], phase: int | None) -> ScorecardView:
        view = docs.view_from(document)
        if phase is None or phase == view.phase:
            return view
        return rescore(self._framework, view, phase)


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
    "VersionSummary",
]
