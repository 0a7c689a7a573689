"""The tiers below the QSMO as GraphQL types: providers and customer agencies (rev. 2).

``Provider`` is a registry entry (the catalog's providers with admins' changes applied,
``GatewayContext.providers``); ``Agency`` a customer agency (the catalog's CFO Act agencies
and those seen in events). Queries and mutations that return them live beside the other
queries and mutations; these are only the types.
"""

from datetime import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id
from shared.domain import providers as model
from shared.domain.framework_changes import FrameworkState


@strawberry.enum(
    description="Whether a provider is a federal shared service provider or an industry one."
)
class ProviderKind(Enum):
    FEDERAL = "federal"
    INDUSTRY = "industry"


@strawberry.type(
    description="A provider's service level agreement target for one measure, set by an "
    "admin (`setSlaTarget`): it wins over the QSMO's target for that provider's slice."
)
class SlaTarget:
    measure_id: strawberry.ID
    target: float
    set_at: datetime = strawberry.field(description="When it was last set.")
    reason: str = strawberry.field(description="Why, as the admin recorded it.")

    @fields.field(description="The measure the target is for.")
    def measure(self, info: Info) -> Measure:
        framework = info.context.runtime.catalog.framework()
        return Measure.from_model(framework, framework.measure(self.measure_id))


def sla_targets_of(provider_id: str, state: FrameworkState) -> list[SlaTarget]:
    """A provider's SLA targets in force (the last one set per measure), by measure id."""
    latest: dict[str, SlaTarget] = {}
    for recorded in state.changes:
        change = recorded.change
        if change.kind != "sla_target" or change.provider != provider_id:
            continue
        if change.measure is None or change.value is None:
            continue
        latest[change.measure] = SlaTarget(
            measure_id=strawberry.ID(change.measure),
            target=change.value,
            set_at=change.changed_at,
            reason=change.reason,
        )
    return [latest[m] for m in sorted(latest)]


@strawberry.type(
    description="A shared service provider offered on one or more QSMOs' marketplaces "
    "(FRAMEWORK.md rev. 2, 'Tiers below the QSMO')."
)
class Provider:
    id: strawberry.ID
    name: str
    kind: ProviderKind
    qsmo_ids: list[strawberry.ID] = strawberry.field(
        description="The ids of the QSMOs whose marketplaces offer this provider."
    )
    services: list[str] = strawberry.field(description="The services it offers.")
    parent_agency: str | None = strawberry.field(
        description="The agency a federal provider belongs to (an Agency id), if any."
    )
    retired_at: datetime | None = strawberry.field(
        description="When an admin retired it: it keeps its history and accepts no new events."
    )
    added_by_admin: bool = strawberry.field(
        description="Added at run time by an admin (not in the shipped catalog)."
    )

    @fields.field(description="True once an admin retired the provider.")
    def retired(self) -> bool:
        return self.retired_at is not None

    @fields.field(description="The QSMOs whose marketplaces offer this provider.")
    async def qsmos(self, info: Info) -> list[Qsmo]:
        found = [await qsmo_by_id(info, q) for q in self.qsmo_ids]
        return [q for q in found if q is not None]

    @fields.field(description="Its SLA targets in force (admins set them), by measure id.")
    async def sla_targets(self, info: Info) -> list[SlaTarget]:
        return sla_targets_of(self.id, await info.context.loaders.framework_state())

    @classmethod
    def from_model(cls, provider: model.Provider, added: bool = False) -> "Provider":
        return cls(
            id=strawberry.ID(provider.id),
            name=provider.name,
            kind=ProviderKind(provider.kind.value),
            qsmo_ids=[strawberry.ID(q) for q in provider.qsmos],
            services=list(provider.services),
            parent_agency=provider.parent_agency,
            retired_at=provider.retired_at,
            added_by_admin=added,
        )


@strawberry.type(
    description="A customer agency: one of the CFO Act agencies in the catalog, or an agency "
    "only seen in events (then its name is its id)."
)
class Agency:
    id: strawberry.ID
    name: str
    in_catalog: bool = strawberry.field(
        description="True for the catalog's CFO Act agencies; false for one only seen in events."
    )

    @classmethod
    def from_model(cls, agency: model.Agency, in_catalog: bool) -> "Agency":
        return cls(id=strawberry.ID(agency.id), name=agency.name, in_catalog=in_catalog)


async def provider_by_id(info: Info, provider_id: str | None) -> Provider | None:
    """The Provider type for an id (None for None or an unknown id)."""
    if provider_id is None:
        return None
    provider = (await info.context.providers()).get(provider_id)
    if provider is None:
        return None
    catalog_ids = {p.id for p in info.context.runtime.catalog.providers}
    return Provider.from_model(provider, added=provider.id not in catalog_ids)
