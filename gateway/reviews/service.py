"""The review steps people take: create, make ready, record the meeting, render again.

Each step: check the caller (``shared.authorization``'s ``MANAGE_REVIEWS``: admin any review,
a publisher its QSMO's; the government-wide review is an admin's) before anything is read or
written, load, apply the pure rule (``shared.domain.reviews``), save with a compare-and-set
on ``revision`` (a race with the packet worker is applied again on the new state), then
record the step in the activity log. Rendering the packet is never done here: a step only
asks for it (``packet.status`` PENDING) and ``gateway.reviews.worker`` renders it.

Refusals are exceptions the GraphQL and HTTP layers translate: ``PermissionDenied``
(FORBIDDEN), ``ReviewRuleBroken`` (BAD_USER_INPUT naming the argument),
``ReviewNotFoundError`` (NOT_FOUND), ``ReviewConflictError`` (CONFLICT).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from gateway.pagination import Position
from gateway.ports import Clock
from gateway.reviews.activity_log import ActivityEntry, ActivityLog
from gateway.reviews.store import ReviewExistsError, ReviewFilter, ReviewStore
from shared.api_keys import Principal
from shared.authorization import Permission, require, require_some
from shared.domain import reviews as rules
from shared.domain.reviews import Review, ReviewDecision, ReviewRuleBroken, review_id
from shared.identity.people import as_recorded

ATTEMPTS = 3
"""How often a step is applied again after losing a race with the packet worker."""
QUARTERS = (1, 2, 3, 4)
MAX_STAKEHOLDER_LISTS = 50
MAX_LIST_ID = 64


class ReviewNotFoundError(Exception):
    def __init__(self, review: str) -> None:
        super().__init__(f"no review with id '{review}'")


class ReviewConflictError(Exception):
    """A second review for the same scope and quarter, or a step that kept losing races."""


@dataclass(frozen=True)
class NewReview:
    """The arguments of ``createReview``, as given."""

    fiscal_year: int
    quarter: int
    qsmo: str | None
    meeting_date: date
    participants: Sequence[str]
    title: str | None = None
    cut_off: datetime | None = None
    stakeholder_lists: Sequence[str] = ()


ScopeName = Callable[[str | None], Awaitable[str | None]]
"""The display name of a QSMO (None for the government-wide scope)."""


class ReviewService:
    def __init__(self, store: ReviewStore, activity: ActivityLog, *, clock: Clock) -> None:
        self.store = store
        self.activity = activity
        self._clock = clock

    async def get(self, review: str) -> Review | None:
        return await self.store.get(review)

    async def page(self, where: ReviewFilter, size: int, after: Position | None) -> list[Review]:
        return await self.store.page(where, size, after)

    async def previous(self, review: Review) -> Review | None:
        if review.previous_review_id is None:
            return None
        return await self.store.get(review.previous_review_id)

    async def create(self, principal: Principal, asked: NewReview, scope_name: ScopeName) -> Review:
        """A DRAFT review with its preview packet asked for (see ``creation_cut_off``)."""
        require(principal, Permission.MANAGE_REVIEWS, asked.qsmo, action="create reviews")
        if asked.quarter not in QUARTERS:
            raise ReviewRuleBroken("quarter", f"a fiscal quarter is 1 to 4, got {asked.quarter}")
        now = self._clock()
        cut_off = rules.creation_cut_off(asked.fiscal_year, asked.quarter, asked.cut_off, now)
        title = rules.clean_text(asked.title, "title", rules.MAX_TITLE)
        if title is None:
            name = await scope_name(asked.qsmo)
            title = rules.default_title(asked.fiscal_year, asked.quarter, name)
        lists = _stakeholder_lists(asked.stakeholder_lists)
        identity = review_id(asked.qsmo, asked.fiscal_year, asked.quarter)
        if await self.store.get(identity) is not None:
            raise _exists(identity)
        previous = await self.store.previous(asked.qsmo, cut_off)
        review = rules.new_review(
            qsmo=asked.qsmo,
            fiscal_year=asked.fiscal_year,
            quarter=asked.quarter,
            title=title,
            meeting_date=asked.meeting_date,
            participants=rules.clean_participants(list(asked.participants)),
            stakeholder_lists=lists,
            cut_off=cut_off,
            previous_review_id=None if previous is None else previous.id,
            now=now,
            by=principal.key_id,
            person=as_recorded(principal.person),
        )
        try:
            await self.store.insert(review)
        except ReviewExistsError:
            raise _exists(identity) from None
        await self._record(review, "review.created", f"review.created:{review.id}", principal)
        return review

    async def make_ready(
        self, principal: Principal, review: str, cut_off: datetime | None
    ) -> Review:
        """The DRAFT review READY (see ``ready_cut_off``), its frozen packet asked for."""

        async def step(current: Review, now: datetime) -> Review:
            frozen_at = rules.ready_cut_off(current, cut_off, now)
            previous = await self.store.previous(current.qsmo, frozen_at, excluding=current.id)
            previous_id = None if previous is None else previous.id
            return rules.made_ready(
                current,
                frozen_at,
                previous_id,
                now,
                principal.key_id,
                as_recorded(principal.person),
            )

        ready = await self._apply(principal, review, "make reviews ready", step)
        await self._record(ready, "review.ready", f"review.ready:{ready.id}", principal)
        return ready

    async def record_meeting(
        self,
        principal: Principal,
        review: str,
        decisions: Sequence[ReviewDecision],
        notes: str | None,
    ) -> Review:
        """The READY review HELD with its decisions and notes (a HELD one amended)."""
        cleaned = rules.clean_text(notes, "notes", rules.MAX_TEXT)

        async def step(current: Review, now: datetime) -> Review:
            return rules.held(
                current,
                tuple(decisions),
                cleaned,
                now,
                principal.key_id,
                as_recorded(principal.person),
            )

        held = await self._apply(principal, review, "record review meetings", step)
        entry = f"review.held:{held.id}:{held.revision}"
        await self._record(held, "review.held", entry, principal)
        return held

    async def rerender(self, principal: Principal, review: str) -> Review:
        """Ask for the packet again: a DRAFT's preview, or a FAILED packet."""

        async def step(current: Review, now: datetime) -> Review:
            rules.rerender_allowed(current)
            return rules.packet_requested(current, now)

        return await self._apply(principal, review, "render review packets", step)

    async def _apply(
        self,
        principal: Principal,
        review: str,
        action: str,
        step: Callable[[Review, datetime], Awaitable[Review]],
    ) -> Review:
        require_some(principal, Permission.MANAGE_REVIEWS, action=action)
        for _ in range(ATTEMPTS):
            current = await self.store.get(review)
            if current is None:
                raise ReviewNotFoundError(review)
            require(principal, Permission.MANAGE_REVIEWS, current.qsmo, action=action)
            changed = await step(current, self._clock())
            if await self.store.replace(changed, current.revision):
                return changed
        raise ReviewConflictError(
            f"review '{review}' was changed by someone else just now; read it and retry"
        )

    async def _record(self, review: Review, action: str, entry_id: str, by: Principal) -> None:
        summary = {
            "review.created": f"{review.title}: created (DRAFT)",
            "review.ready": f"{review.title}: READY at cut-off {review.cut_off.isoformat()}",
            "review.held": f"{review.title}: meeting recorded, {len(review.decisions)} decisions",
        }[action]
        await self.activity.record(
            ActivityEntry(
                id=entry_id,
                at=review.updated_at,
                actor=by.key_id,
                person=as_recorded(by.person),
                action=action,
                qsmo=review.qsmo,
                subject=review.id,
                summary=summary,
                details={"state": review.state.value, "cutOff": review.cut_off.isoformat()},
            )
        )


def _stakeholder_lists(given: Sequence[str]) -> tuple[str, ...]:
    """Distinct list ids, in order; ``ReviewRuleBroken`` naming the bad one."""
    if len(given) > MAX_STAKEHOLDER_LISTS:
        raise ReviewRuleBroken(
            "stakeholderListIds",
            f"at most {MAX_STAKEHOLDER_LISTS} stakeholder lists, got {len(given)}",
        )
    for index, list_id in enumerate(given):
        if not list_id.strip() or len(list_id) > MAX_LIST_ID:
            raise ReviewRuleBroken(
                f"stakeholderListIds[{index}]",
                f"a stakeholder list id has 1 to {MAX_LIST_ID} characters, got {len(list_id)}",
            )
    return tuple(dict.fromkeys(s.strip() for s in given))


def _exists(identity: str) -> ReviewConflictError:
    return ReviewConflictError(
        f"review '{identity}' already exists: one review per scope and quarter; open it "
        "(review(id:)) instead of creating another"
    )
