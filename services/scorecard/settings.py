"""Settings of the scorecard service (prefix ``QSMO_SCORECARD_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared import topics
from shared.settings import WorkerSettings


class ScorecardSettings(WorkerSettings):
    """Where it listens, what it consumes and publishes, and how often it looks around."""

    model_config = SettingsConfigDict(env_prefix="QSMO_SCORECARD_", extra="ignore", frozen=True)

    port: int = Field(default=8003, ge=1, le=65535)
    group_id: str = "scorecard"
    values_topic: str = topics.MEASURE_VALUES
    framework_topic: str = topics.FRAMEWORK
    scorecards_topic: str = topics.SCORECARDS
    framework_check_s: float = Field(default=5.0, gt=0)
    """Longest time between two reads of the framework audit log (a ``FrameworkChanged``
    message on the framework topic triggers one at once)."""
    status_refresh_s: float = Field(default=15.0, gt=0)
    """How often the scorecards-by-status gauge is recounted from the store."""
