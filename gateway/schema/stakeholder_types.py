"""Stakeholder lists as GraphQL types: who a ready review's packet is emailed to."""

import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.schema.framework_types import Qsmo, qsmo_by_id
from services.notifications import read_model


@strawberry.enum(description="Who a stakeholder list is for.")
class StakeholderListKind(Enum):
    OMB = "OMB"
    OSSPI = "OSSPI"
    SSGB = "SSGB"
    FMSC = "FMSC"
    QSMO_LEADERSHIP = strawberry.enum_value(
        "QSMO_LEADERSHIP", description="A QSMO's leadership (the list names its QSMO)."
    )
    OTHER = "OTHER"


@strawberry.type(description="One person on a stakeholder list.")
class StakeholderMember:
    name: str
    address: str | None = strawberry.field(
        description="The email address: personal data, shown only to keys that manage "
        "stakeholder lists (null for the others)."
    )


@strawberry.input(description="One person on a stakeholder list.")
class StakeholderMemberInput:
    name: str
    address: str = strawberry.field(description="An email address, e.g. jane.doe@omb.eop.gov.")


@strawberry.type(
    description="People a ready review's packet is emailed to (PDF attached or a link). A "
    "review goes to the lists it names, else to every list without a QSMO and its QSMO's."
)
class StakeholderList:
    id: strawberry.ID
    name: str
    kind: StakeholderListKind
    qsmo_id: strawberry.ID | None = strawberry.field(
        description="A QSMO's list gets that QSMO's reviews; null: every review."
    )
    attach_pdf: bool = strawberry.field(
        description="Attach the packet's PDF; false: send a link to it."
    )
    member_count: int
    members: list[StakeholderMember]
    created_at: datetime.datetime
    created_by: str
    updated_at: datetime.datetime
    updated_by: str

    @classmethod
    def from_model(
        cls, found: read_model.StakeholderList, show_addresses: bool
    ) -> "StakeholderList":
        return cls(
            id=strawberry.ID(found.id),
            name=found.name,
            kind=StakeholderListKind(found.kind),
            qsmo_id=None if found.qsmo is None else strawberry.ID(found.qsmo),
            attach_pdf=found.attach_pdf,
            member_count=len(found.members),
            members=[
                StakeholderMember(name=m.name, address=m.address if show_addresses else None)
                for m in found.members
            ],
            created_at=found.created_at,
            created_by=found.created_by,
            updated_at=found.updated_at,
            updated_by=found.updated_by,
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)
