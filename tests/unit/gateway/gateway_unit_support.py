"""In-memory fakes of the gateway's ports, a runtime built on them, and a query helper.

Every fake implements the same Protocol as the real adapter (``gateway.ports``) and counts
its calls, so tests can assert batching (no N+1) without a database.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from prometheus_client import CollectorRegistry
from strawberry.types import ExecutionResult

from gateway.analysis_store import InMemoryAnalysisStore
from gateway.auth import Caller
from gateway.context import GatewayContext
from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from gateway.limits import Limits, catalog_list_sizes
from gateway.live import LiveFeed
from gateway.metrics import GatewayMetrics
from gateway.provider_tools import ProviderTools
from gateway.provider_tools.assessment_store import InMemoryAssessmentStore, load_element_catalog
from gateway.provider_tools.assessments import SelfAssessments
from gateway.provider_tools.data_call_store import InMemoryDataCallStore
from gateway.provider_tools.data_calls import DataCalls
from gateway.provider_tools.events import InMemoryToolEventPublisher, ToolEventOutbox
from gateway.provider_tools.survey_store import InMemorySurveyStore, load_survey_catalog
from gateway.provider_tools.surveys import SurveyTool
from gateway.reviews import Reviews
from gateway.reviews.activity_log import InMemoryActivityLog
from gateway.reviews.publisher import InMemoryReviewPublisher
from gateway.reviews.revision_store import InMemoryRevisionStore
from gateway.reviews.revisions import RevisionProposals
from gateway.reviews.service import ReviewService
from gateway.reviews.store import InMemoryReviewStore
from gateway.reviews.worker import PacketWorker
from gateway.runtime import GatewayRuntime
from gateway.schema.build import GatewaySchema, build_schema
from gateway.settings import GatewaySettings
from services.measures.read_model import SliceIndex, ValueReading, YearState
from services.notifications import models as notification_models
from services.notifications.digest import digest_of
from services.notifications.read_model import NotAllowedError, NotFoundError
from services.notifications.write_port import InMemoryStakeholderListRecords, StakeholderListStore
from services.scorecard.changes import diff as scorecard_diff
from services.scorecard.domain import view_of
from services.scorecard.views import MeasureDataQuality, ScorecardDiff, ScorecardView
from shared.api_keys import ApiKeyEntry, ApiKeyFile, ApiKeyRing, Principal, Role, hash_key
from shared.authorization import Permission, allows, allows_some
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation, Catalog
from shared.domain.fiscal import (
    PeriodKind,
    fiscal_quarter_period,
    fiscal_year_period,
    months_of,
    quarters_of,
    rolling_period,
)
from shared.domain.providers import Slice
from shared.domain.reviews import Review
from shared.domain.scoring import score
from shared.domain.summaries import (
    EMPTY,
    Summary,
    government_wide_value,
    merge,
    observation,
    value_of,
)
from shared.framework_log import InMemoryFrameworkLog
from shared.pagination import Position
from shared.review_packets import InMemoryPacketStore, RenderedPacket

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
PROVIDER_KEYS = ("cisa-cyber-shared-services", "doi-ibc")
"""Providers with a provider-scoped key (``prov:<id>``)."""
KEYS = {
    "admin": "admin-key-0000000000",
    "viewer": "viewer-key-000000000",
    **{f"pub:{q}": f"pub-{q}-key-0000" for q in QSMOS},
    **{f"prov:{p}": f"prov-{p}-key-0000" for p in PROVIDER_KEYS},
}


def key_ring() -> ApiKeyRing:
    entries = [
        ApiKeyEntry(id="t-admin", sha256=hash_key(KEYS["admin"]), role=Role.ADMIN),
        ApiKeyEntry(id="t-viewer", sha256=hash_key(KEYS["viewer"]), role=Role.VIEWER),
        *(
            ApiKeyEntry(
                id=f"t-pub-{q}", sha256=hash_key(KEYS[f"pub:{q}"]), role=Role.PUBLISHER, qsmo=q
            )
            for q in QSMOS
        ),
        *(
            ApiKeyEntry(
                id=f"t-prov-{p}", sha256=hash_key(KEYS[f"prov:{p}"]), role=Role.PROVIDER, provider=p
            )
            for p in PROVIDER_KEYS
        ),
    ]
    return ApiKeyRing(ApiKeyFile(keys=entries))


def principal(name: str) -> Principal:
    found = key_ring().authenticate(KEYS[name])
    assert found is not None
    return found


def make_view(
    catalog: Catalog,
    fiscal_year: int,
    qsmo: str | None,
    values: Mapping[str, float],
    *,
    version: int = 1,
    computed_at: datetime = NOW,
) -> ScorecardView:
    """A scorecard view as the scorecard service would store it."""
    framework = catalog.framework()
    result = score(framework, dict(values), fiscal_year=fiscal_year, qsmo=qsmo)
    quality = {
        m.id: MeasureDataQuality(
            event_count=1 if m.id in values else 0,
            reporting_frequency_days=m.frequency.days,
            last_event_at=computed_at if m.id in values else None,
        )
        for m in framework.measures
    }
    view = view_of(framework, result, quality, computed_at=computed_at, adopted={})
    return view.model_copy(update={"version": version})


@dataclass
class InMemoryScorecards:
    """``ScorecardReads`` over a list of versions."""

    versions: list[ScorecardView] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    fail_with: Exception | None = None

    def _of(self, fiscal_year: int, qsmo: str | None) -> list[ScorecardView]:
        found = [v for v in self.versions if (v.fiscal_year, v.qsmo) == (fiscal_year, qsmo)]
        return sorted(found, key=lambda v: v.version)

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.fail_with is not None:
            raise self.fail_with

    async def current(
        self, fiscal_year: int, qsmo: str | None, phase: int | None = None
    ) -> ScorecardView | None:
        self._call("current")
        found = self._of(fiscal_year, qsmo)
        return found[-1] if found else None

    async def as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime, phase: int | None = None
    ) -> ScorecardView | None:
        self._call("as_of")
        found = [v for v in self._of(fiscal_year, qsmo) if v.computed_at <= at]
        return found[-1] if found else None

    async def all_current(self, fiscal_year: int, phase: int | None = None) -> list[ScorecardView]:
        self._call("all_current")
        owners = {v.qsmo for v in self.versions if v.fiscal_year == fiscal_year}
        latest = [self._of(fiscal_year, q)[-1] for q in owners]
        return sorted(latest, key=lambda v: (v.qsmo is None, v.qsmo or ""))

    async def history(
        self, fiscal_year: int, qsmo: str | None, limit: int = 50
    ) -> list[ScorecardView]:
        self._call("history")
        return list(reversed(self._of(fiscal_year, qsmo)))[:limit]

    async def diff(
        self, fiscal_year: int, qsmo: str | None, start: datetime, end: datetime
    ) -> ScorecardDiff:
        self._call("diff")
        versions = self._of(fiscal_year, qsmo)
        old = next((v for v in reversed(versions) if v.computed_at <= start), None)
        between = [v for v in versions if start < v.computed_at <= end]
        new = between[-1] if between else old
        sid = versions[0].scorecard_id if versions else f"FY{fiscal_year}|{qsmo}"
        return scorecard_diff((sid, fiscal_year, qsmo), start, end, old, new, between)


@dataclass
class FakeMeasureValues:
    """``MeasureValues`` over a list of ``(qsmo, measure, value, occurred_at)`` events, each
    optionally followed by its provider and agency (rev. 2 slices); counts its calls."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _in_slice(event: tuple[Any, ...], slice: Slice | None) -> bool:
        if slice is None:
            return True
        provider, agency = (*event[4:], None, None)[:2]
        return (provider if slice.kind == "provider" else agency) == slice.id

    def _per_qsmo(
        self, qsmo: str | None, measure: str, period: Any, slice: Slice | None
    ) -> dict[str, Summary]:
        per_qsmo: dict[str, Summary] = {}
        for seq, event in enumerate(self.events):
            q, m, value, at = event[:4]
            if (
                m == measure
                and qsmo in (None, q)
                and period.contains(at)
                and self._in_slice(event, slice)
            ):
                per_qsmo[q] = merge(per_qsmo.get(q, EMPTY), observation(value, at, seq))
        return per_qsmo

    def _reading(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        period: Any,
        slice: Slice | None = None,
    ) -> ValueReading:
        per_qsmo = self._per_qsmo(qsmo, measure, period, slice)
        pooled = EMPTY
        for summary in per_qsmo.values():
            pooled = merge(pooled, summary)
        value = (
            value_of(pooled, aggregation)
            if qsmo is not None
            else government_wide_value(per_qsmo, aggregation)
        )
        return ValueReading(
            qsmo, measure, period, value, pooled, 0, None, len(per_qsmo), per_qsmo, slice
        )

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
    ) -> ValueReading:
        self.calls["fiscal_value"] += 1
        period = (
            fiscal_year_period(fiscal_year)
            if quarter is None
            else fiscal_quarter_period(fiscal_year, quarter)
        )
        return self._reading(qsmo, measure, aggregation, period, slice)

    async def rolling_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        now: datetime,
        days: int,
        *,
        slice: Slice | None = None,
    ) -> ValueReading:
        self.calls["rolling_value"] += 1
        return self._reading(qsmo, measure, aggregation, rolling_period(now, days), slice)

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
    ) -> list[ValueReading]:
        self.calls["series"] += 1
        periods = (
            quarters_of(fiscal_year)
            if granularity is PeriodKind.FISCAL_QUARTER
            else months_of(fiscal_year)
        )
        return [self._reading(qsmo, measure, aggregation, p, slice) for p in periods]

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]:
        self.calls["year_states"] += 1
        found = []
        for owner in sorted(set(owners)):
            for measure in sorted(set(measures)):
                for year in sorted(set(fiscal_years)):
                    period = fiscal_year_period(year)
                    summary = self._per_qsmo(owner, measure, period, slice).get(owner)
                    if summary is not None:
                        found.append(YearState(owner, measure, year, summary, 0, None))
        return found

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex:
        self.calls["slice_index"] += 1
        period = fiscal_year_period(fiscal_year)
        providers: dict[str, set[str]] = {}
        agencies: set[str] = set()
        for event in self.events:
            provider, agency = (*event[4:], None, None)[:2]
            if event[0] != qsmo or not period.contains(event[3]):
                continue
            if provider is not None:
                providers.setdefault(provider, set()).update({agency} - {None})
            if agency is not None:
                agencies.add(agency)
        return SliceIndex({p: frozenset(a) for p, a in providers.items()}, frozenset(agencies))

    async def agencies_seen(self) -> list[str]:
        self.calls["agencies_seen"] += 1
        return sorted({e[5] for e in self.events if len(e) > 5 and e[5] is not None})


