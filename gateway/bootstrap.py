"""The composition root: settings → clients → adapters → runtime → app, wired once.

``create_app()`` with no arguments builds the production app from ``QSMO_*`` and
``QSMO_GATEWAY_*``; tests pass their own settings or keys. Nothing connects until the app's
lifespan starts: then the live feed starts consuming and the framework-change producer
connects (both keep retrying while Kafka is away), the provider tools' event outbox starts
sweeping (``gateway.provider_tools.events``), the review packet worker starts
(``gateway.reviews.worker``), and the gateway's indexes are created.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from gateway.analysis_store import MongoAnalysisStore
from gateway.app import assemble
from gateway.caching import CachedScorecards, CachedSliceValues, ReadThrough, RefreshAhead
from gateway.confidential_slices import ConfidentialSliceValues
from gateway.dashboard import sign_in_options
from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import KafkaFrameworkAnnouncer
from gateway.limits import Limits, catalog_list_sizes
from gateway.live import LiveFeed
from gateway.metrics import GatewayMetrics
from gateway.provider_tools import ProviderTools
from gateway.provider_tools.assessment_store import MongoAssessmentStore, load_element_catalog
from gateway.provider_tools.assessments import TOOL as SELF_ASSESSMENT
from gateway.provider_tools.assessments import SelfAssessments
from gateway.provider_tools.data_call_store import MongoDataCallStore
from gateway.provider_tools.data_calls import DataCalls
from gateway.provider_tools.events import KafkaToolEventPublisher, ToolEventOutbox
from gateway.provider_tools.survey_store import MongoSurveyStore, load_survey_catalog
from gateway.provider_tools.surveys import SurveyTool
from gateway.result_cache import ResultCache
from gateway.reviews import Reviews
from gateway.reviews.activity_log import MongoActivityLog
from gateway.reviews.adjust_loop import AdjustLoop, next_draft_review
from gateway.reviews.packet_builder import build_packet_builder, packet_executor
from gateway.reviews.publisher import KafkaReviewPublisher
from gateway.reviews.revision_store import MongoRevisionStore, open_proposals_for_packets
from gateway.reviews.revisions import RevisionProposals
from gateway.reviews.service import ReviewService
from gateway.reviews.store import MongoReviewStore, ReviewFilter
from gateway.reviews.worker import PacketBuilder, PacketWorker
from gateway.runtime import GatewayRuntime
from gateway.settings import GatewaySettings
from services.measures.read_model import MeasureValuesReader
from services.notifications.read_model import NotificationReader
from services.notifications.write_port import SubscriptionStore, stakeholder_lists
from services.scorecard.read_model import ScorecardReader
from shared.api_keys import ApiKeyRing, load_api_keys
from shared.catalog import load_catalog
from shared.domain.catalog import Catalog
from shared.domain.reviews import ReviewState
from shared.domain.survey import MEASURE as SURVEY_MEASURE
from shared.domain.survey import TOOL as SURVEY
from shared.framework_log import MongoFrameworkLog
from shared.identity.bearer import build_authenticator
from shared.identity.settings import IdentitySettings
from shared.kafka import connection_options, create_consumer, create_producer
from shared.mongo import create_mongo_client
from shared.review_packets import MongoPacketStore
from shared.settings import PlatformSettings, refuse_unsafe_in_production

log = logging.getLogger(__name__)
RETRY_S = 2.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: GatewaySettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    key_ring: ApiKeyRing | None = None,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] = _utc_now,
    mongo_client: Any | None = None,
    packet_builder: PacketBuilder | None = None,
) -> FastAPI:
    """The gateway app; reads the API-key file now, so a broken one stops the start (as do
    development-only settings in production: ``shared.settings.refuse_unsafe_in_production``).

    ``app.state.runtime`` and ``app.state.schema`` are what it serves; ``mongo_client``
    replaces the client made from ``QSMO_MONGO_URL`` (tests pass one with a command listener);
    ``packet_builder`` replaces the review packet builder (tests pass a fake one); the real
    one renders in a pool of ``QSMO_GATEWAY_PACKET_PROCESSES`` processes, started on the
    first packet.
    """
    settings = settings or GatewaySettings()
    platform = platform or PlatformSettings()
    catalog = catalog or load_catalog()
    key_ring = key_ring or load_api_keys(platform.api_keys_file)
    refuse_unsafe_in_production(
        platform, key_ring=key_ring, allow_private_webhooks=settings.allow_private_webhooks
    )
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry)
    # Sign-in tokens beside keys (#20): QSMO_OIDC_PROVIDERS; refusals counted by reason.
    identity = IdentitySettings()
    authenticator = build_authenticator(
        key_ring, identity, metrics.identity, environment=platform.environment
    )
    mongo: Any = mongo_client or create_mongo_client(platform.mongo_url, appname="qsmo-gateway")
    database = mongo[platform.mongo_db]
    announcer = KafkaFrameworkAnnouncer(
        lambda: create_producer(
            platform.kafka_bootstrap, linger_ms=0, **connection_options(platform)
        ),
        settings.framework_topic,
    )
    live = LiveFeed(
        {
            "scorecards": settings.scorecards_topic,
            "notifications": settings.notifications_topic,
            "framework": settings.framework_topic,
        },
        metrics,
        queue_size=settings.subscriber_queue_size,
        consumer_factory=lambda *names: create_consumer(
            platform.kafka_bootstrap,
            *names,
            group_id=None,
            auto_offset_reset="latest",
            max_poll_records=500,
            **connection_options(platform),
        ),
    )
    analysis = MongoAnalysisStore(database)
    framework = FrameworkAdmin(
        MongoFrameworkLog(database),
        announcer,
        catalog=catalog,
        clock=clock,
        cache=ReadThrough(settings.cache_ttl_s, live.is_positioned),
    )

    async def qsmo_ids() -> list[str]:  # the catalog's and the admin-added QSMOs
        return [*catalog.qsmo_ids, *(q.id for q in (await framework.state()).added_qsmos)]

    scorecards = CachedScorecards(
        ScorecardReader(database, catalog.framework(), qsmo_ids=qsmo_ids),
        ReadThrough(settings.cache_ttl_s, live.is_positioned),
    )
    cached_values = CachedSliceValues(
        MeasureValuesReader(database),
        RefreshAhead(settings.cache_ttl_s, live.is_positioned),
        cacheable_measures=catalog.framework().measure_ids,
    )
    values = ConfidentialSliceValues(
        cached_values,
        [SURVEY_MEASURE],
        small_slices=lambda year: tools.surveys.small_slices(year),  # built below
    )
    live.add_listener("scorecards", scorecards.changed)
    live.add_listener("scorecards", cached_values.changed)
    live.on_positioned(cached_values.clear)
    live.add_listener("framework", framework.changed)
    live.on_positioned(scorecards.clear)
    live.on_positioned(framework.clear)
    tool_publisher = KafkaToolEventPublisher(
        lambda: create_producer(
            platform.kafka_bootstrap, linger_ms=0, **connection_options(platform)
        ),
        settings.events_topic,
    )
    assessment_store = MongoAssessmentStore(database)
    data_call_store = MongoDataCallStore(database)
    survey_store = MongoSurveyStore(database)
    outbox = ToolEventOutbox(
        tool_publisher,
        [(SELF_ASSESSMENT, assessment_store), (SURVEY, survey_store.outbox)],
        clock=clock,
        interval_s=settings.outbox_interval_s,
        metrics=metrics,
    )
    tools = ProviderTools(
        events=outbox,
        assessments=SelfAssessments(
            assessment_store,
            outbox,
            catalog=catalog,
            elements=load_element_catalog(),
            providers=framework.providers,
            qsmo_ids=qsmo_ids,
            clock=clock,
        ),
        data_calls=DataCalls(data_call_store, providers=framework.providers, clock=clock),
        surveys=SurveyTool(
            survey_store,
            outbox,
            catalog=catalog,
            survey_catalog=load_survey_catalog(),
            providers=framework.providers,
            clock=clock,
            interval_s=settings.outbox_interval_s,
        ),
    )
    review_publisher = KafkaReviewPublisher(
        lambda: create_producer(
            platform.kafka_bootstrap, linger_ms=0, **connection_options(platform)
        ),
        settings.reviews_topic,
    )
    review_store = MongoReviewStore(database)
    activity = MongoActivityLog(database)
    revision_store = MongoRevisionStore(database)
    # Typesetting is CPU work: it runs in processes of its own, so a packet never blocks a
    # GraphQL request (started on the first packet).
    render_pool = packet_executor(settings.packet_processes)
    if packet_builder is None:
        packet_builder = build_packet_builder(
            scorecards=scorecards,
            values=values,
            analysis=analysis,
            framework=framework,
            catalog=catalog,
            executor=render_pool,
            survey=tools.surveys,
            proposals=open_proposals_for_packets(revision_store, catalog),
        )
    reviews = Reviews(
        service=ReviewService(review_store, activity, clock=clock),
        worker=PacketWorker(
            review_store,
            MongoPacketStore(database),
            packet_builder,
            review_publisher,
            activity,
            clock=clock,
            metrics=metrics,
            interval_s=settings.packet_interval_s,
            lease_s=settings.packet_lease_s,
            public_url=settings.public_url,
        ),
        public_url=settings.public_url,
    )
    notifications = NotificationReader(database)
    adjust = AdjustLoop(
        values=values,
        framework=framework,
        analysis=analysis,
        notifications=notifications,
        activity=activity,
        publisher=review_publisher,
        clock=clock,
        interval_s=settings.adjust_interval_s,
        metrics=metrics,
        next_review=next_draft_review(
            lambda qsmo: review_store.page(
                ReviewFilter(qsmo=qsmo, state=ReviewState.DRAFT), 100, None
            )
        ),
    )
    results = ResultCache(settings.cache_ttl_s, live.is_positioned, metrics)
    live.add_listener("scorecards", results.scorecard_changed)
    live.add_listener("framework", results.everything_changed)
    live.on_positioned(results.everything_changed)
    runtime = GatewayRuntime(
        settings=settings,
        limits=Limits.from_settings(settings, catalog_list_sizes(catalog)),
        catalog=catalog,
        key_ring=key_ring,
        scorecards=scorecards,
        framework=framework,
        values=values,
        notifications=notifications,
        subscriptions=SubscriptionStore(
            database, allow_private=settings.allow_private_webhooks, clock=clock
        ),
        analysis=analysis,
        live=live,
        metrics=metrics,
        registry=registry,
        clock=clock,
        tools=tools,
        reviews=reviews,
        revisions=RevisionProposals(revision_store, framework, activity, clock),
        stakeholders=stakeholder_lists(database, clock),
        authenticator=authenticator,
        sign_in=sign_in_options(identity),
    )
    prepared: list[asyncio.Task[None]] = []

    async def prepare_store() -> None:
        while True:
            try:
                await analysis.create_indexes()
                await assessment_store.create_indexes()
                await data_call_store.create_indexes()
                await survey_store.create_indexes()
                await review_store.create_indexes()
                await activity.create_indexes()
                await revision_store.create_indexes()
                return
            except Exception as error:  # store away: the gateway still answers what it can
                log.warning("cannot create indexes yet", extra={"error": str(error)})
                await asyncio.sleep(RETRY_S)

    async def on_start() -> None:
        prepared.append(asyncio.create_task(prepare_store(), name="gateway-indexes"))
        await announcer.start()
        await tool_publisher.start()
        await review_publisher.start()
        outbox.start()
        reviews.worker.start()
        tools.surveys.start()
        await live.start()
        adjust.start()

    async def on_stop() -> None:
        for task in prepared:
            task.cancel()
        await adjust.stop()
        await live.stop()
        await reviews.worker.stop()
        await tools.surveys.stop()
        await outbox.stop()
        await tool_publisher.stop()
        await review_publisher.stop()
        render_pool.shutdown(wait=False, cancel_futures=True)
        await announcer.stop()
        await mongo.close()

    async def store_answers() -> None:
        await mongo.admin.command("ping")

    checks = {"store": store_answers, "live_feed": live.check_ready}
    return assemble(runtime, on_start=on_start, on_stop=on_stop, checks=checks, results=results)
