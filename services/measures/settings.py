"""Settings of the measures service (prefix ``QSMO_MEASURES_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.measures.state_cache import DEFAULT_MAX_STATES
from shared import topics
from shared.settings import WorkerSettings


class MeasuresSettings(WorkerSettings):
    """Where it listens, what it consumes and how big its batches are."""

    model_config = SettingsConfigDict(env_prefix="QSMO_MEASURES_", extra="ignore", frozen=True)

    port: int = Field(default=8002, ge=1, le=65535)
    group_id: str = "measures"
    events_topic: str = topics.EVENTS
    dlq_topic: str = topics.EVENTS_DLQ
    values_topic: str = topics.MEASURE_VALUES
    max_batch_records: int = Field(default=5_000, ge=1, le=50_000)
    """Most records in one batch. A backlog fills batches up to this: events that share a
    batch share their state writes (a fiscal year touched by 1,000 events is written once).
    Bounded because a batch's fold runs without yielding to the consumer's heartbeats: on a
    starved machine 10,000 came close to the 10 s session timeout (the member was expelled)."""
    batch_linger_ms: int = Field(default=50, ge=0, le=500)
    """How long a batch that is not full waits for more records once the first came: under a
    trickle more events then share a batch's writes, for at most this much added latency."""
    state_cache_max_states: int = Field(default=DEFAULT_MAX_STATES, ge=1)
    """Period states (and, apart, stream states) kept in memory; least recently used go first.

    ~1 KB each. Past the cap the service reads a state it dropped from the store again, and
    looks up every key it does not hold (docs/operations.md, "Measures state cache")."""