@dataclass
class InMemoryNotifications:
    """``NotificationReads`` and ``NotificationSubscriptions`` with the real store's rules."""

    notifications: list[notification_models.Notification] = field(default_factory=list)
    subscriptions: dict[str, notification_models.Subscription] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)
    stored_deliveries: list[notification_models.Delivery] = field(default_factory=list)

    async def list(
        self, qsmo: str | None, first: int, after: Position | None
    ) -> list[notification_models.Notification]:
        items = sorted(
            (n for n in self.notifications if qsmo in (None, n.qsmo)),
            key=lambda n: (n.raised_at, n.id),
            reverse=True,
        )
        if after is not None:
            items = [n for n in items if (n.raised_at, n.id) < (after.at, after.id)]
        return items[: first + 1]

    async def get(self, notification_id: str) -> notification_models.Notification | None:
        return next((n for n in self.notifications if n.id == notification_id), None)

    async def digest(self, day: date, qsmo: str | None) -> list[notification_models.Notification]:
        return digest_of(self.notifications, day, qsmo)

    async def deliveries(
        self,
        notification_id: str | None,
        status: notification_models.DeliveryStatus | None,
        first: int,
        after: Position | None,
        qsmo: str | None = None,
    ) -> list[notification_models.Delivery]:
        items = sorted(
            (
                d
                for d in self.stored_deliveries
                if notification_id in (None, d.notification_id)
                and status in (None, d.status)
                and qsmo in (None, d.qsmo)
            ),
            key=lambda d: (d.created_at, d.id),
            reverse=True,
        )
        if after is not None:
            items = [d for d in items if (d.created_at, d.id) < (after.at, after.id)]
        return items[: first + 1]

    async def review_deliveries(
        self, review_id: str, first: int, after: Position | None, qsmo: str | None = None
    ) -> list[notification_models.Delivery]:
        return await self.deliveries(f"review:{review_id}", None, first, after, qsmo)

    async def create(
        self,
        principal: Principal,
        qsmo: str | None,
        dimension: str | None,
        measure: str | None,
        min_severity: notification_models.Severity,
        url: str,
        secret: str,
        delivery: notification_models.DeliveryMode = "IMMEDIATE",
    ) -> notification_models.Subscription:
        subscription = notification_models.Subscription(
            id=f"sub_{next(self.ids)}",
            qsmo=qsmo,
            dimension=dimension,
            measure=measure,
            min_severity=min_severity,
            url=url,
            created_at=NOW,
            created_by=principal.key_id,
            delivery=delivery,
        )
        self.subscriptions[subscription.id] = subscription
        return subscription

    async def delete(self, principal: Principal, subscription_id: str) -> None:
        found = self.subscriptions.get(subscription_id)
        if found is None or not allows(principal, Permission.MANAGE_SUBSCRIPTIONS, found.qsmo):
            raise NotFoundError(f"no subscription with id {subscription_id!r}")
        del self.subscriptions[subscription_id]

    async def list_subscriptions(self, principal: Principal) -> list[Any]:
        return [
            s
            for s in self.subscriptions.values()
            if allows(principal, Permission.MANAGE_SUBSCRIPTIONS, s.qsmo)
        ]

    async def acknowledge(
        self, principal: Principal, notification_id: str
    ) -> notification_models.Notification:
        found = await self.get(notification_id)
        if found is None:
            raise NotFoundError(f"no notification with id {notification_id!r}")
        if not allows(principal, Permission.ACKNOWLEDGE_NOTIFICATIONS, found.qsmo):
            raise NotAllowedError("only admins, or publishers of the notification's QSMO")
        acknowledged = found.model_copy(
            update={"acknowledged_at": NOW, "acknowledged_by": principal.key_id}
        )
        self.notifications = [acknowledged if n.id == found.id else n for n in self.notifications]
        return acknowledged


