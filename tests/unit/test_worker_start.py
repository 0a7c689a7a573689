"""A worker started while the store or the broker is down waits for them (``retry_at_start``)."""

import pytest
from aiokafka.errors import KafkaConnectionError
from pymongo.errors import ServerSelectionTimeoutError

from shared.worker import START_RETRY_MAX_S, retry_at_start


class Flaky:
    """Fails with ``errors`` in turn, then answers ``done``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


async def test_a_start_step_is_retried_while_the_store_or_broker_is_unreachable() -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    step = Flaky(
        ServerSelectionTimeoutError("store down"),
        KafkaConnectionError("broker down"),
        ConnectionRefusedError("refused"),
        *[ServerSelectionTimeoutError("still down")] * 5,
    )
    assert await retry_at_start(step, "indexes", first_backoff_s=0.5, sleep=sleep) == "done"
    assert step.calls == 9
    assert pauses == [0.5, 1.0, 2.0, 4.0, START_RETRY_MAX_S, START_RETRY_MAX_S, 5.0, 5.0]


async def test_any_other_error_ends_the_start_at_once() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("no retry for a bug")

    step = Flaky(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        await retry_at_start(step, "indexes", sleep=sleep)
    assert step.calls == 1
