"""The annual data call's handlers: submit (GraphQL or workbook) and review.

Load → the pure core (``shared.domain.data_call``: validation; ``data_call_versions``: the
lifecycle) → compare-and-set save. Both ways in — ``submitDataCall`` and the workbook upload
(``gateway.provider_tools.data_call_http``) — call ``submit``, so one validation and one
permission check hold for both: FILL_PROVIDER_TOOLS for the provider to submit,
REVIEW_PROVIDER_SUBMISSIONS (an admin, or the publisher of a QSMO that offers the provider)
to review. Refusals are exceptions the callers turn into their own errors:
``PermissionDenied``, ``UnknownProviderError``, ``UnknownDataCallError``, ``DataCallInvalid`` (every
problem), ``DataCallRefused`` (the lifecycle) and ``DataCallConflictError`` (lost a race thrice).
"""

from collections.abc import Callable
from datetime import datetime

from gateway.ports import Clock
from gateway.provider_tools.data_call_store import DataCallStore
from shared import authorization
from shared.api_keys import Principal
from shared.authorization import Permission
from shared.catalog.data_call import load_data_call_schema
from shared.domain.data_call import DataCallSchema
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

ATTEMPTS = 3
"""Compare-and-set rounds before a change gives up (each reloads and decides again)."""


class UnknownProviderError(LookupError):
    """No provider has this id; the message suggests the closest one."""


class UnknownDataCallError(LookupError):
    """No data call has this id."""


class DataCallConflictError(RuntimeError):
    """Other changes kept winning the compare-and-set; retrying is safe."""


def known_provider(registry: ProviderRegistry, provider_id: str) -> Provider:
    """The provider named ``provider_id``; ``UnknownProviderError`` with a did-you-mean."""
    found = registry.get(provider_id)
    if found is not None:
        return found
    close = registry.did_you_mean(provider_id)
    hint = f"did you mean '{close}'?" if close else "the providers query lists them"
    raise UnknownProviderError(f"unknown provider '{provider_id}'; {hint}")


class DataCalls:
    """The data-call tool of one gateway: its store, the clock and the schema versions."""

    def __init__(
        self,
        store: DataCallStore,
        clock: Clock,
        schema_of: Callable[[], DataCallSchema] = load_data_call_schema,
    ) -> None:
        self.store = store
        self._clock = clock
        self._schema_of = schema_of

    @property
    def schema(self) -> DataCallSchema:
        """The schema every data call takes now."""
        return self._schema_of()

    def now(self) -> datetime:
        """The clock to the millisecond (what the store keeps)."""
        moment = self._clock()
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def check_fiscal_year(self, fiscal_year: int) -> None:
        """``DataCallRefused`` for a fiscal year no data call can be for."""
        refusal = fiscal_year_refusal(fiscal_year, self._clock())
        if refusal is not None:
            raise DataCallRefused(RefusalCode.NO_SUCH_FISCAL_YEAR, refusal, field="fiscalYear")

    def require_fill(self, principal: Principal, provider: Provider) -> None:
        authorization.require_for_provider(
            principal,
            Permission.FILL_PROVIDER_TOOLS,
            provider.id,
            provider.qsmos,
            action="submit a data call",
        )

    async def submit(
        self,
        principal: Principal,
        provider: Provider,
        fiscal_year: int,
        sections: object,
        *,
        reason: str | None,
        source: SubmissionSource,
    ) -> DataCall:
        """Store a new version of ``provider``'s data call (all or nothing)."""
        self.require_fill(principal, provider)
        self.check_fiscal_year(fiscal_year)
        if provider.retired:
            raise DataCallRefused(
                RefusalCode.PROVIDER_RETIRED,
                f"provider '{provider.id}' is retired; a retired provider submits no data call",
                field="provider",
            )
        schema = self.schema
        valid = require_valid(schema, fiscal_year, sections)
        call_id = data_call_id(provider.id, fiscal_year)

        def change(call: DataCall | None) -> DataCall:
            return submit(
                call,
                provider=provider.id,
                fiscal_year=fiscal_year,
                sections=valid,
                template_version=schema.version,
                by=principal.key_id,
                at=self.now(),
                reason=reason,
                source=source,
            )

        return await self._change(call_id, change)

    async def review(
        self,
        principal: Principal,
        registry: ProviderRegistry,
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
        provider = known_provider(registry, call.provider)
        authorization.require_for_provider(
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
                at=self.now(),
                version=version,
            )

        return await self._change(call_id, change)

    async def _change(
        self, call_id: str, change: Callable[[DataCall | None], DataCall]
    ) -> DataCall:
        for _ in range(ATTEMPTS):
            current = await self.store.get(call_id)
            updated = change(current)
            expected = None if current is None else current.revision
            if await self.store.save(updated, expected):
                return updated
        raise DataCallConflictError(
            f"data call '{call_id}' kept changing while this change was made; retry"
        )