class SubscriptionsView:
    """Adapts ``InMemoryNotifications`` to the ``NotificationSubscriptions`` port."""

    def __init__(self, store: InMemoryNotifications) -> None:
        self.store = store

    async def create(self, *args: Any, **kwargs: Any) -> notification_models.Subscription:
        return await self.store.create(*args, **kwargs)

    async def delete(self, principal: Principal, subscription_id: str) -> None:
        await self.store.delete(principal, subscription_id)

    async def list(self, principal: Principal) -> list[notification_models.Subscription]:
        if not allows_some(principal, Permission.MANAGE_SUBSCRIPTIONS):
            raise NotAllowedError("viewers do not manage notification subscriptions")
        return await self.store.list_subscriptions(principal)

    async def acknowledge(
        self, principal: Principal, notification_id: str
    ) -> notification_models.Notification:
        return await self.store.acknowledge(principal, notification_id)


@dataclass
class FakePacketBuilder:
    """Renders a packet from the review's id, state, cut-off and previous review; fails the
    next ``failures`` builds (``PacketBuilder``, for tests)."""

    failures: int = 0
    built: list[tuple[str, str, str | None]] = field(default_factory=list)

    async def build(self, review: Review, previous: Review | None) -> RenderedPacket:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("the typesetter ran out of ink")
        previous_id = None if previous is None else previous.id
        self.built.append((review.id, review.state.value, previous_id))
        text = f"{review.title}|{review.state.value}|{review.cut_off.isoformat()}|{previous_id}"
        return RenderedPacket(
            pdf=b"%PDF-1.7 " + text.encode(),
            xlsx=b"PK xlsx " + text.encode(),
            csv=f"section,text\ncover,{text}\n".encode(),
            pages=3,
            summary=f"Overall GREEN: {review.id}",
        )


