"""Gathering a review's ``PacketInputs`` at its cut-off from the gateway's read doors.

* the scorecard: ``scorecards.as_of(fiscal_year, qsmo, cut_off)`` — as reported then, judged
  then; what changed: ``scorecards.diff(fiscal_year, qsmo, previous.cut_off, cut_off)``;
* monthly trends: ``values.series(..., MONTH)`` of each active measure, the months that began
  before the cut-off (the stored months are today's: a month holding data received after the
  cut-off is flagged on the chart; the tables' figures are the cut-off's);
* commentary: the latest at or before the cut-off on each RED or AMBER measure (every QSMO's
  for the government-wide review); improvement actions of the scope with their history;
* survey waves of the fiscal year closed in the quarter by the cut-off (published figures
  only: the wave's total and its function groups); open revision proposals when the gateway
  has them (``proposals`` None: the section is left out).

Reads only: nothing here writes, and nothing reads the clock.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from gateway.analysis import ImprovementAction
from gateway.pagination import Position
from gateway.ports import AnalysisStore, MeasureValues, ScorecardReads
from gateway.provider_tools.surveys import SurveyTool
from services.scorecard.read_model import MeasureView, ScorecardDiff, ScorecardView
from shared.domain.catalog import Catalog
from shared.domain.fiscal import PeriodKind, fiscal_quarter_period
from shared.domain.review_packet import (
    ActionRecord,
    ActionStep,
    Changes,
    DimensionChange,
    DimensionFigures,
    MeasureChange,
    MeasureFigures,
    Note,
    PacketInputs,
    ProposalRecord,
    ScorecardFigures,
    SurveyGroup,
    SurveyHighlight,
    Trend,
    TrendPoint,
)
from shared.domain.reviews import Review, ReviewState
from shared.domain.survey import WaveStatus
from shared.domain.survey_disclosure import Dimension
from shared.domain.survey_results import wave_results

OpenProposals = Callable[[str | None], Awaitable[Sequence[ProposalRecord]]]
"""The open revision proposals of a scope (``None``: government-wide), as packet rows."""
QsmoNames = Callable[[], Awaitable[dict[str, str]]]
"""Every QSMO's id → name (the catalog's and those added by admins)."""
GOVERNMENT_WIDE = "Government-wide (every QSMO)"
PAGE = 500


class PacketInputsReader:
    """Reads what one review's packet is made of (see the module docstring)."""

    def __init__(
        self,
        scorecards: ScorecardReads,
        values: MeasureValues,
        analysis: AnalysisStore,
        survey: SurveyTool | None,
        proposals: OpenProposals | None,
        qsmo_names: QsmoNames,
        catalog: Catalog,
    ) -> None:
        self._scorecards = scorecards
        self._values = values
        self._analysis = analysis
        self._survey = survey
        self._proposals = proposals
        self._qsmo_names = qsmo_names
        self._catalog = catalog

    async def gather(self, review: Review, previous: Review | None) -> PacketInputs:
        names = await self._qsmo_names()
        cut_off = review.cut_off
        view = await self._scorecards.as_of(review.fiscal_year, review.qsmo, cut_off)
        quarter = fiscal_quarter_period(review.fiscal_year, review.quarter)
        changes = None
        if previous is not None and previous.cut_off <= cut_off:
            diff = await self._scorecards.diff(
                review.fiscal_year, review.qsmo, previous.cut_off, cut_off
            )
            changes = self._changes(diff, previous, view)
        active = [] if view is None else [m for m in view.measures if m.active]
        qsmos = sorted(names) if review.qsmo is None else [review.qsmo]
        trends, notes, actions, surveys = await asyncio.gather(
            self._trends(review, active, sorted(names)),
            self._notes(review, [m.id for m in active if m.status in ("RED", "AMBER")], qsmos),
            self._actions(review.qsmo),
            self._surveys(review, quarter.start, min(quarter.end, cut_off)),
        )
        proposals = None if self._proposals is None else tuple(await self._proposals(review.qsmo))
        return PacketInputs(
            review_id=review.id,
            title=review.title,
            qsmo=review.qsmo,
            scope_name=GOVERNMENT_WIDE
            if review.qsmo is None
            else names.get(review.qsmo, review.qsmo),
            fiscal_year=review.fiscal_year,
            quarter=review.quarter,
            quarter_start=quarter.start.date(),
            quarter_last_day=(quarter.end - timedelta(days=1)).date(),
            meeting_date=review.meeting_date,
            participants=review.participants,
            cut_off=cut_off,
            draft=review.state is ReviewState.DRAFT,
            scorecard=None if view is None else self._figures(view),
            previous_review_id=None if previous is None else previous.id,
            previous_cut_off=None if previous is None else previous.cut_off,
            changes=changes,
            trends=trends,
            notes=notes,
            actions=actions,
            surveys=surveys,
            proposals=proposals,
        )

    def _aggregation(self, measure_id: str) -> str:
        return self._catalog.framework_for_measure(measure_id).measure(measure_id).aggregation.value

    def _figures(self, view: ScorecardView) -> ScorecardFigures:
        return ScorecardFigures(
            version=view.version,
            computed_at=view.computed_at,
            overall_score=view.overall_score,
            overall_status=view.overall_status,
            open=view.open,
            elapsed_share=view.elapsed_share,
            dimensions=tuple(
                DimensionFigures(
                    id=d.id,
                    name=d.name,
                    score=d.score,
                    status=d.status,
                    weight=d.weight,
                    active=d.active,
                    measures=tuple(self._measure(d.id, m) for m in d.measures),
                )
                for d in view.dimensions
            ),
        )

    def _measure(self, dimension: str, m: MeasureView) -> MeasureFigures:
        counts = m.qsmo_status_counts
        return MeasureFigures(
            id=m.id,
            name=m.name,
            unit=m.unit,
            aggregation=self._aggregation(m.id),
            dimension=dimension,
            value=m.value,
            target=m.target,
            annual_target=m.annual_target,
            attainment=m.attainment,
            status=m.status,
            weight=m.weight,
            active=m.active,
            baseline=m.baseline,
            last_year_value=m.last_year_value,
            events=m.quality.event_count,
            restated=m.quality.restated_count,
            last_event_at=m.quality.last_event_at,
            stale=m.quality.stale,
            reporting_frequency_days=m.quality.reporting_frequency_days,
            qsmo_counts=None
            if counts is None
            else (counts.green, counts.amber, counts.red, counts.no_data),
        )

    def _changes(
        self, diff: ScorecardDiff, previous: Review, view: ScorecardView | None
    ) -> Changes:
        known = {m.id: m for m in view.measures} if view is not None else {}
        names = {d.id: d.name for d in self._catalog.framework().dimensions}
        return Changes(
            previous_review_id=previous.id,
            previous_cut_off=previous.cut_off,
            from_version=diff.from_version,
            to_version=diff.to_version,
            old_overall_score=diff.old_overall_score,
            new_overall_score=diff.new_overall_score,
            old_overall_status=diff.old_overall_status,
            new_overall_status=diff.new_overall_status,
            measures=tuple(
                MeasureChange(
                    id=c.id,
                    name=known[c.id].name if c.id in known else c.id,
                    unit=known[c.id].unit if c.id in known else "",
                    old_value=c.old_value,
                    new_value=c.new_value,
                    old_status=c.old_status,
                    new_status=c.new_status,
                    causes=c.causes,
                )
                for c in diff.measures
            ),
            causes=diff.causes,
            dimensions=tuple(
                DimensionChange(
                    id=d.id,
                    name=names.get(d.id, d.id),
                    old_score=d.old_score,
                    new_score=d.new_score,
                    old_status=d.old_status,
                    new_status=d.new_status,
                )
                for d in diff.dimensions
            ),
        )

    async def _trends(
        self, review: Review, measures: Sequence[MeasureView], qsmos: Sequence[str]
    ) -> tuple[Trend, ...]:
        async def one(measure: MeasureView) -> Trend:
            framework = self._catalog.framework_for_measure(measure.id)
            readings = await self._values.series(
                review.qsmo,
                measure.id,
                framework.measure(measure.id).aggregation,
                review.fiscal_year,
                PeriodKind.MONTH,
                qsmos=() if review.qsmo is not None else qsmos,
            )
            shown = [r for r in readings if r.period.start < review.cut_off]
            late = any(
                r.last_ingested_at is not None and _utc(r.last_ingested_at) > review.cut_off
                for r in shown
            )
            points = tuple(TrendPoint(label=r.period.label, value=r.value) for r in shown)
            return Trend(measure=measure.id, points=points, after_cut_off=late)

        return tuple(await asyncio.gather(*(one(m) for m in measures)))

    async def _notes(
        self, review: Review, measures: Sequence[str], qsmos: Sequence[str]
    ) -> tuple[Note, ...]:
        # Newer than the cut-off is left out: "after" a position means older than it.
        before = Position(at=review.cut_off + timedelta(microseconds=1), id="")

        async def latest(qsmo: str, measure: str) -> Note | None:
            page = await self._analysis.commentary_page(
                qsmo, measure, review.fiscal_year, 1, before
            )
            if not page:
                return None
            c = page[0]
            return Note(
                qsmo=c.qsmo,
                measure=c.measure,
                text=c.text,
                author=c.author,
                created_at=c.created_at,
            )

        found = await asyncio.gather(*(latest(q, m) for q in qsmos for m in measures))
        return tuple(n for n in found if n is not None)

    async def _actions(self, qsmo: str | None) -> tuple[ActionRecord, ...]:
        found: list[ImprovementAction] = []
        after: Position | None = None
        while True:
            page = await self._analysis.actions_page(qsmo, None, None, PAGE, after)
            found += page[:PAGE]
            if len(page) <= PAGE:
                break
            last = page[PAGE - 1]
            after = Position(at=last.created_at, id=last.id)
        return tuple(_action(a) for a in sorted(found, key=lambda a: a.id))

    async def _surveys(
        self, review: Review, start: datetime, end: datetime
    ) -> tuple[SurveyHighlight, ...]:
        if self._survey is None:
            return ()
        functions = {f.id: f for f in self._survey.survey_catalog.functions}
        highlights = []
        for wave in await self._survey.store.waves(review.fiscal_year):
            closed = wave.closed_at
            if wave.status is not WaveStatus.CLOSED or closed is None:
                continue
            if not start <= _utc(closed) < end:
                continue
            results = await self._survey.closed_wave(wave.id)
            table = wave_results(
                results.wave, results.responses, results.disclosure, group_by=Dimension.FUNCTION
            )
            overall = results.wave.overall_item.id
            groups = tuple(
                SurveyGroup(
                    label=functions[g.key.value].name
                    if g.key.value in functions
                    else str(g.key.value),
                    respondents=g.respondents,
                    mean=g.item_means.get(overall),
                    withheld=None if g.withheld is None else g.withheld.value,
                )
                for g in table.groups
                if review.qsmo is None
                or (g.key.value in functions and functions[g.key.value].qsmo == review.qsmo)
            )
            highlights.append(
                SurveyHighlight(
                    wave_id=wave.id,
                    name=wave.name,
                    closed_on=_utc(closed).date(),
                    respondents=table.total.respondents,
                    response_rate=table.total.response_rate,
                    overall_mean=table.total.item_means.get(overall),
                    groups=groups,
                )
            )
        return tuple(sorted(highlights, key=lambda h: (h.closed_on, h.wave_id)))


def _action(action: ImprovementAction) -> ActionRecord:
    origin = getattr(action, "origin", "person")  # H3's adjust loop adds the field
    return ActionRecord(
        id=action.id,
        qsmo=action.qsmo,
        measure=action.measure,
        title=action.title,
        owner=action.owner,
        due_date=action.due_date,
        status=action.status.value,
        created_at=_utc(action.created_at),
        history=tuple(
            ActionStep(
                at=_utc(s.at),
                from_status=None if s.from_status is None else s.from_status.value,
                to_status=s.to_status.value,
            )
            for s in action.history
        ),
        origin=str(origin),
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
