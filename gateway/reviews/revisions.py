"""Revision proposals: "Adjust" recorded as a proposed target or measure-weight change.

A publisher (its QSMO's targets) or an admin proposes a new value with a rationale and,
optionally, evidence and the review it came from; an admin accepts or declines it. Accepting
applies it through the framework's own audited operation (``FrameworkAdmin.set_target`` /
``set_measure_weight``, actor = the admin's key id, reason = ``revision <id>: <rationale>``),
so it appears in the framework audit log; the change id is kept on the proposal. Each step is
in the reviews' activity log (ids ``revision.proposed:<id>`` and ``revision.decided:<id>``;
actions ``revision.proposed``, ``revision.accepted``, ``revision.declined``).

A decision is claimed first (compare-and-set PROPOSED → ACCEPTED on ``revision``), then
applied: of two admins deciding at once one wins and the other is told it was decided; a
change the framework refuses puts the proposal back to PROPOSED.
"""

import math
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from gateway.analysis import clean_text
from gateway.pagination import Position
from gateway.ports import Clock
from gateway.reviews.activity_log import ActivityEntry, ActivityLog
from shared.api_keys import Person
from shared.domain.catalog import Framework, Measure, format_number
from shared.domain.overrides import Overrides
from shared.events import FrameworkChanged

MAX_RATIONALE = 1500
"""Leaves room in the framework audit reason (2000) for ``revision <id>: ``."""
MAX_EVIDENCE = 5000
MAX_NOTE = 2000
REVIEW_ID = re.compile(r"FY\d{4}-Q[1-4]\|[a-z0-9][a-z0-9-]{0,63}")
"""``shared.domain.reviews.review_id``'s shape: ``FY2025-Q2|cybersecurity``."""


class RevisionKind(StrEnum):
    TARGET = "TARGET"
    MEASURE_WEIGHT = "MEASURE_WEIGHT"


class RevisionStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class RevisionProposal(BaseModel):
    """A proposed change to a measure's target (a QSMO's, or the global one: ``qsmo`` None)
    or weight, and its decision. A weight is the same for every QSMO: a weight proposal's
    ``qsmo`` is only the scope it was proposed in (that QSMO's review and publisher)."""

    model_config = ConfigDict(frozen=True)

    id: str
    qsmo: str | None
    measure: str
    kind: RevisionKind
    proposed_value: float
    current_value: float
    """The value in force when it was proposed."""
    rationale: str = Field(min_length=1, max_length=MAX_RATIONALE)
    evidence: str | None = Field(default=None, max_length=MAX_EVIDENCE)
    review_id: str | None = None
    status: RevisionStatus = RevisionStatus.PROPOSED
    proposed_at: datetime
    proposed_by: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = Field(default=None, max_length=MAX_NOTE)
    framework_change_id: str | None = None
    revision: int = 1
    proposed_by_person: Person | None = None
    """Proposed with a sign-in token: the person (sub, name, issuer)."""
    decided_by_person: Person | None = None
    """Decided with a sign-in token: the person."""


class RevisionRejected(ValueError):  # noqa: N818 - a refusal, named like the others
    """Input refused; ``field`` names the GraphQL argument, ``message`` says what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RevisionNotFoundError(LookupError):
    """No proposal with that id."""


class RevisionStore(Protocol):
    """``gateway.reviews.revision_store``: Mongo ``gateway_revision_proposals`` or memory."""

    async def insert(self, proposal: RevisionProposal) -> None: ...

    async def get(self, proposal_id: str) -> RevisionProposal | None: ...

    async def replace(self, proposal: RevisionProposal, expected_revision: int) -> bool: ...

    async def page(
        self,
        qsmo: str | None,
        status: RevisionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[RevisionProposal]: ...


class FrameworkWrites(Protocol):
    """What proposals need of ``gateway.framework_admin.FrameworkAdmin``."""

    @property
    def framework(self) -> Framework: ...

    async def overrides(self) -> Overrides: ...

    # Plain methods returning awaitables: FrameworkAdmin's operations are decorated.
    def set_target(
        self,
        measure: str,
        target: float,
        *,
        qsmo: str | None = None,
        actor: str,
        reason: str,
        person: Person | None = None,
    ) -> Awaitable[FrameworkChanged]: ...

    def set_measure_weight(
        self, measure: str, weight: float, *, actor: str, reason: str, person: Person | None = None
    ) -> Awaitable[FrameworkChanged]: ...


def checked_value(kind: RevisionKind, measure: Measure, value: float) -> float:
    """``value`` if it can be the measure's new target or weight; RevisionRejected naming
    ``proposedValue`` otherwise (not finite, ≤ 0, or a target outside the value range)."""
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise RevisionRejected("proposedValue", f"must be a finite number > 0, got {value!r}")
    if kind is RevisionKind.TARGET and not measure.value_range.contains(value):
        raise RevisionRejected(
            "proposedValue",
            f"{format_number(value)} is outside the value range of '{measure.id}' "
            f"({measure.value_range.describe()} {measure.unit})",
        )
    return value


def checked_review_id(review_id: str | None) -> str | None:
    """``review_id`` if it has a review id's shape; RevisionRejected naming ``reviewId``."""
    if review_id is not None and not REVIEW_ID.fullmatch(review_id):
        shown = review_id if len(review_id) <= 80 else review_id[:80] + "…"
        raise RevisionRejected(
            "reviewId",
            f"{shown!r} is not a review id; review ids look like 'FY2025-Q2|cybersecurity' "
            "or 'FY2025-Q2|government'",
        )
    return review_id


