"""Queries about scorecards: one, all side by side, a diff, a history."""

import datetime
from typing import Annotated

import strawberry

from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.schema import fields
from gateway.schema.common import aware, fiscal_year_arg, phase_arg
from gateway.schema.scorecard_types import Scorecard, ScorecardDiff, ScorecardVersion
from gateway.tiers import asked_slice, slice_view
from services.scorecard.read_model import ScorecardView

MAX_HISTORY = 100


def past(as_of: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    """``as_of`` if it is not after ``now``; BAD_USER_INPUT otherwise (no scorecard exists
    in the future: a scorecard is judged at the day it is asked about)."""
    if as_of > now:
        raise BadUserInputError(
            f"asOf {as_of.isoformat()} is in the future (now {now.isoformat()}); omit asOf "
            "for the scorecard as it is now, or give a past instant",
            field="asOf",
        )
    return as_of


@strawberry.type
class ScorecardQueries:
    @fields.field(
        description="A QSMO's scorecard (`qsmo` omitted: government-wide) as it is now, or as "
        "it was at `asOf` (not in the future), judged at that instant: an open year's `sum` "
        "targets are those expected by that day; `phase` rescores with another phase. Null "
        "before any data. Slices (rev. 2): `provider` (needs `qsmo`, a provider serving it) "
        "or `agency` (with `qsmo`: within that QSMO; without: from every QSMO) restricts it to "
        "that provider's or agency's events, computed on read (`stored: false`, no history: "
        "`asOf` judges today's values at that instant); a slice without events is NO_DATA, "
        "never null or zero."
    )
    async def scorecard(
        self,
        info: Info,
        fiscal_year: int,
        qsmo: strawberry.ID | None = None,
        phase: int | None = None,
        as_of: datetime.datetime | None = None,
        provider: strawberry.ID | None = None,
        agency: strawberry.ID | None = None,
    ) -> Scorecard | None:
        context = info.context
        fiscal_year_arg(fiscal_year)
        await context.known_qsmo(qsmo)
        phase_arg(context.runtime.catalog.framework(), phase)
        slice_ = await asked_slice(context, qsmo, provider, agency)
        now = context.runtime.clock()
        at = None if as_of is None else past(aware(as_of, "asOf"), now)
        view: ScorecardView | None
        if slice_ is not None:
            view = await slice_view(context, fiscal_year, qsmo, slice_, at or now, phase)
        elif at is not None:
            view = await context.runtime.scorecards.as_of(fiscal_year, qsmo, at, phase)
        else:
            view = await context.loaders.scorecards.load((fiscal_year, qsmo, phase))
        return None if view is None else Scorecard.from_model(view)

    @fields.field(description="Every QSMO's current scorecard for a fiscal year, by QSMO id.")
    async def scorecards(
        self,
        info: Info,
        fiscal_year: int,
        phase: int | None = None,
        include_government_wide: bool = False,
    ) -> list[Scorecard]:
        context = info.context
        fiscal_year_arg(fiscal_year)
        phase_arg(context.runtime.catalog.framework(), phase)
        views = await context.runtime.scorecards.all_current(fiscal_year, phase)
        return [
            Scorecard.from_model(v) for v in views if v.qsmo is not None or include_government_wide
        ]

    @fields.field(description="What changed in a scorecard between two instants.")
    async def scorecard_diff(
        self,
        info: Info,
        fiscal_year: int,
        from_: Annotated[datetime.datetime, strawberry.argument(name="from")],
        to: datetime.datetime,
        qsmo: strawberry.ID | None = None,
    ) -> ScorecardDiff:
        context = info.context
        fiscal_year_arg(fiscal_year)
        await context.known_qsmo(qsmo)
        start, end = aware(from_, "from"), aware(to, "to")
        if end < start:
            raise BadUserInputError("'to' must not be before 'from'", field="to")
        diff = await context.runtime.scorecards.diff(fiscal_year, qsmo, start, end)
        return ScorecardDiff.from_model(diff)

    @fields.field(description="A scorecard's latest versions, newest first.")
    async def scorecard_history(
        self,
        info: Info,
        fiscal_year: int,
        qsmo: strawberry.ID | None = None,
        first: int = 20,
    ) -> list[ScorecardVersion]:
        context = info.context
        fiscal_year_arg(fiscal_year)
        await context.known_qsmo(qsmo)
        size = context.runtime.limits.page_size(first)
        versions = await context.runtime.scorecards.history(
            fiscal_year, qsmo, min(size, MAX_HISTORY)
        )
        return [ScorecardVersion.from_model(v) for v in versions]
