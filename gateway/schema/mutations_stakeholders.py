"""Mutations of admins: stakeholder lists (``MANAGE_STAKEHOLDERS``)."""

import strawberry

from gateway.auth import require
from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import translated_errors
from gateway.schema.stakeholder_types import (
    StakeholderList,
    StakeholderListKind,
    StakeholderMemberInput,
)
from services.notifications.write_port import UNCHANGED, Unchanged
from shared.authorization import Permission

ACTION = "manage stakeholder lists"


def _members(members: list[StakeholderMemberInput]) -> list[tuple[str, str]]:
    return [(m.name, m.address) for m in members]


@strawberry.type
class StakeholderMutations:
    @fields.mutation(
        description="Admin: a new stakeholder list (`id` default: the slug of `name`). An "
        "invalid address is BAD_USER_INPUT naming it (`members[2].address`)."
    )
    async def create_stakeholder_list(
        self,
        info: Info,
        name: str,
        kind: StakeholderListKind,
        members: list[StakeholderMemberInput],
        qsmo: strawberry.ID | None = None,
        attach_pdf: bool = True,
        id: strawberry.ID | None = None,
    ) -> StakeholderList:
        context = info.context
        principal = require(context.principal, Permission.MANAGE_STAKEHOLDERS, None, ACTION)
        await context.known_qsmo(qsmo)
        with translated_errors():
            created = await context.runtime.stakeholders.create(
                principal,
                name=name,
                kind=kind.value,
                qsmo=qsmo,
                members=_members(members),
                attach_pdf=attach_pdf,
                list_id=id,
            )
        return StakeholderList.from_model(created, show_addresses=True)

    @fields.mutation(
        description="Admin: change a stakeholder list; omitted arguments stay (`qsmo: null`: "
        "the list gets every review; `members` replaces the whole list)."
    )
    async def update_stakeholder_list(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        kind: StakeholderListKind | None = None,
        members: list[StakeholderMemberInput] | None = None,
        qsmo: strawberry.ID | None = strawberry.UNSET,
        attach_pdf: bool | None = None,
    ) -> StakeholderList:
        context = info.context
        principal = require(context.principal, Permission.MANAGE_STAKEHOLDERS, None, ACTION)
        new_qsmo: str | Unchanged | None = UNCHANGED if qsmo is strawberry.UNSET else qsmo
        if isinstance(new_qsmo, str):
            await context.known_qsmo(new_qsmo)
        with translated_errors():
            updated = await context.runtime.stakeholders.update(
                principal,
                id,
                name=name,
                kind=None if kind is None else kind.value,
                qsmo=new_qsmo,
                members=None if members is None else _members(members),
                attach_pdf=attach_pdf,
            )
        return StakeholderList.from_model(updated, show_addresses=True)

    @fields.mutation(description="Admin: delete a stakeholder list; returns its id.")
    async def delete_stakeholder_list(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        context = info.context
        principal = require(context.principal, Permission.MANAGE_STAKEHOLDERS, None, ACTION)
        with translated_errors():
            await context.runtime.stakeholders.delete(principal, id)
        return id
