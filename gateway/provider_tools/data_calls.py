"""The annual data call's handlers: submit (GraphQL or workbook), review, and the reads.

Load → the pure core (``shared.domain.data_call_validation``: one validation;
``shared.domain.data_call_versions``: the lifecycle) → compare-and-set save. Both ways in —
``submitDataCall`` and the workbook upload (``gateway.provider_tools.data_call_http``) — call
``submit``, so one validation and one permission check hold for both: FILL_PROVIDER_TOOLS for
the provider to submit, REVIEW_PROVIDER_SUBMISSIONS (an admin, or the publisher of a QSMO
that offers the provider) to review. Refusals are exceptions each caller turns into its own
errors: ``PermissionDenied``, ``UnknownProviderError``, ``UnknownDataCallError``,
``DataCallInvalid`` (every problem), ``DataCallRefused`` (the lifecycle) and
``DataCallConflictError`` (lost the compare-and-set ``ATTEMPTS`` times; retry).
"""

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from gateway.provider_tools.data_call_store import DataCallStore
from shared.api_keys import Principal
from shared.authorization import Permission, allows_for_provider, require_for_provider
from shared.catalog.data_call import load_data_call_schema
from shared.domain.data_call import CostFigures, DataCallSchema, cost_figures
from shared.domain.data_call_validation import require_valid
from shared.domain.data_call_versions import (
    DataCall,
    DataCallRefused,
    Decision,
    RefusalCode,
    SubmissionSource,
    data_call_id,
    fiscal_year_refusal,
    review,
    submit,
)
from shared.domain.providers import Provider, ProviderRegistry
from shared.identity.people import as_recorded

TOOL = "data-call"
ATTEMPTS = 3
"""Compare-and-set rounds before a change gives up (each reloads and decides again)."""


class UnknownProviderError(LookupError):
    """No provider has this id; the message suggests the closest one."""


class UnknownDataCallError(LookupError):
    """No data call has this id."""


class DataCallConflictError(RuntimeError):
    """Other changes kept winning the compare-and-set; retrying is safe."""


