"""Live subscriptions over graphql-transport-ws, fed by the process's Kafka fan-out."""

from collections.abc import AsyncGenerator

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.live_types import NotificationEvent, ScorecardChangedEvent
from shared.events import NotificationRaised, ScorecardChanged


@strawberry.type
class Subscription:
    @fields.subscription(
        description="Every new scorecard version (filtered by QSMO and fiscal year when given; "
        "`qsmo` omitted: every scorecard, government-wide included)."
    )
    async def scorecard_changed(
        self, info: Info, qsmo: strawberry.ID | None = None, fiscal_year: int | None = None
    ) -> AsyncGenerator[ScorecardChangedEvent, None]:
        await info.context.known_qsmo(qsmo)
        if fiscal_year is not None:
            fiscal_year_arg(fiscal_year)

        def accepts(message: ScorecardChanged) -> bool:
            return (qsmo is None or message.qsmo == qsmo) and fiscal_year in (
                None,
                message.fiscal_year,
            )

        async with info.context.runtime.live.subscribe("scorecards", accepts) as subscriber:
            while True:
                yield ScorecardChangedEvent.from_message(await subscriber.next())

    @fields.subscription(
        description="Notifications as they are raised or resolved (`qsmo` omitted: all)."
    )
    async def notification_raised(
        self, info: Info, qsmo: strawberry.ID | None = None
    ) -> AsyncGenerator[NotificationEvent, None]:
        await info.context.known_qsmo(qsmo)

        def accepts(message: NotificationRaised) -> bool:
            return qsmo is None or message.qsmo == qsmo

        async with info.context.runtime.live.subscribe("notifications", accepts) as subscriber:
            while True:
                yield NotificationEvent.from_message(await subscriber.next())
