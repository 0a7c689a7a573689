"""When to try a request again, and how long to wait first (docs/ingest.md, *Idempotency*).

Retry on 429, 500, 502, 503, 504 and network errors, with the same body. Wait what
``Retry-After`` says when the server sends it (never less), otherwise back off exponentially
(1 s, 2 s, 4 s … capped) with jitter so that many clients do not come back at once.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request."""

    max_attempts: int = 10
    """Attempts in all, the first one included."""
    base_delay_s: float = 1.0
    """Back-off before the second attempt; doubled for each further one."""
    max_delay_s: float = 300.0
    """Ceiling of the exponential back-off (a ``Retry-After`` may ask for more: it wins)."""
    retry_after_jitter: float = 0.2
    """Up to this fraction of ``Retry-After`` is added, so throttled clients spread out."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s <= 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("need 0 < base_delay_s <= max_delay_s")

    def delay_s(self, attempt: int, retry_after_s: float | None, random_unit: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``random_unit`` is a random number in [0, 1). With ``retry_after_s`` the wait is
        between that and ``(1 + retry_after_jitter)`` times it; without, "equal jitter":
        between half and all of ``min(max_delay_s, base_delay_s * 2 ** (attempt - 1))``.
        """
        if retry_after_s is not None:
            return retry_after_s * (1 + self.retry_after_jitter * random_unit)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** min(attempt - 1, 60))
        return ceiling / 2 + ceiling / 2 * random_unit


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delay-seconds or an HTTP date; None if absent
    or unreadable (then the client backs off on its own). A date in the past gives 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