def build_reviews(
    metrics: GatewayMetrics | None = None, builder: FakePacketBuilder | None = None
) -> Reviews:
    """The reviews on in-memory stores, a fake packet builder and an in-memory publisher."""
    store = InMemoryReviewStore()
    activity = InMemoryActivityLog()
    worker = PacketWorker(
        store,
        InMemoryPacketStore(),
        builder or FakePacketBuilder(),
        InMemoryReviewPublisher(),
        activity,
        clock=lambda: NOW,
        metrics=metrics,
        retry_backoff_s=0,
    )
    return Reviews(service=ReviewService(store, activity, clock=lambda: NOW), worker=worker)


@dataclass
class Harness:
    """A runtime on fakes, its schema, and a way to run operations as a given key."""

    runtime: GatewayRuntime
    schema: GatewaySchema
    scorecards: InMemoryScorecards
    values: FakeMeasureValues
    notifications: InMemoryNotifications
    analysis: InMemoryAnalysisStore
    announced: InMemoryFrameworkAnnouncer
    framework_log: InMemoryFrameworkLog = field(default_factory=InMemoryFrameworkLog)
    stakeholder_records: InMemoryStakeholderListRecords = field(
        default_factory=InMemoryStakeholderListRecords
    )

    def context(self, who: str | None) -> GatewayContext:
        if who is None:
            return GatewayContext(self.runtime)
        return GatewayContext(self.runtime, Caller(principal(who)))

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, *, who: str | None = "viewer"
    ) -> ExecutionResult:
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.context(who)
        )

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, who: str | None = "viewer"
    ) -> dict[str, Any]:
        result = await self.run(query, variables, who=who)
        assert result.errors is None, [e.formatted for e in result.errors or ()]
        assert result.data is not None
        return result.data


