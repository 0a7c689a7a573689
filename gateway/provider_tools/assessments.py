"""The self-assessment's handlers: load → pure step (``shared.domain.self_assessment``) →
compare-and-set save → flush the outbox.

Who may do what is the policy's (``shared.authorization``): a provider's own key or an admin
fills in (``FILL_PROVIDER_TOOLS``); an admin or the publisher of a QSMO whose marketplace
offers the provider reviews (``REVIEW_PROVIDER_SUBMISSIONS``). Refusals raise
``PermissionDenied`` or ``SelfAssessmentRefusedError``; nothing is stored then.

An acceptance owes one ``best-practices-self-assessment`` event for the provider's slice of
its **lead QSMO** (the first QSMO in ``provider.qsmos``): written with the acceptance as
``pending_events`` and published by the outbox, so a crash anywhere still counts it once.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from gateway.provider_tools.assessment_store import AssessmentConflictError, AssessmentStore
from gateway.provider_tools.events import ToolEventOutbox, owed_event
from shared.api_keys import Principal
from shared.authorization import Permission, allows_for_provider, require_for_provider
from shared.domain import self_assessment as domain
from shared.domain.catalog import Catalog
from shared.domain.providers import Provider, ProviderRegistry
from shared.domain.self_assessment import (
    Decision,
    ElementCatalog,
    Problem,
    Rating,
    SelfAssessment,
    SelfAssessmentRefusedError,
    Status,
)
from shared.identity.people import as_recorded

TOOL = "self-assessment"
ATTEMPTS = 3


class SelfAssessments:
    """The self-assessment tool as the GraphQL resolvers use it."""

    def __init__(
        self,
        store: AssessmentStore,
        outbox: ToolEventOutbox,
        *,
        catalog: Catalog,
        elements: ElementCatalog,
        providers: Callable[[], Awaitable[ProviderRegistry]],
        qsmo_ids: Callable[[], Awaitable[Sequence[str]]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.elements = elements
        self._outbox = outbox
        self._catalog = catalog
        self._providers = providers
        self._qsmo_ids = qsmo_ids
        self._clock = clock

    async def provider(self, provider_id: str) -> Provider:
        """The registry's provider; refused (field ``provider``) if unknown."""
        registry = await self._providers()
        found = registry.get(provider_id)
        if found is None:
            close = registry.did_you_mean(provider_id)
            hint = f" did you mean '{close}'?" if close else ""
            message = f"provider '{provider_id}' is not a known provider;{hint} see `providers`."
            raise SelfAssessmentRefusedError([Problem("provider", "unknown_provider", message)])
        return found

    async def get(self, provider_id: str, fiscal_year: int) -> SelfAssessment | None:
        return await self.store.get(domain.assessment_id(provider_id, fiscal_year))

    def may_see_work(self, principal: Principal, provider: Provider) -> bool:
        """Drafts, evidence and history: for who fills in or reviews this provider's tools."""
        return any(
            allows_for_provider(principal, p, provider.id, provider.qsmos)
            for p in (Permission.FILL_PROVIDER_TOOLS, Permission.REVIEW_PROVIDER_SUBMISSIONS)
        )

    async def save_draft(
        self, principal: Principal, provider_id: str, fiscal_year: int, ratings: Sequence[Rating]
    ) -> SelfAssessment:
        provider = await self._fillable(principal, provider_id, "save a self-assessment draft")
        return await self._step(
            domain.assessment_id(provider.id, fiscal_year),
            lambda current, at: domain.save_draft(
                current,
                self.elements,
                provider=provider.id,
                fiscal_year=fiscal_year,
                ratings=ratings,
                by=principal.key_id,
                at=at,
                person=as_recorded(principal.person),
            ),
        )

    async def submit(
        self,
        principal: Principal,
        provider_id: str,
        fiscal_year: int,
        ratings: Sequence[Rating] | None,
    ) -> SelfAssessment:
        provider = await self._fillable(principal, provider_id, "submit a self-assessment")
        return await self._step(
            domain.assessment_id(provider.id, fiscal_year),
            lambda current, at: domain.submit(
                current,
                self.elements,
                provider=provider.id,
                fiscal_year=fiscal_year,
                ratings=ratings,
                by=principal.key_id,
                at=at,
                person=as_recorded(principal.person),
            ),
        )

    async def review(
        self, principal: Principal, assessment_id: str, decision: Decision, comments: str | None
    ) -> SelfAssessment:
        current = await self.store.get(assessment_id)
        if current is None:
            message = (
                f"no self-assessment '{assessment_id}'; ids read '<provider>|FY<year>' "
                "(see selfAssessmentsToReview)."
            )
            raise SelfAssessmentRefusedError([Problem("id", "not_found", message)])
        provider = await self.provider(current.provider)
        require_for_provider(
            principal,
            Permission.REVIEW_PROVIDER_SUBMISSIONS,
            provider.id,
            provider.qsmos,
            action="review a self-assessment",
        )
        return await self._step(
            assessment_id,
            lambda state, at: domain.review(
                _existing(state, assessment_id),
                self.elements,
                decision=decision,
                comments=comments,
                by=principal.key_id,
                at=at,
                person=as_recorded(principal.person),
            ),
        )

    async def to_review(self, principal: Principal, qsmo: str | None) -> list[SelfAssessment]:
        """Submitted assessments ``principal`` may review (of ``qsmo``'s providers if given)."""
        registry = await self._providers()
        reviewable = {
            p.id
            for p in registry.all(qsmo=qsmo)
            if allows_for_provider(principal, Permission.REVIEW_PROVIDER_SUBMISSIONS, p.id, p.qsmos)
        }
        return await self.store.with_status(Status.SUBMITTED, reviewable)

    async def comparison(
        self, qsmo: str, fiscal_year: int
    ) -> list[tuple[Provider, SelfAssessment | None]]:
        """Every provider ``qsmo`` offers, with its assessment for the year (or None)."""
        offered = (await self._providers()).all(qsmo=qsmo)
        found = {
            a.provider: a
            for a in await self.store.for_providers([p.id for p in offered], fiscal_year)
        }
        return [(p, found.get(p.id)) for p in offered]

    async def _fillable(self, principal: Principal, provider_id: str, action: str) -> Provider:
        provider = await self.provider(provider_id)
        require_for_provider(
            principal, Permission.FILL_PROVIDER_TOOLS, provider.id, provider.qsmos, action=action
        )
        return provider

    async def _step(
        self,
        assessment_id: str,
        step: Callable[[SelfAssessment | None, datetime], SelfAssessment],
    ) -> SelfAssessment:
        """Apply ``step`` to the stored state and save it (retrying a lost compare-and-set on
        the new state); an acceptance writes its owed event with it, then flushes."""
        for attempt in range(ATTEMPTS):
            current = await self.store.get(assessment_id)
            at = self._clock()
            updated = step(current, at)
            owed = await self._owed(updated, at) if updated.status is Status.ACCEPTED else []
            try:
                await self.store.save(
                    updated,
                    expected_revision=0 if current is None else current.revision,
                    pending_events=owed,
                )
            except AssessmentConflictError:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            if owed:
                await self._outbox.flush(TOOL, assessment_id)
            return updated
        raise AssessmentConflictError(assessment_id)  # pragma: no cover - loop returns or raises

    async def _owed(self, accepted: SelfAssessment, at: datetime) -> list[dict[str, object]]:
        overall = domain.results(self.elements, accepted.ratings).overall
        if overall is None:  # a submission rates every element: cannot happen
            raise RuntimeError(f"accepted assessment {accepted.id} has no overall result")
        provider = await self.provider(accepted.provider)
        event = owed_event(
            self._catalog,
            await self._providers(),
            tool=TOOL,
            doc_id=accepted.id,
            event_id=domain.event_id(accepted.provider, accepted.fiscal_year),
            qsmo=provider.qsmos[0],
            measure=domain.MEASURE,
            value=domain.event_value(overall),
            occurred_at=domain.event_occurred_at(accepted.fiscal_year, at),
            now=at,
            provider=provider.id,
            known_qsmos=await self._qsmo_ids(),
        )
        return [event]


def _existing(state: SelfAssessment | None, assessment_id: str) -> SelfAssessment:
    if state is None:  # deleted between the permission check and the step: nothing deletes
        raise SelfAssessmentRefusedError(
            [Problem("id", "not_found", f"no self-assessment '{assessment_id}'")]
        )
    return state
