"""The audit trail of framework changes, the caller, and the API's limits as GraphQL types."""

import datetime

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.enums import FrameworkChangeKind, Role
from gateway.schema.framework_types import Dimension, Measure, Qsmo, qsmo_by_id
from gateway.schema.provider_types import Provider, provider_by_id
from shared.api_keys import Person as PersonModel
from shared.events import FrameworkChanged
from shared.identity.people import person_from_details, without_person


@strawberry.type
class KeyValue:
    key: str
    value: str


@strawberry.type(
    description="A person who signed in with an OpenID Connect provider (single sign-on)."
)
class Person:
    sub: str = strawberry.field(description="The provider's stable id of the person (`sub`).")
    name: str | None = strawberry.field(description="The person's name, as the provider said.")
    issuer: str = strawberry.field(description="The provider (`iss`) that vouched for them.")

    @classmethod
    def from_model(cls, person: PersonModel | None) -> "Person | None":
        if person is None:
            return None
        return cls(sub=person.sub, name=person.name, issuer=person.issuer)


@strawberry.type(description="One audited admin change to the framework.")
class AuditEntry:
    id: strawberry.ID
    seq: int | None = strawberry.field(description="Position in the audit log (1 = first).")
    kind: FrameworkChangeKind
    qsmo_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    dimension_id: strawberry.ID | None
    value: float | None = strawberry.field(
        description="The new target, weight, baseline or SLA target."
    )
    phase: int | None
    details: list[KeyValue]
    actor: str = strawberry.field(
        description="Id of the admin key that made the change (`oidc:<provider>:<sub>` for a "
        "person signed in with a token: see `person`)."
    )
    reason: str
    changed_at: datetime.datetime
    provider_id: strawberry.ID | None = strawberry.field(
        default=None, description="The provider a provider or SLA-target change concerns."
    )
    person: Person | None = strawberry.field(
        default=None,
        description="Made with a sign-in token: the person (sub, name, issuer); null for a key.",
    )

    @classmethod
    def from_model(cls, change: FrameworkChanged) -> "AuditEntry":
        seq = change.details.get("seq")
        return cls(
            id=strawberry.ID(change.change_id),
            seq=int(seq) if seq and seq.isdigit() else None,
            kind=FrameworkChangeKind(change.kind),
            qsmo_id=None if change.qsmo is None else strawberry.ID(change.qsmo),
            measure_id=None if change.measure is None else strawberry.ID(change.measure),
            dimension_id=None if change.dimension is None else strawberry.ID(change.dimension),
            value=change.value,
            phase=change.phase,
            details=[
                KeyValue(key=k, value=v)
                for k, v in sorted(without_person(change.details).items())
                if k != "seq"
            ],
            actor=change.actor,
            reason=change.reason,
            changed_at=change.changed_at,
            provider_id=None if change.provider is None else strawberry.ID(change.provider),
            person=Person.from_model(person_from_details(change.details)),
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)

    @fields.field(description="The provider the change concerns, as it is now.")
    async def provider(self, info: Info) -> Provider | None:
        return await provider_by_id(info, self.provider_id)


@strawberry.type(description="The result of an admin change to the framework.")
class FrameworkChangePayload:
    change: AuditEntry
    measure: Measure | None = strawberry.field(description="The changed measure, as it is now.")
    dimension: Dimension | None = strawberry.field(description="The changed dimension, as now.")

    @fields.field(description="The QSMO the change concerns, as it is now.")
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.change.qsmo_id)

    @fields.field(
        description="The provider a provider or SLA-target change concerns, as it is now."
    )
    async def provider(self, info: Info) -> Provider | None:
        return await provider_by_id(info, self.change.provider_id)


@strawberry.type(description="The API key making this request.")
class Viewer:
    key_id: str
    role: Role
    qsmo_id: strawberry.ID | None = strawberry.field(description="Publisher keys: their QSMO.")
    provider_id: strawberry.ID | None = strawberry.field(
        default=None, description="Provider keys: the provider they act for."
    )
    person: Person | None = strawberry.field(
        default=None, description="Signed in with a token: who (null for an API key)."
    )


@strawberry.type(description="What this gateway refuses before running anything.")
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_complexity: int
    max_page_size: int
    default_page_size: int
