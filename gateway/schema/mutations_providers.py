"""Admin mutations of the provider registry and providers' SLA targets (rev. 2).

Audited in the framework log like every framework change (who: the key id; why: ``reason``)
and announced on ``qsmo.framework.v1``; ingest follows the log, so an added provider's events
are accepted, and a retired one's refused, within its refresh delay. Admin keys only.
"""

import strawberry

from gateway.auth import require_admin
from gateway.context import Info
from gateway.schema import fields
from gateway.schema.admin_types import FrameworkChangePayload
from gateway.schema.common import translated_errors
from gateway.schema.mutations_framework import framework_change_payload
from gateway.schema.provider_types import ProviderKind


@strawberry.type
class ProviderMutations:
    @fields.mutation(
        description="Admin: add a shared service provider (a new, stable id, never used "
        "before) offered on the marketplaces of `qsmos` (known QSMOs, at least one)."
    )
    async def add_provider(
        self,
        info: Info,
        id: strawberry.ID,
        name: str,
        kind: ProviderKind,
        qsmos: list[strawberry.ID],
        reason: str,
        services: list[str] = [],  # noqa: B006 - never mutated (copied below)
        parent_agency: str | None = None,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "add providers")
        with translated_errors():
            change = await info.context.runtime.framework.add_provider(
                id,
                name,
                kind.value,
                list(qsmos),
                list(services),
                parent_agency,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: change a provider's name, kind, QSMOs, services or parent agency "
        "(the arguments given; at least one)."
    )
    async def update_provider(
        self,
        info: Info,
        id: strawberry.ID,
        reason: str,
        name: str | None = None,
        kind: ProviderKind | None = None,
        qsmos: list[strawberry.ID] | None = None,
        services: list[str] | None = None,
        parent_agency: str | None = None,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "update providers")
        with translated_errors():
            change = await info.context.runtime.framework.update_provider(
                id,
                name=name,
                kind=None if kind is None else kind.value,
                qsmos=None if qsmos is None else list(qsmos),
                services=services,
                parent_agency=parent_agency,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: retire a provider (once): it keeps its history and accepts no "
        "new events."
    )
    async def retire_provider(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "retire providers")
        with translated_errors():
            change = await info.context.runtime.framework.retire_provider(
                id, actor=principal.key_id, reason=reason, person=principal.person
            )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: set a provider's SLA target for a measure (> 0, inside the "
        "measure's range); it wins over the QSMO's target for that provider's slice. Not for "
        "a retired provider."
    )
    async def set_sla_target(
        self,
        info: Info,
        provider: strawberry.ID,
        measure: strawberry.ID,
        target: float,
        reason: str,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "set SLA targets")
        with translated_errors():
            change = await info.context.runtime.framework.set_sla_target(
                provider,
                measure,
                target,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)
