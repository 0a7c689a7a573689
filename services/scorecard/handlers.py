"""Handlers: value changes or framework changes → recompute the affected scorecards once each.

``process_values``: keep the fiscal-year messages whose state differs from the stored one, find
every scorecard they touch (a baseline year's value also moves the later years' baselines),
recompute each once from the owner's inputs, store a version when the content changed, publish
it, and store the new input states last.
``apply_framework_changes``: the same for every scorecard an admin change can alter, limited
to the owners the caller owns. The caller commits Kafka offsets only after these return.
``rescore_open_scorecards``: once a day, judge every open-year scorecard of the owners the
caller owns at the new day; a version only where a status changed (cause ``rescore``).
``recompute_all``: every stored scorecard under the current rules revision (the recompute
command; cause ``rules_revision``), only where the content changed, so a second run writes
nothing.

Every fresh scorecard is compared with the latest version *judged at the same instant*
(``domain.rejudge``): an open year's expected-to-date targets move every day, and that alone
makes no version except through ``rescore``.
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.scorecard.changes import changed_message, transitions
from services.scorecard.domain import Participation, compute_scorecard, next_version, qsmo_of
from services.scorecard.inputs import InputState, input_from_message
from services.scorecard.judging import rejudge
from services.scorecard.ports import ScorecardPublisher, ScorecardRepository, StoredVersion
from services.scorecard.views import RULES_REVISION, Cause, CauseDetail, scorecard_id
from shared.catalog import load_catalog
from shared.domain.catalog import Framework
from shared.domain.fiscal import fiscal_year_period
from shared.domain.framework_changes import (
    FrameworkState,
    RecordedChange,
    affected_owners,
    qsmo_added_times,
)
from shared.domain.open_periods import is_open
from shared.domain.phases import baseline_fiscal_year
from shared.events import GOVERNMENT, FrameworkChanged, MeasureValueChanged

RULES_REASON = f"rules-revision-{RULES_REVISION}"

ScorecardKey = tuple[str, int]
"""``(owner, fiscal_year)``: owner is a QSMO id or ``government``."""


@dataclass
class Trigger:
    """Why one scorecard is recomputed: changed inputs, late ones, admin changes."""

    measures: set[str] = field(default_factory=set)
    restated: set[str] = field(default_factory=set)
    framework_changes: list[str] = field(default_factory=list)
    special: Cause | None = None
    """``rescore`` or ``rules_revision``: no input changed, time or the rules did."""
    reason: str | None = None

    @property
    def cause(self) -> Cause:
        if self.special is not None:
            return self.special
        if self.framework_changes:
            return "framework_change"
        return "restatement" if self.restated else "new_data"

    def detail(self) -> CauseDetail:
        return CauseDetail(
            measures=tuple(sorted(self.measures)),
            restated_measures=tuple(sorted(self.restated)),
            framework_changes=tuple(self.framework_changes),
            reason=self.reason,
        )


@dataclass
class RecomputeReport:
    """What one handler call did, for metrics and logs."""

    messages: int = 0
    ignored: int = 0
    recomputed: int = 0
    versions: list[StoredVersion] = field(default_factory=list)
    published: int = 0


@dataclass(frozen=True)
class ScorecardContext:
    """The ports and the framework the handlers work with."""

    repository: ScorecardRepository
    publisher: ScorecardPublisher
    framework: Framework
    catalog_qsmos: tuple[str, ...] = field(default_factory=lambda: load_catalog().qsmo_ids)
    """The catalog's QSMOs: they take part in every fiscal year's government-wide targets."""


def participation(context: ScorecardContext, state: FrameworkState) -> Participation:
    """Catalog QSMOs (None) and admin-added QSMOs with the time they were added."""
    return qsmo_added_times(context.catalog_qsmos, state)


def owners_touched(change: FrameworkChanged) -> frozenset[str] | None:
    """``affected_owners``, plus government-wide where rev. 2 needs it: a per-QSMO target
    and a new QSMO change the government-wide ``sum`` targets (Σ of the QSMOs' targets)."""
    owners = affected_owners(change)
    if owners is not None and change.kind in ("target", "qsmo_added"):
        return owners | {GOVERNMENT}
    return owners


def latest_inputs(
    messages: Sequence[MeasureValueChanged], framework: Framework
) -> tuple[dict[str, InputState], dict[str, bool]]:
    """The last fiscal-year state per input key, and whether any message for it was late.

    Quarter and day messages and measures the framework does not know are left out.
    """
    states: dict[str, InputState] = {}
    restated: dict[str, bool] = defaultdict(bool)
    for message in messages:
        if not drives_scorecards(message, framework):
            continue
        state = input_from_message(message)
        states[state.key] = state
        restated[state.key] |= message.restated
    return states, restated


def drives_scorecards(message: MeasureValueChanged, framework: Framework) -> bool:
    """True for a fiscal-year value of a measure the framework knows."""
    return message.period.kind == "fiscal_year" and message.measure in framework.measure_ids


async def process_values(
    messages: Sequence[MeasureValueChanged],
    *,
    context: ScorecardContext,
    state: FrameworkState,
    now: datetime,
) -> RecomputeReport:
    """Apply a batch of ``MeasureValueChanged`` messages (in offset order per partition)."""
    framework, repository = context.framework, context.repository
    batch, restated = latest_inputs(messages, framework)
    ignored = sum(1 for m in messages if not drives_scorecards(m, framework))
    if not batch:
        return RecomputeReport(messages=len(messages), ignored=ignored)
    owners = {s.owner for s in batch.values()}
    stored = {s.key: s for s in await repository.load_inputs(owners)}
    # A redelivered state changes nothing and causes nothing.
    changed = {k: s for k, s in batch.items() if k not in stored or not s.same_state(stored[k])}
    inputs = {**stored, **changed}
    years: dict[str, set[int]] = defaultdict(set)
    for item in inputs.values():
        years[item.owner].add(item.fiscal_year)
    triggers: dict[ScorecardKey, Trigger] = defaultdict(Trigger)
    for key, item in changed.items():
        # The year after shows this year's value as ``last_year_value``.
        touched = {item.fiscal_year} | ({item.fiscal_year + 1} & years[item.owner])
        if item.fiscal_year == _baseline_year(framework, state, item.measure):
            touched |= {y for y in years[item.owner] if y > item.fiscal_year}
        for year in touched:
            trigger = triggers[(item.owner, year)]
            trigger.measures.add(item.measure)
            if restated[key]:
                trigger.restated.add(item.measure)
    # The inputs are saved after the announcement (with the publication mark): until then
    # a replay still sees them as changed and recomputes.
    report = await _recompute(
        triggers, list(inputs.values()), context, state, now, then_save=list(changed.values())
    )
    report.messages, report.ignored = len(messages), ignored
    return report


def _baseline_year(framework: Framework, state: FrameworkState, measure: str) -> int | None:
    return baseline_fiscal_year(framework.measure(measure), framework, state.overrides)


async def apply_framework_changes(
    changes: Sequence[RecordedChange],
    *,
    owns: Callable[[str], bool],
    context: ScorecardContext,
    state: FrameworkState,
    now: datetime,
) -> RecomputeReport:
    """Recompute every scorecard the ``changes`` can alter whose owner ``owns`` accepts.

    "Every scorecard" is every (owner, fiscal year) with stored inputs.
    """
    if not changes:
        return RecomputeReport()
    scopes = [owners_touched(r.change) for r in changes]
    owners = None if any(s is None for s in scopes) else set().union(*(s or () for s in scopes))
    scorecards = {k for k in await context.repository.scorecards_of(owners) if owns(k[0])}
    if not scorecards:
        return RecomputeReport()
    inputs = await context.repository.load_inputs({owner for owner, _ in scorecards})
    triggers: dict[ScorecardKey, Trigger] = {}
    for owner, year in scorecards:
        ids = [
            r.change.change_id
            for r, scope in zip(changes, scopes, strict=True)
            if scope is None or owner in scope
        ]
        triggers[(owner, year)] = Trigger(framework_changes=ids)
    return await _recompute(triggers, inputs, context, state, now)


async def rescore_open_scorecards(
    *,
    owns: Callable[[str], bool],
    context: ScorecardContext,
    state: FrameworkState,
    now: datetime,
    since: datetime | None = None,
) -> RecomputeReport:
    """Judge every open-year scorecard ``owns`` accepts at ``now``'s day (rev. 2).

    The expected-to-date target of a ``sum`` measure grows every day; a scorecard whose
    statuses change with it gets a version (cause ``rescore``), the others none. ``since``
    (the last day re-scored): years that closed after it are judged too, so a year that
    ended while the service was down gets its final judgement.
    """
    scorecards = {
        (owner, year)
        for owner, year in await context.repository.scorecards_of(None)
        if owns(owner) and _moved(year, now, since)
    }
    if not scorecards:
        return RecomputeReport()
    reason = f"day-{now.date().isoformat()}"
    triggers = {key: Trigger(special="rescore", reason=reason) for key in scorecards}
    inputs = await context.repository.load_inputs({owner for owner, _ in scorecards})
    return await _recompute(triggers, inputs, context, state, now)


def _moved(year: int, now: datetime, since: datetime | None) -> bool:
    period = fiscal_year_period(year)
    return is_open(period, now) or (since is not None and since < period.end <= now)


async def recompute_all(
    *, context: ScorecardContext, state: FrameworkState, now: datetime
) -> RecomputeReport:
    """Every stored scorecard recomputed under the current rules (the recompute command).

    A version (cause ``rules_revision``, reason ``rules-revision-2``) wherever the content
    differs from the latest version judged now — every version stored before rev. 2 does —
    so a second run writes nothing. Old versions stay in the history.
    """
    scorecards = await context.repository.scorecards_of(None)
    if not scorecards:
        return RecomputeReport()
    triggers = {key: Trigger(special="rules_revision", reason=RULES_REASON) for key in scorecards}
    inputs = await context.repository.load_inputs({owner for owner, _ in scorecards})
    return await _recompute(triggers, inputs, context, state, now)


def _new_version(
    framework: Framework,
    fresh: StoredVersion,
    before: StoredVersion | None,
    trigger: Trigger,
    seq: int,
) -> StoredVersion | None:
    """The version to store, or None: a ``rescore`` needs a changed status; any other cause
    a changed content, compared at the same reference time."""
    view, old = fresh.view, None if before is None else before.view
    found = transitions(old, view)
    if trigger.cause == "rescore":
        if not found:
            return None
        compared = old  # the stored statuses, judged at their own day
    else:
        compared = None if old is None else rejudge(framework, old, reference=view.reference_time)
    version = next_version(
        view, compared, cause=trigger.cause, detail=trigger.detail(), framework_seq=seq
    )
    if version is None:
        return None
    return StoredVersion(version, tuple(transitions(old, version)))


async def _recompute(
    triggers: Mapping[ScorecardKey, Trigger],
    inputs: Sequence[InputState],
    context: ScorecardContext,
    state: FrameworkState,
    now: datetime,
    then_save: Sequence[InputState] = (),
) -> RecomputeReport:
    """Recompute, store, announce, then (at once) mark announced and save ``then_save``.

    Both last writes wait for the broker's acknowledgement: an input saved before its
    scorecard was announced would make a replay skip the announcement. They are
    independent of each other, so they run concurrently: the next batch waits for one round
    trip instead of two."""
    by_owner: dict[str, list[InputState]] = defaultdict(list)
    for item in inputs:
        by_owner[item.owner].append(item)
    ids = {scorecard_id(year, qsmo_of(owner)): (owner, year) for owner, year in triggers}
    latest = await context.repository.load_latest(ids)
    report = RecomputeReport(recomputed=len(ids))
    qsmos = participation(context, state)
    unpublished: list[StoredVersion] = []
    for sid, (owner, year) in sorted(ids.items()):
        previous = latest.get(sid)
        if previous is not None and not previous.published:
            unpublished.append(previous.stored)  # a crash came between store and announce
        fresh = compute_scorecard(
            context.framework,
            state.overrides,
            owner=owner,
            fiscal_year=year,
            inputs=by_owner[owner],
            computed_at=now,
            qsmos=qsmos,
        )
        version = _new_version(
            context.framework,
            StoredVersion(fresh, ()),
            None if previous is None else previous.stored,
            triggers[(owner, year)],
            state.seq,
        )
        if version is not None:
            report.versions.append(version)
    await context.repository.insert_versions(report.versions)
    newer = {s.view.scorecard_id for s in report.versions}
    await context.repository.save_current(
        [*report.versions, *(s for s in unpublished if s.view.scorecard_id not in newer)]
    )
    announce = [*unpublished, *report.versions]
    if announce:
        await context.publisher.publish([changed_message(s.view, s.transitions) for s in announce])
    # Both finish before a failure is raised: the retry must not race a write still running.
    for outcome in await asyncio.gather(
        context.repository.mark_published({s.view.scorecard_id: s.view.version for s in announce}),
        context.repository.save_inputs(then_save),
        return_exceptions=True,
    ):
        if isinstance(outcome, BaseException):
            raise outcome
    report.published = len(announce)
    return report
