"""Settings of the GraphQL gateway, read from ``QSMO_GATEWAY_*`` environment variables.

Connection settings shared by every service (``QSMO_MONGO_URL``, ``QSMO_KAFKA_BOOTSTRAP``,
``QSMO_API_KEYS_FILE`` …) live in ``shared.settings.PlatformSettings``.
"""

from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared import topics
from shared.pagination import MAX_PAGE_SIZE
from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Where the gateway listens, its abuse limits and its live-update feed."""

    model_config = SettingsConfigDict(
        env_prefix="QSMO_GATEWAY_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = Field(default=8000, ge=1, le=65535)
    graphiql: bool = True
    """Serve the GraphiQL IDE on ``GET /graphql`` from a browser."""

    max_depth: int = Field(default=10, ge=2, le=50)
    """Deepest selection nesting an operation may have (``{ a { b } }`` is depth 2)."""
    max_aliases: int = Field(default=30, ge=0, le=1000)
    """Most aliased fields in one document."""
    max_tokens: int = Field(default=3000, ge=100, le=100_000)
    """Most lexical tokens in one document; parsing stops beyond it."""
    max_complexity: int = Field(default=20_000, ge=10, le=10_000_000)
    """Most fields an operation may resolve, estimated (``gateway.limits``: lists count at their
    page size or catalog size)."""
    max_page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    default_page_size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)

    scorecards_topic: str = Field(default=topics.SCORECARDS, min_length=1)
    notifications_topic: str = Field(default=topics.NOTIFICATIONS, min_length=1)
    events_topic: str = Field(default=topics.EVENTS, min_length=1)
    """Where the provider tools' owed events are published (the topic ingest publishes to and
    the measures service counts)."""
    framework_topic: str = Field(default=topics.FRAMEWORK, min_length=1)
    """Where admin framework changes are announced (the scorecard service listens)."""
    cache_ttl_s: float = Field(default=10.0, ge=0, le=3600)
    """Longest a cached scorecard or framework state is served when no Kafka announcement
    has invalidated it (0: no cache)."""
    allow_private_webhooks: bool = Field(
        default=False,
        validation_alias=AliasChoices("QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS"),
    )
    """Accept loopback/private webhook targets when subscriptions are created (tests and local
    stacks only; refused in production). Read from the notifications service's variable,
    ``QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS``, so the gateway accepts exactly the targets
    the notifications service will send to."""
    subscriber_queue_size: int = Field(default=100, ge=1, le=10_000)
    """Messages buffered per subscriber; a subscriber that falls this far behind is dropped."""
    max_subscriptions_per_connection: int = Field(default=20, ge=1, le=1000)
    connection_init_timeout_s: float = Field(default=10.0, gt=0, le=300)
    outbox_interval_s: float = Field(default=5.0, gt=0, le=3600)
    """How often the tool-event outbox sweeps for events the provider tools still owe (an
    accepted self-assessment, a closed survey wave) and publishes them."""
    reviews_topic: str = Field(default=topics.REVIEWS, min_length=1)
    """Where ``ReviewReady`` (and the Adjust loop's ``ImprovementActionOverdue``) are
    published for the notifications service."""
    packet_interval_s: float = Field(default=1.0, gt=0, le=3600)
    """How often the packet worker looks for review packets to render and READY reviews to
    announce."""
    packet_processes: int = Field(default=1, ge=1, le=32)
    """Processes rendering review packets (the render pool: rendering is CPU work kept off
    the event loop)."""
    packet_lease_s: float = Field(default=120.0, gt=0, le=3600)
    """How long a worker holds a packet job; a job still RENDERING after it (a gateway that
    died mid-render) is claimed again."""
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    """The gateway's public base URL (``https://qsmo.example.gov``) for absolute packet links
    in GraphQL and ``ReviewReady``; unset: links are paths (``/v1/reviews/…``)."""
    # --- the Adjust loop (issue #19, gateway.reviews.adjust_loop) ---
    adjust_interval_s: float = Field(default=60.0, gt=0, le=86_400)
    """How often the Adjust loop sweeps: drafts improvement actions for measures RED at two
    quarter ends (or critically degraded for over 30 days) and announces overdue actions."""

    @model_validator(mode="after")
    def _default_page_fits(self) -> Self:
        if self.default_page_size > self.max_page_size:
            raise ValueError(
                f"QSMO_GATEWAY_DEFAULT_PAGE_SIZE={self.default_page_size} is above "
                f"QSMO_GATEWAY_MAX_PAGE_SIZE={self.max_page_size}; lower it"
            )
        return self