class DataCalls:
    """The data-call tool as the GraphQL resolvers and the workbook endpoint use it."""

    def __init__(
        self,
        store: DataCallStore,
        *,
        providers: Callable[[], Awaitable[ProviderRegistry]],
        clock: Callable[[], datetime],
        schema_of: Callable[[], DataCallSchema] = load_data_call_schema,
    ) -> None:
        self.store = store
        self._providers = providers
        self._clock = clock
        self._schema_of = schema_of

    @property
    def schema(self) -> DataCallSchema:
        """The schema (and template) version every data call takes now."""
        return self._schema_of()

    async def provider(self, provider_id: str) -> Provider:
        """The registry's provider; ``UnknownProviderError`` with a did-you-mean."""
        registry = await self._providers()
        found = registry.get(provider_id)
        if found is not None:
            return found
        close = registry.did_you_mean(provider_id)
        hint = f"did you mean '{close}'?" if close else "the providers query lists them"
        raise UnknownProviderError(f"unknown provider '{provider_id}'; {hint}")

    async def fillable(self, principal: Principal, provider_id: str) -> Provider:
        """The provider, if ``principal`` may submit its data call (``PermissionDenied``)."""
        provider = await self.provider(provider_id)
        require_for_provider(
            principal,
            Permission.FILL_PROVIDER_TOOLS,
            provider.id,
            provider.qsmos,
            action="submit a data call",
        )
        return provider

    def may_see_work(self, principal: Principal, provider: Provider) -> bool:
        """Every version with its sections and review: for who fills in or reviews this
        provider's tools (others see accepted versions only)."""
        return any(
            allows_for_provider(principal, p, provider.id, provider.qsmos)
            for p in (Permission.FILL_PROVIDER_TOOLS, Permission.REVIEW_PROVIDER_SUBMISSIONS)
        )

    def check_fiscal_year(self, fiscal_year: int) -> None:
        """``DataCallRefused`` for a fiscal year no data call can be for."""
        refusal = fiscal_year_refusal(fiscal_year, self._clock())
        if refusal is not None:
            raise DataCallRefused(RefusalCode.NO_SUCH_FISCAL_YEAR, refusal, field="fiscalYear")

    async def get(self, provider_id: str, fiscal_year: int) -> DataCall | None:
        return await self.store.get(data_call_id(provider_id, fiscal_year))

    async def submit(
        self,
        principal: Principal,
        provider_id: str,
        fiscal_year: int,
        sections: object,
        *,
        reason: str | None,
        source: SubmissionSource,
    ) -> DataCall:
        """Store a new version of the provider's data call (all or nothing)."""
        provider = await self.fillable(principal, provider_id)
        self.check_fiscal_year(fiscal_year)
        if provider.retired:
            raise DataCallRefused(
                RefusalCode.PROVIDER_RETIRED,
                f"provider '{provider.id}' is retired; a retired provider submits no data call",
                field="provider",
            )
        schema = self.schema
        valid = require_valid(schema, fiscal_year, sections)

        def change(call: DataCall | None) -> DataCall:
            return submit(
                call,
                provider=provider.id,
                fiscal_year=fiscal_year,
                sections=valid,
                template_version=schema.version,
                by=principal.key_id,
                person=as_recorded(principal.person),
                at=self._now(),
                reason=reason,
                source=source,
            )

        return await self._change(data_call_id(provider.id, fiscal_year), change)

    async def review(
        self,
        principal: Principal,
        call_id: str,
        decision: Decision,
        *,
        comments: str | None,
        version: int | None,
    ) -> DataCall:
        """Accept or return the version under review of data call ``call_id``."""
        call = await self.store.get(call_id)
        if call is None:
            raise UnknownDataCallError(
                f"no data call '{call_id}'; ids look like 'doi-ibc|FY2026' "
                "(dataCallsToReview lists those waiting)"
            )
        provider = await self.provider(call.provider)
        require_for_provider(
            principal,
            Permission.REVIEW_PROVIDER_SUBMISSIONS,
            provider.id,
            provider.qsmos,
            action="review a data call",
        )

        def change(current: DataCall | None) -> DataCall:
            assert current is not None  # a data call is never deleted
            return review(
                current,
                decision=decision,
                comments=comments,
                by=principal.key_id,
                person=as_recorded(principal.person),
                at=self._now(),
                version=version,
            )

        return await self._change(call_id, change)

    async def to_review(self, principal: Principal, qsmo: str | None) -> list[DataCall]:
        """Submitted versions ``principal`` may review (``qsmo``: its providers only),
        oldest submission first."""
        registry = await self._providers()
        providers = [
            p
            for p in registry.all(qsmo=qsmo)
            if allows_for_provider(principal, Permission.REVIEW_PROVIDER_SUBMISSIONS, p.id, p.qsmos)
        ]
        return await self.store.under_review({p.id for p in providers})

    async def status(self, qsmo: str, fiscal_year: int) -> list[tuple[Provider, DataCall | None]]:
        """Every provider ``qsmo`` offers (retired ones only with a data call) and its data
        call of the fiscal year, by provider id."""
        providers = (await self._providers()).all(qsmo=qsmo)
        calls = await self.store.of_fiscal_year(fiscal_year, {p.id for p in providers})
        by_provider = {c.provider: c for c in calls}
        return [
            (p, by_provider.get(p.id)) for p in providers if not p.retired or p.id in by_provider
        ]

    async def accepted_costs(
        self, fiscal_year: int, providers: Collection[str]
    ) -> dict[str, CostFigures]:
        """Cost figures of each provider's newest ACCEPTED version of the fiscal year (a
        provider without one is left out)."""
        calls = await self.store.of_fiscal_year(fiscal_year, providers)
        return {
            c.provider: cost_figures(accepted.sections, fiscal_year)
            for c in calls
            if (accepted := c.accepted) is not None
        }

    def _now(self) -> datetime:
        """The clock to the millisecond (what the store keeps)."""
        moment = self._clock()
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    async def _change(
        self, call_id: str, change: Callable[[DataCall | None], DataCall]
    ) -> DataCall:
        for _ in range(ATTEMPTS):
            current = await self.store.get(call_id)
            updated = change(current)
            if await self.store.save(updated, None if current is None else current.revision):
                return updated
        raise DataCallConflictError(
            f"data call '{call_id}' kept changing while this change was made; read it again "
            "and retry"
        )
