"""A token bucket per API key: pure arithmetic, the clock is an argument.

Each key has a bucket of ``burst`` tokens that refills at ``rate_per_s`` tokens per second;
a request costs one token per event. A request that finds too few tokens takes none and is
told how long to wait (``Retry-After``).
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """A bucket's state: ``tokens`` available as of ``updated_at`` (monotonic seconds)."""

    tokens: float
    updated_at: float


@dataclass(frozen=True)
class Decision:
    """Whether a request may proceed; if not, the whole seconds to wait before retrying."""

    allowed: bool
    retry_after_s: int = 0


def refill(bucket: Bucket, now: float, rate_per_s: float, burst: int) -> Bucket:
    """The bucket at ``now``: topped up by elapsed time * rate, capped at ``burst``.

    A clock that appears to go backwards adds nothing (elapsed time counts as zero).
    """
    elapsed = max(0.0, now - bucket.updated_at)
    tokens = min(float(burst), bucket.tokens + elapsed * rate_per_s)
    return Bucket(tokens=tokens, updated_at=max(now, bucket.updated_at))


def take(
    bucket: Bucket | None, cost: int, now: float, rate_per_s: float, burst: int
) -> tuple[Bucket, Decision]:
    """Try to spend ``cost`` tokens at ``now``; a new key starts with a full bucket.

    Returns the new state and the decision. A refused request spends nothing; its
    ``retry_after_s`` is the time until enough tokens have accumulated, rounded up, at
    least 1 s. A ``cost`` above ``burst`` can never pass (settings forbid it).
    """
    current = refill(bucket or Bucket(float(burst), now), now, rate_per_s, burst)
    if cost <= current.tokens:
        return Bucket(current.tokens - cost, current.updated_at), Decision(allowed=True)
    wait_s = max(1, math.ceil((cost - current.tokens) / rate_per_s))
    if current.tokens + wait_s * rate_per_s < cost:  # the division rounded down a hair
        wait_s += 1
    return current, Decision(allowed=False, retry_after_s=wait_s)


class RateLimiter:
    """The buckets of every key that has called (bounded by the number of keys)."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, Bucket] = {}

    def take(self, key_id: str, cost: int, now: float) -> Decision:
        """Spend ``cost`` tokens of ``key_id``'s bucket at monotonic time ``now``."""
        bucket, decision = take(self._buckets.get(key_id), cost, now, self.rate_per_s, self.burst)
        self._buckets[key_id] = bucket
        return decision
