"""Queries of the provider registry: the shared service providers below each QSMO (rev. 2).

Any key reads them. The registry is the catalog's providers with admins' additions, updates
and retirements applied (``GatewayContext.providers``), so a change is visible to the next
read.
"""

import strawberry

from gateway.context import Info
from gateway.errors import NotFoundError
from gateway.schema import fields
from gateway.schema.provider_types import Provider, provider_by_id


@strawberry.type
class ProviderQueries:
    @fields.field(
        description="The shared service providers, by id: those offered on `qsmo`'s "
        "marketplace (omitted: every QSMO's); `includeRetired: false` leaves retired ones out."
    )
    async def providers(
        self, info: Info, qsmo: strawberry.ID | None = None, include_retired: bool = True
    ) -> list[Provider]:
        context = info.context
        await context.known_qsmo(qsmo)
        catalog_ids = {p.id for p in context.runtime.catalog.providers}
        registry = await context.providers()
        return [
            Provider.from_model(p, added=p.id not in catalog_ids)
            for p in registry.all(qsmo=qsmo, include_retired=include_retired)
        ]

    @fields.field(
        description="One provider, retired ones included; NOT_FOUND (with a did-you-mean) for "
        "an unknown id."
    )
    async def provider(self, info: Info, id: strawberry.ID) -> Provider | None:
        found = await provider_by_id(info, id)
        if found is None:
            close = (await info.context.providers()).did_you_mean(id)
            hint = f"; did you mean '{close}'?" if close else " (the providers query lists them)"
            raise NotFoundError(f"unknown provider '{id}'{hint}", field="id", id=id)
        return found
