"""Queries about distribution: stakeholder lists and a review's deliveries."""

import strawberry

from gateway.auth import forbidden
from gateway.context import Info
from gateway.pagination import Page, PagedList, Position, after_position
from gateway.schema import fields
from gateway.schema.common import translated_errors
from gateway.schema.notification_types import NotificationDelivery
from gateway.schema.pagination import Connection, connection
from gateway.schema.stakeholder_types import StakeholderList
from services.notifications.read_model import Delivery as DeliveryModel
from services.notifications.read_model import may_see_addresses
from shared.authorization import Permission, qsmo_filter


@strawberry.type
class StakeholderQueries:
    @fields.field(
        description="Stakeholder lists, by id (any key; only keys that manage them see the "
        "addresses)."
    )
    async def stakeholder_lists(self, info: Info) -> list[StakeholderList]:
        principal = info.context.principal
        with translated_errors():
            found = await info.context.runtime.stakeholders.list(principal)
        shown = may_see_addresses(principal)
        return [StakeholderList.from_model(s, shown) for s in found]

    @fields.field(
        description="A ready review's packet deliveries, newest first: one email per "
        "(stakeholder list, address) and one `review.ready` webhook per subscription "
        "(admins: all; publishers: their QSMO's reviews)."
    )
    async def review_deliveries(
        self,
        info: Info,
        review_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[NotificationDelivery]:
        context = info.context
        with forbidden():
            qsmo = qsmo_filter(context.principal, Permission.READ_DELIVERIES)
        size = context.runtime.limits.page_size(first)
        position = after_position(PagedList.NOTIFICATION_DELIVERIES, after)
        with translated_errors():
            found = await context.runtime.notifications.review_deliveries(
                review_id, size, position, qsmo
            )
        page: Page[DeliveryModel] = Page.from_overfetch(
            PagedList.NOTIFICATION_DELIVERIES, found, size, lambda d: Position(d.created_at, d.id)
        )
        return connection(page, NotificationDelivery.from_model)
