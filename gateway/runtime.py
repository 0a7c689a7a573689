"""Everything one running gateway works with, built once by ``gateway.bootstrap``."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from gateway.dashboard import SignInOption
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
from shared.identity.bearer import BearerAuthenticator


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
    authenticator: BearerAuthenticator | None = None
    """Keys and OpenID Connect tokens (``shared.identity``); None: keys only, nothing counted."""
    sign_in: tuple[SignInOption, ...] = ()
    """The providers the dashboard offers a sign-in with (``/dashboard/config.json``)."""

    def bearer_authenticator(self) -> BearerAuthenticator:
        """What authenticates a bearer value: the configured one, or the key ring alone."""
        return self.authenticator or BearerAuthenticator(self.key_ring)