def _text(value: str, field: str, limit: int) -> str:
    try:
        return clean_text(value, field, limit)
    except ValueError as error:
        raise RevisionRejected(field, str(error)) from None


class RevisionProposals:
    """Propose, decide and list revision proposals (permissions are the caller's job)."""

    def __init__(
        self,
        store: RevisionStore,
        framework: FrameworkWrites,
        activity: ActivityLog,
        clock: Clock,
        new_id: Callable[[], str] = lambda: f"rev_{uuid.uuid4().hex}",
    ) -> None:
        self.store = store
        self._framework = framework
        self.activity = activity
        self._clock = clock
        self._new_id = new_id

    async def propose(
        self,
        *,
        qsmo: str | None,
        measure: Measure,
        kind: RevisionKind,
        proposed_value: float,
        rationale: str,
        evidence: str | None,
        review_id: str | None,
        by: str,
        by_person: Person | None = None,
    ) -> RevisionProposal:
        overrides = await self._framework.overrides()
        current = (
            overrides.target_for(measure, qsmo)
            if kind is RevisionKind.TARGET
            else overrides.measure_weight(measure)
        )
        proposal = RevisionProposal(
            id=self._new_id(),
            qsmo=qsmo,
            measure=measure.id,
            kind=kind,
            proposed_value=checked_value(kind, measure, proposed_value),
            current_value=current,
            rationale=_text(rationale, "rationale", MAX_RATIONALE),
            evidence=None if evidence is None else _text(evidence, "evidence", MAX_EVIDENCE),
            review_id=checked_review_id(review_id),
            proposed_at=self._clock(),
            proposed_by=by,
            proposed_by_person=by_person,
        )
        await self.store.insert(proposal)
        await self._record(proposal, "revision.proposed", proposal.proposed_at, by, by_person)
        return proposal

    async def decide(
        self,
        proposal_id: str,
        *,
        accept: bool,
        note: str,
        by: str,
        by_person: Person | None = None,
    ) -> RevisionProposal:
        current = await self.store.get(proposal_id)
        if current is None:
            raise RevisionNotFoundError(f"no revision proposal with id '{proposal_id}'")
        if current.status is not RevisionStatus.PROPOSED:
            raise RevisionRejected(
                "id", f"revision proposal '{proposal_id}' was already {current.status.value}"
            )
        now = self._clock()
        decided = current.model_copy(
            update={
                "status": RevisionStatus.ACCEPTED if accept else RevisionStatus.DECLINED,
                "decided_at": now,
                "decided_by": by,
                "decided_by_person": by_person,
                "decision_note": _text(note, "note", MAX_NOTE),
                "revision": current.revision + 1,
            }
        )
        if not await self.store.replace(decided, current.revision):
            raise RevisionRejected("id", f"revision proposal '{proposal_id}' was just decided")
        if accept:
            decided = await self._apply(current, decided, by, by_person)
        await self._record(decided, "revision.decided", now, by, by_person)
        return decided

    async def _apply(
        self,
        proposed: RevisionProposal,
        decided: RevisionProposal,
        by: str,
        by_person: Person | None,
    ) -> RevisionProposal:
        reason = f"revision {proposed.id}: {proposed.rationale}"
        try:
            if proposed.kind is RevisionKind.TARGET:
                change = await self._framework.set_target(
                    proposed.measure,
                    proposed.proposed_value,
                    qsmo=proposed.qsmo,
                    actor=by,
                    reason=reason,
                    person=by_person,
                )
            else:
                change = await self._framework.set_measure_weight(
                    proposed.measure,
                    proposed.proposed_value,
                    actor=by,
                    reason=reason,
                    person=by_person,
                )
        except Exception:
            # Not applied: the proposal is open again (undo the claim).
            await self.store.replace(
                proposed.model_copy(update={"revision": decided.revision + 1}), decided.revision
            )
            raise
        applied = decided.model_copy(
            update={"framework_change_id": change.change_id, "revision": decided.revision + 1}
        )
        await self.store.replace(applied, decided.revision)
        return applied

    async def _record(
        self,
        proposal: RevisionProposal,
        action: str,
        at: datetime,
        by: str,
        by_person: Person | None,
    ) -> None:
        value = format_number(proposal.proposed_value)
        scope = proposal.qsmo or "every QSMO"
        kind = "target" if proposal.kind is RevisionKind.TARGET else "weight"
        summary = f"{proposal.measure} {kind} → {value} ({scope})"
        entry_id = f"{action}:{proposal.id}"
        if action == "revision.decided":  # recorded as revision.accepted / revision.declined
            action = f"revision.{proposal.status.value.lower()}"
            summary = f"{proposal.status.value.lower()}: {summary}"
        details = {
            "measure": proposal.measure,
            "kind": proposal.kind.value,
            "proposed_value": value,
            "current_value": format_number(proposal.current_value),
            "status": proposal.status.value,
        }
        if proposal.framework_change_id is not None:
            details["framework_change_id"] = proposal.framework_change_id
        if proposal.review_id is not None:
            details["review_id"] = proposal.review_id
        await self.activity.record(
            ActivityEntry(
                id=entry_id,
                at=at,
                actor=by,
                person=by_person,
                action=action,
                qsmo=proposal.qsmo,
                subject=proposal.id,
                summary=summary,
                details=details,
            )
        )
