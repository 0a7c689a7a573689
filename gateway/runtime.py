"""Everything one running gateway works with, built once by ``gateway.bootstrap``."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from gateway.framework_admin import FrameworkAdmin
from gateway.limits import Limits
from gateway.live import LiveFeed
from gateway.metrics import GatewayMetrics
from gateway.ports import (
    AnalysisStore,
    Clock,
    MeasureValues,
    NotificationReads,
    NotificationSubscriptions,
    ScorecardReads,
    StakeholderLists,
)
from gateway.provider_tools import ProviderTools
from gateway.reviews import Reviews
from gateway.reviews.revisions import RevisionProposals
from gateway.settings import GatewaySettings
from shared.api_keys import ApiKeyRing
from shared.domain.catalog import Catalog


@dataclass(frozen=True)
class GatewayRuntime:
    """Settings, adapters and observability of one gateway process (shared by requests)."""

    settings: GatewaySettings
    limits: Limits
    catalog: Catalog
    key_ring: ApiKeyRing
    scorecards: ScorecardReads
    framework: FrameworkAdmin
    values: MeasureValues
    notifications: NotificationReads
    subscriptions: NotificationSubscriptions
    analysis: AnalysisStore
    live: LiveFeed
    metrics: GatewayMetrics
    registry: CollectorRegistry
    clock: Clock
    tools: ProviderTools
    reviews: Reviews
    revisions: RevisionProposals
    """Target and measure-weight revision proposals (#19's Adjust step)."""
    stakeholders: StakeholderLists
