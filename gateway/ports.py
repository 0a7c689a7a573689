"""What the gateway needs from the rest of the platform, as Protocols.

The real adapters are the services' read doors (``services.<name>.read_model``) and the
notifications write port (``services.notifications.write_port``), wired in
``gateway.bootstrap``; unit tests pass in-memory fakes with the same methods.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from gateway.analysis import ActionStatus, Commentary, ImprovementAction
from gateway.analysis_store import ActionKey, CommentaryKey
from gateway.pagination import Position
from services.measures.read_model import SliceIndex, ValueReading, YearState
from services.notifications.read_model import (
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Notification,
    Severity,
    StakeholderList,
)
from services.notifications.read_model import Subscription as NotificationSubscription
from services.notifications.write_port import Unchanged
from services.scorecard.read_model import ScorecardDiff, ScorecardView
from shared.api_keys import Principal
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice

Clock = Callable[[], datetime]


class ScorecardReads(Protocol):
    """``services.scorecard.read_model.ScorecardReader``."""

    async def current(
        self, fiscal_year: int, qsmo: str | None, phase: int | None = None
    ) -> ScorecardView | None: ...

    async def as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime, phase: int | None = None
    ) -> ScorecardView | None: ...

    async def all_current(
        self, fiscal_year: int, phase: int | None = None
    ) -> list[ScorecardView]: ...

    async def history(
        self, fiscal_year: int, qsmo: str | None, limit: int = 50
    ) -> list[ScorecardView]: ...

    async def diff(
        self, fiscal_year: int, qsmo: str | None, start: datetime, end: datetime
    ) -> ScorecardDiff: ...


class MeasureValues(Protocol):
    """``services.measures.read_model.MeasureValuesReader`` (``slice``: one provider's or one
    customer agency's share, rev. 2)."""

    async def fiscal_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        quarter: int | None = None,
        *,
        slice: Slice | None = None,
        qsmos: Sequence[str] = (),
    ) -> ValueReading: ...

    async def rolling_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        now: datetime,
        days: int,
        *,
        slice: Slice | None = None,
    ) -> ValueReading: ...

    async def series(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        granularity: PeriodKind,
        qsmos: Sequence[str] = (),
        *,
        slice: Slice | None = None,
    ) -> list[ValueReading]: ...

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]: ...

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex: ...

    async def agencies_seen(self) -> list[str]: ...


class NotificationReads(Protocol):
    """``services.notifications.read_model.NotificationReader``."""

    async def list(
        self, qsmo: str | None, first: int, after: Position | None
    ) -> Sequence[Notification]: ...

    async def get(self, notification_id: str) -> Notification | None: ...

    async def digest(self, day: date, qsmo: str | None) -> Sequence[Notification]: ...

    async def deliveries(
        self,
        notification_id: str | None,
        status: DeliveryStatus | None,
        first: int,
        after: Position | None,
        qsmo: str | None = None,
    ) -> Sequence[Delivery]: ...

    async def review_deliveries(
        self, review_id: str, first: int, after: Position | None, qsmo: str | None = None
    ) -> Sequence[Delivery]: ...


class NotificationSubscriptions(Protocol):
    """``services.notifications.write_port.SubscriptionStore``."""

    async def create(
        self,
        principal: Principal,
        qsmo: str | None,
        dimension: str | None,
        measure: str | None,
        min_severity: Severity,
        url: str,
        secret: str,
        delivery: DeliveryMode = "IMMEDIATE",
    ) -> NotificationSubscription: ...

    async def delete(self, principal: Principal, subscription_id: str) -> None: ...

    async def list(self, principal: Principal) -> list[NotificationSubscription]: ...

    async def acknowledge(self, principal: Principal, notification_id: str) -> Notification: ...


class StakeholderLists(Protocol):
    """``services.notifications.write_port.StakeholderListStore``."""

    async def list(self, principal: Principal) -> list[StakeholderList]: ...

    async def get(self, list_id: str) -> StakeholderList | None: ...

    async def create(
        self,
        principal: Principal,
        *,
        name: str,
        kind: str,
        qsmo: str | None,
        members: Sequence[tuple[str, str]],
        attach_pdf: bool = True,
        list_id: str | None = None,
    ) -> StakeholderList: ...

    async def update(
        self,
        principal: Principal,
        list_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        qsmo: str | Unchanged | None = ...,
        members: Sequence[tuple[str, str]] | None = None,
        attach_pdf: bool | None = None,
    ) -> StakeholderList: ...

    async def delete(self, principal: Principal, list_id: str) -> None: ...


class AnalysisStore(Protocol):
    """``gateway.analysis_store``: commentary and improvement actions."""

    async def add_commentary(self, commentary: Commentary) -> None: ...

    async def commentary_page(
        self,
        qsmo: str,
        measure: str | None,
        fiscal_year: int | None,
        size: int,
        after: Position | None,
    ) -> list[Commentary]: ...

    async def latest_commentary(
        self, keys: Sequence[CommentaryKey]
    ) -> dict[CommentaryKey, Commentary]: ...

    async def add_action(self, action: ImprovementAction) -> None: ...

    async def get_action(self, action_id: str) -> ImprovementAction | None: ...

    async def replace_action(self, action: ImprovementAction, expected_revision: int) -> bool: ...

    async def actions_page(
        self,
        qsmo: str | None,
        measure: str | None,
        status: ActionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[ImprovementAction]: ...

    async def open_actions(
        self, keys: Sequence[ActionKey]
    ) -> dict[ActionKey, list[ImprovementAction]]: ...
