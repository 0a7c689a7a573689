"""The QSMO publisher client: send performance events to the ingest API (docs/publishing.md).

``Publisher`` batches, retries and reports; ``Event`` is one observation; ``qsmo-push``
(``qsmo_client.push_cli``) sends a JSON-lines or CSV file; ``qsmo_client.simulator`` is the
``qsmo-sim`` command built on the same client. The publisher itself needs only httpx.
"""

from qsmo_client.events import Event, RawEvent, derived_event_id
from qsmo_client.publisher import (
    AuthenticationError,
    Problem,
    Publisher,
    PublishError,
    PublishReport,
)
from qsmo_client.retry import RetryPolicy

__all__ = [
    "AuthenticationError",
    "Event",
    "Problem",
    "PublishError",
    "PublishReport",
    "Publisher",
    "RawEvent",
    "RetryPolicy",
    "derived_event_id",
]