def error_codes(result: ExecutionResult) -> list[str]:
    return [str((e.extensions or {}).get("code")) for e in result.errors or ()]


def provider_tools(
    catalog: Catalog, framework: FrameworkAdmin, metrics: GatewayMetrics
) -> ProviderTools:
    """The provider tools on in-memory stores and an in-memory event publisher."""
    store = InMemoryAssessmentStore()
    survey_store = InMemorySurveyStore()
    outbox = ToolEventOutbox(
        InMemoryToolEventPublisher(),
        [("self-assessment", store), ("survey", survey_store.outbox)],
        clock=lambda: NOW,
        metrics=metrics,
    )

    async def qsmo_ids() -> list[str]:
        return [q.id for q in await framework.qsmos()]

    assessments = SelfAssessments(
        store,
        outbox,
        catalog=catalog,
        elements=load_element_catalog(),
        providers=framework.providers,
        qsmo_ids=qsmo_ids,
        clock=lambda: NOW,
    )
    data_calls = DataCalls(
        InMemoryDataCallStore(), providers=framework.providers, clock=lambda: NOW
    )
    surveys = SurveyTool(
        survey_store,
        outbox,
        catalog=catalog,
        survey_catalog=load_survey_catalog(),
        providers=framework.providers,
        clock=lambda: NOW,
    )
    return ProviderTools(
        events=outbox, assessments=assessments, data_calls=data_calls, surveys=surveys
    )


def build_harness(settings: GatewaySettings | None = None) -> Harness:
    settings = settings or GatewaySettings()
    catalog = load_catalog()
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry)
    scorecards = InMemoryScorecards()
    values = FakeMeasureValues()
    notifications = InMemoryNotifications()
    stakeholder_records = InMemoryStakeholderListRecords()
    analysis = InMemoryAnalysisStore()
    announced = InMemoryFrameworkAnnouncer()
    framework_log = InMemoryFrameworkLog()
    limits = Limits.from_settings(settings, catalog_list_sizes(catalog))
    framework = FrameworkAdmin(framework_log, announced, catalog=catalog, clock=lambda: NOW)
    runtime = GatewayRuntime(
        settings=settings,
        limits=limits,
        catalog=catalog,
        key_ring=key_ring(),
        scorecards=scorecards,
        framework=framework,
        values=values,
        notifications=notifications,
        subscriptions=SubscriptionsView(notifications),
        analysis=analysis,
        live=LiveFeed({"scorecards": "s", "notifications": "n"}, metrics, queue_size=3),
        metrics=metrics,
        registry=registry,
        clock=lambda: NOW,
        tools=provider_tools(catalog, framework, metrics),
        reviews=build_reviews(metrics),
        revisions=RevisionProposals(
            InMemoryRevisionStore(), framework, InMemoryActivityLog(), lambda: NOW
        ),
        stakeholders=StakeholderListStore(stakeholder_records, lambda: NOW),
    )
    schema = build_schema(limits, metrics)
    return Harness(
        runtime,
        schema,
        scorecards,
        values,
        notifications,
        analysis,
        announced,
        framework_log,
        stakeholder_records,
    )
