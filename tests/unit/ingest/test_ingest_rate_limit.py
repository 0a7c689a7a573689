"""The per-key token bucket: table-driven cases and properties over arbitrary schedules."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.ingest.rate_limit import Bucket, RateLimiter, refill, take


@pytest.mark.parametrize(
    ("tokens", "elapsed", "cost", "allowed", "retry_after", "left"),
    [
        (10.0, 0.0, 10, True, 0, 0.0),  # a full bucket pays a full burst
        (10.0, 0.0, 11, False, 1, 10.0),  # never more than the burst; refused costs nothing
        (0.0, 0.0, 1, False, 1, 0.0),  # empty: wait at least one second
        (0.0, 0.5, 1, True, 0, 0.0),  # 0.5 s at 2/s refills one token
        (0.0, 0.25, 2, False, 1, 0.5),  # 1.5 tokens missing at 2/s -> 0.75 s -> 1 s
        (0.0, 100.0, 5, True, 0, 5.0),  # refill caps at the burst of 10
        (3.0, -5.0, 3, True, 0, 0.0),  # a clock going backwards adds nothing
    ],
)
def test_take_spends_or_refuses(
    tokens: float, elapsed: float, cost: int, allowed: bool, retry_after: int, left: float
) -> None:
    bucket, decision = take(Bucket(tokens, 100.0), cost, 100.0 + elapsed, rate_per_s=2, burst=10)
    assert decision.allowed is allowed
    assert decision.retry_after_s == retry_after
    assert bucket.tokens == pytest.approx(left)


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    _, decision = take(Bucket(0.0, 0.0), 250, 0.0, rate_per_s=100, burst=1000)
    assert decision.retry_after_s == 3  # 2.5 s rounded up


def test_a_new_key_starts_full_and_keys_do_not_share_buckets() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=5)
    assert limiter.take("a", 5, now=0.0).allowed
    assert not limiter.take("a", 1, now=0.0).allowed
    assert limiter.take("b", 5, now=0.0).allowed


@given(
    schedule=st.lists(st.tuples(st.floats(0, 5, allow_nan=False), st.integers(1, 20)), max_size=60),
    rate=st.floats(0.5, 50),
)
def test_admitted_events_never_exceed_burst_plus_rate_times_time(
    schedule: list[tuple[float, int]], rate: float
) -> None:
    burst, now, admitted, limiter = 20, 0.0, 0, RateLimiter(rate, 20)
    for gap, cost in schedule:
        now += gap
        if limiter.take("k", cost, now).allowed:
            admitted += cost
    assert admitted <= burst + rate * now + 1e-6


@given(tokens=st.floats(0, 20), cost=st.integers(1, 20), rate=st.floats(0.1, 100))
@example(tokens=0.6, cost=15, rate=0.6)  # 14.4 / 0.6 rounds to 23.999…: was 1 s short
def test_waiting_retry_after_is_enough(tokens: float, cost: int, rate: float) -> None:
    bucket, decision = take(Bucket(tokens, 0.0), cost, 0.0, rate, burst=20)
    if decision.allowed:
        return
    _, later = take(bucket, cost, float(decision.retry_after_s), rate, burst=20)
    assert later.allowed


def test_refill_keeps_the_latest_time() -> None:
    assert refill(Bucket(1.0, 10.0), 5.0, 1.0, 10) == Bucket(1.0, 10.0)
