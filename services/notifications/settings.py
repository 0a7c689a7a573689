"""Settings of the notifications service (prefix ``QSMO_NOTIFICATIONS_``)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared import topics
from shared.settings import WorkerSettings


class NotificationsSettings(WorkerSettings):
    """Topics, rule thresholds, delivery policy, the webhook SSRF switch and the SMTP server."""

    model_config = SettingsConfigDict(env_prefix="QSMO_NOTIFICATIONS_", extra="ignore", frozen=True)

    port: int = Field(default=8004, ge=1, le=65535)
    group_id: str = "notifications"
    scorecards_topic: str = topics.SCORECARDS
    dlq_topic: str = topics.EVENTS_DLQ
    notifications_topic: str = topics.NOTIFICATIONS
    reviews_topic: str = topics.REVIEWS
    """Ready reviews (emails, ``review.ready`` webhooks) and overdue improvement actions."""
    max_batch_records: int = Field(default=500, ge=1, le=10_000)
    measures_group_id: str = "measures"
    events_topic: str = topics.EVENTS
    scorecard_group_id: str = "scorecard"
    values_topic: str = topics.MEASURE_VALUES
    """The upstream lanes whose consumer lag must be 0 before the sweep judges stale measures
    (``lag.py``): ``measures`` on the events topic, ``scorecard`` on the values topic (and
    this service's own group on the scorecards topic)."""

    cooldown_s: float = Field(default=900.0, ge=0)
    """A condition must stay clear this long to resolve; a re-raise sooner is a suppressed flap."""
    sweep_interval_s: float = Field(default=60.0, gt=0)
    """How often stale measures, dead-letter windows and clearing conditions are re-checked."""
    dead_letter_surge_threshold: int = Field(default=20, ge=1, le=100_000)
    dead_letter_surge_window_s: float = Field(default=600.0, gt=0)

    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_backoff_base_s: float = Field(default=2.0, gt=0)
    delivery_backoff_max_s: float = Field(default=300.0, gt=0)
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    delivery_concurrency: int = Field(default=16, ge=1, le=1000)
    delivery_poll_s: float = Field(default=5.0, gt=0)
    """Longest idle wait of the dispatcher between looks for due deliveries."""
    allow_private_webhooks: bool = False
    """Allow loopback/private webhook targets (tests and local stacks only)."""

    smtp_host: str | None = None
    """The SMTP server review emails go through; None: email deliveries fail, saying so."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "QSMO Performance Platform <qsmo-platform@localhost>"
    smtp_starttls: bool = True
    """Require STARTTLS (refused off in production: credentials and packets cross the wire)."""
    smtp_ca_file: str | None = None
    """CA bundle that signs the server's certificate (None: the system's CAs)."""
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    public_url: str | None = None
    """The gateway's public base URL, for absolute packet links in emails (None: paths)."""
