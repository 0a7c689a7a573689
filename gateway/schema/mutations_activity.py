"""Mutations of publishers and admins: commentary, improvement actions, notifications."""

import datetime
import uuid

import strawberry

from gateway import analysis
from gateway.auth import require, require_some
from gateway.context import Info
from gateway.errors import BadUserInputError, ConflictError, NotFoundError
from gateway.schema import fields
from gateway.schema.analysis_types import Commentary, ImprovementAction
from gateway.schema.common import catalog_measure, fiscal_year_arg, translated_errors
from gateway.schema.enums import ImprovementActionStatus, Severity
from gateway.schema.notification_types import (
    DeliveryMode,
    Notification,
    NotificationSubscription,
)
from shared.authorization import Permission
from shared.identity.people import as_recorded

MAX_NOTE = 1000


def _text(value: str, field: str, limit: int) -> str:
    try:
        return analysis.clean_text(value, field, limit)
    except ValueError as error:
        raise BadUserInputError(str(error), field=field) from None


@strawberry.type
class ActivityMutations:
    @fields.mutation(
        description="Publisher of the QSMO or admin: comment on a measure's performance."
    )
    async def add_commentary(
        self, info: Info, qsmo: strawberry.ID, measure: strawberry.ID, fiscal_year: int, text: str
    ) -> Commentary:
        context = info.context
        principal = context.principal
        require(principal, Permission.ADD_COMMENTARY, qsmo, "add commentary")
        await context.known_qsmo(qsmo)
        catalog_measure(context.runtime.catalog.framework(), measure)
        commentary = analysis.Commentary(
            id=f"cmt_{uuid.uuid4().hex}",
            qsmo=qsmo,
            measure=measure,
            fiscal_year=fiscal_year_arg(fiscal_year),
            text=_text(text, "text", analysis.MAX_TEXT),
            author=principal.key_id,
            created_at=context.runtime.clock(),
            author_person=as_recorded(principal.person),
        )
        await context.runtime.analysis.add_commentary(commentary)
        return Commentary.from_model(commentary)

    @fields.mutation(
        description="Publisher of the QSMO or admin: open an improvement action on a measure."
    )
    async def create_improvement_action(
        self,
        info: Info,
        qsmo: strawberry.ID,
        measure: strawberry.ID,
        title: str,
        owner: str,
        due_date: datetime.date,
    ) -> ImprovementAction:
        context = info.context
        principal = context.principal
        require(
            principal, Permission.MANAGE_IMPROVEMENT_ACTIONS, qsmo, "create improvement actions"
        )
        await context.known_qsmo(qsmo)
        catalog_measure(context.runtime.catalog.framework(), measure)
        now = context.runtime.clock()
        action = analysis.ImprovementAction(
            id=f"act_{uuid.uuid4().hex}",
            qsmo=qsmo,
            measure=measure,
            title=_text(title, "title", analysis.MAX_TITLE),
            owner=_text(owner, "owner", analysis.MAX_TITLE),
            due_date=due_date,
            created_at=now,
            created_by=principal.key_id,
            created_by_person=as_recorded(principal.person),
            updated_at=now,
            history=(
                analysis.StatusChange(
                    from_status=None,
                    to_status=analysis.ActionStatus.OPEN,
                    at=now,
                    by=principal.key_id,
                    by_person=as_recorded(principal.person),
                ),
            ),
        )
        await context.runtime.analysis.add_action(action)
        return ImprovementAction.from_model(action)

    @fields.mutation(
        description="Publisher of the action's QSMO or admin: change an action's status."
    )
    async def update_improvement_action(
        self,
        info: Info,
        id: strawberry.ID,
        status: ImprovementActionStatus,
        note: str | None = None,
    ) -> ImprovementAction:
        context = info.context
        principal = context.principal
        store = context.runtime.analysis
        current = await store.get_action(id)
        if current is None:
            raise NotFoundError(f"no improvement action with id '{id}'")
        require(
            principal,
            Permission.MANAGE_IMPROVEMENT_ACTIONS,
            current.qsmo,
            "update improvement actions",
        )
        cleaned = None if note is None else _text(note, "note", MAX_NOTE)
        try:
            updated = current.with_status(
                analysis.ActionStatus(status.value),
                context.runtime.clock(),
                principal.key_id,
                cleaned,
                as_recorded(principal.person),
            )
        except ValueError as error:
            raise BadUserInputError(str(error), field="status") from None
        if not await store.replace_action(updated, current.revision):
            raise ConflictError(
                "the action was changed by someone else just now; read it and retry."
            )
        return ImprovementAction.from_model(updated)

    @fields.mutation(
        description="Publisher (for its QSMO) or admin (any, or all with `qsmo` omitted): "
        "send matching notifications to a webhook, signed with `secret`, one by one "
        "(IMMEDIATE) or once a day (DAILY_DIGEST)."
    )
    async def create_notification_subscription(
        self,
        info: Info,
        url: str,
        secret: str,
        qsmo: strawberry.ID | None = None,
        dimension: strawberry.ID | None = None,
        measure: strawberry.ID | None = None,
        min_severity: Severity = Severity.WARNING,
        delivery: DeliveryMode = DeliveryMode.IMMEDIATE,
    ) -> NotificationSubscription:
        context = info.context
        principal = context.principal
        require(
            principal, Permission.MANAGE_SUBSCRIPTIONS, qsmo, "manage notification subscriptions"
        )
        await context.known_qsmo(qsmo)
        with translated_errors():
            created = await context.runtime.subscriptions.create(
                principal,
                qsmo,
                dimension,
                measure,
                min_severity.value,
                url,
                secret,
                delivery="DAILY_DIGEST" if delivery is DeliveryMode.DAILY_DIGEST else "IMMEDIATE",
            )
        return NotificationSubscription.from_model(created)

    @fields.mutation(
        description="Publisher (its QSMO's) or admin: delete a webhook subscription; "
        "returns its id."
    )
    async def delete_notification_subscription(
        self, info: Info, id: strawberry.ID
    ) -> strawberry.ID:
        context = info.context
        principal = require_some(
            context.principal, Permission.MANAGE_SUBSCRIPTIONS, "delete notification subscriptions"
        )
        with translated_errors():
            await context.runtime.subscriptions.delete(principal, id)
        return id

    @fields.mutation(
        description="Publisher of the notification's QSMO or admin: mark it seen (first wins)."
    )
    async def acknowledge_notification(self, info: Info, id: strawberry.ID) -> Notification:
        context = info.context
        principal = require_some(
            context.principal, Permission.ACKNOWLEDGE_NOTIFICATIONS, "acknowledge notifications"
        )
        with translated_errors():
            acknowledged = await context.runtime.subscriptions.acknowledge(principal, id)
        return Notification.from_model(acknowledged)
