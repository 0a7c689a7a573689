"""Queries about what happened: notifications, the audit log, commentary and actions."""

import base64
import binascii

import strawberry

from gateway.analysis import ActionStatus
from gateway.analysis import Commentary as CommentaryModel
from gateway.analysis import ImprovementAction as ActionModel
from gateway.auth import forbidden
from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.pagination import Page, Position, decode_cursor
from gateway.schema import fields
from gateway.schema.admin_types import AuditEntry
from gateway.schema.analysis_types import Commentary, ImprovementAction
from gateway.schema.common import catalog_measure, fiscal_year_arg, translated_errors
from gateway.schema.enums import DeliveryStatus, ImprovementActionStatus
from gateway.schema.notification_types import (
    Notification,
    NotificationDelivery,
    NotificationSubscription,
)
from gateway.schema.pagination import Connection, connection, single_cursor_connection
from services.notifications.read_model import encode_cursor as notifications_cursor
from shared.authorization import Permission, qsmo_filter

AUDIT_CURSOR_PREFIX = "audit:"


def _audit_cursor(change_id: str) -> str:
    return base64.urlsafe_b64encode(f"{AUDIT_CURSOR_PREFIX}{change_id}".encode()).decode()


def _audit_after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, ValueError):
        raw = ""
    if not raw.startswith(AUDIT_CURSOR_PREFIX):
        raise BadUserInputError(
            "'after' is not an auditLog cursor; pass a previous endCursor.", field="after"
        )
    return raw.removeprefix(AUDIT_CURSOR_PREFIX)


def _after(cursor: str | None) -> Position | None:
    return None if cursor is None else decode_cursor(cursor)


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
        with translated_errors():
            page = await context.runtime.notifications.list(qsmo, size, after)
        return single_cursor_connection(
            page.items,
            page.end_cursor,
            page.has_next_page,
            lambda n: notifications_cursor(n.raised_at, n.id),
            Notification.from_model,
        )

    @strawberry.field
    async def notification(self, info: Info, id: strawberry.ID) -> Notification | None:
        found = await info.context.runtime.notifications.get(id)
        return None if found is None else Notification.from_model(found)

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
        with translated_errors():
            page = await context.runtime.notifications.deliveries(
                notification_id, None if status is None else status.value, size, after, qsmo
            )
        return single_cursor_connection(
            page.items,
            page.end_cursor,
            page.has_next_page,
            lambda d: notifications_cursor(d.created_at, d.id),
            NotificationDelivery.from_model,
        )

    @fields.field(description="Audited admin changes to the framework, newest first.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntry]:
        context = info.context
        size = context.runtime.limits.page_size(first)
        with translated_errors():
            changes = await context.runtime.framework.audit_log(size + 1, _audit_after(after))
        shown = changes[:size]
        return single_cursor_connection(
            shown,
            _audit_cursor(shown[-1].change_id) if shown else None,
            len(changes) > size,
            lambda c: _audit_cursor(c.change_id),
            AuditEntry.from_model,
        )

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
            qsmo, measure, fiscal_year, size, _after(after)
        )
        page: Page[CommentaryModel] = Page.from_overfetch(
            found, size, lambda c: Position(c.created_at, c.id)
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
            _after(after),
        )
        page: Page[ActionModel] = Page.from_overfetch(
            found, size, lambda a: Position(a.created_at, a.id)
        )
        return connection(page, ImprovementAction.from_model)
