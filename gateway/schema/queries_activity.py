"""Queries about what happened: notifications, the audit log, commentary and actions.

Every list pages the same way (``gateway.pagination``): ``after`` decoded for that list, the
store asked for ``first + 1`` items older than it, ``Page.from_overfetch`` for the edges.
"""

import datetime

import strawberry

from gateway.analysis import ActionStatus
from gateway.analysis import Commentary as CommentaryModel
from gateway.analysis import ImprovementAction as ActionModel
from gateway.auth import forbidden, require
from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.pagination import Page, PagedList, Position, after_position
from gateway.schema import fields
from gateway.schema.admin_types import AuditEntry
from gateway.schema.analysis_types import Commentary, ImprovementAction
from gateway.schema.common import catalog_measure, fiscal_year_arg, translated_errors
from gateway.schema.enums import DeliveryStatus, ImprovementActionStatus
from gateway.schema.notification_types import (
    Notification,
    NotificationDelivery,
    NotificationDigest,
    NotificationSubscription,
)
from gateway.schema.pagination import Connection, connection
from services.notifications.read_model import Delivery as DeliveryModel
from services.notifications.read_model import Notification as NotificationModel
from shared.authorization import Permission, qsmo_filter
from shared.events import FrameworkChanged


@strawberry.type
class ActivityQueries:
    @fields.field(description="Notifications, newest first (`qsmo` omitted: all of them).")
    async def notifications(
        self,
        info: Info,
        qsmo: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        context = info.context
        await context.known_qsmo(qsmo)
        size = context.runtime.limits.page_size(first)
        position = after_position(PagedList.NOTIFICATIONS, after)
        with translated_errors():
            found = await context.runtime.notifications.list(qsmo, size, position)
        page: Page[NotificationModel] = Page.from_overfetch(
            PagedList.NOTIFICATIONS, found, size, lambda n: Position(n.raised_at, n.id)
        )
        return connection(page, Notification.from_model)

    @strawberry.field
    async def notification(self, info: Info, id: strawberry.ID) -> Notification | None:
        found = await info.context.runtime.notifications.get(id)
        return None if found is None else Notification.from_model(found)

    @fields.field(
        description="The notifications raised on UTC day `date` (`qsmo` omitted: all of "
        "them), oldest first — the content of that day's DAILY_DIGEST webhook. `date` may "
        "not lie in the future (today: the day so far)."
    )
    async def notification_digest(
        self, info: Info, date: datetime.date, qsmo: strawberry.ID | None = None
    ) -> NotificationDigest:
        context = info.context
        require(context.principal, Permission.READ, qsmo, "read notifications")
        today = context.runtime.clock().astimezone(datetime.UTC).date()
        if date > today:
            raise BadUserInputError(
                f"date {date.isoformat()} is in the future; ask for {today.isoformat()} "
                "or an earlier day",
                field="date",
            )
        await context.known_qsmo(qsmo)
        with translated_errors():
            found = await context.runtime.notifications.digest(date, qsmo)
        return NotificationDigest(
            date=date,
            qsmo_id=qsmo,
            count=len(found),
            notifications=[Notification.from_model(n) for n in found],
        )

    @fields.field(
        description="Webhook subscriptions the caller manages (admins: all; publishers: their "
        "QSMO's)."
    )
    async def notification_subscriptions(self, info: Info) -> list[NotificationSubscription]:
        context = info.context
        with translated_errors():
            found = await context.runtime.subscriptions.list(context.principal)
        return [NotificationSubscription.from_model(s) for s in found]

    @fields.field(
        description="Webhook deliveries, newest first (admins: all; publishers: their QSMO's)."
    )
    async def notification_deliveries(
        self,
        info: Info,
        notification_id: strawberry.ID | None = None,
        status: DeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[NotificationDelivery]:
        context = info.context
        with forbidden():
            qsmo = qsmo_filter(context.principal, Permission.READ_DELIVERIES)
        size = context.runtime.limits.page_size(first)
        position = after_position(PagedList.NOTIFICATION_DELIVERIES, after)
        with translated_errors():
            found = await context.runtime.notifications.deliveries(
                notification_id, None if status is None else status.value, size, position, qsmo
            )
        page: Page[DeliveryModel] = Page.from_overfetch(
            PagedList.NOTIFICATION_DELIVERIES, found, size, lambda d: Position(d.created_at, d.id)
        )
        return connection(page, NotificationDelivery.from_model)

    @fields.field(description="Audited admin changes to the framework, newest first.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntry]:
        context = info.context
        size = context.runtime.limits.page_size(first)
        position = after_position(PagedList.AUDIT_LOG, after)
        with translated_errors():
            changes = await context.runtime.framework.audit_log(
                size + 1, None if position is None else position.id
            )
        page: Page[FrameworkChanged] = Page.from_overfetch(
            PagedList.AUDIT_LOG, changes, size, lambda c: Position(c.changed_at, c.change_id)
        )
        return connection(page, AuditEntry.from_model)

    @fields.field(description="Commentary on a QSMO's measures, newest first.")
    async def commentary(
        self,
        info: Info,
        qsmo: strawberry.ID,
        measure: strawberry.ID | None = None,
        fiscal_year: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Commentary]:
        context = info.context
        await context.known_qsmo(qsmo)
        if measure is not None:
            catalog_measure(context.runtime.catalog.framework(), measure)
        if fiscal_year is not None:
            fiscal_year_arg(fiscal_year)
        size = context.runtime.limits.page_size(first)
        found = await context.runtime.analysis.commentary_page(
            qsmo, measure, fiscal_year, size, after_position(PagedList.COMMENTARY, after)
        )
        page: Page[CommentaryModel] = Page.from_overfetch(
            PagedList.COMMENTARY, found, size, lambda c: Position(c.created_at, c.id)
        )
        return connection(page, Commentary.from_model)

    @fields.field(description="Improvement actions, newest first, optionally filtered.")
    async def improvement_actions(
        self,
        info: Info,
        qsmo: strawberry.ID | None = None,
        measure: strawberry.ID | None = None,
        status: ImprovementActionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ImprovementAction]:
        context = info.context
        await context.known_qsmo(qsmo)
        if measure is not None:
            catalog_measure(context.runtime.catalog.framework(), measure)
        size = context.runtime.limits.page_size(first)
        found = await context.runtime.analysis.actions_page(
            qsmo,
            measure,
            None if status is None else ActionStatus(status.value),
            size,
            after_position(PagedList.IMPROVEMENT_ACTIONS, after),
        )
        page: Page[ActionModel] = Page.from_overfetch(
            PagedList.IMPROVEMENT_ACTIONS, found, size, lambda a: Position(a.created_at, a.id)
        )
        return connection(page, ImprovementAction.from_model)
