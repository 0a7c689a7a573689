"""``shared.tasks``: stopping background loops even when a library swallows a cancellation."""

import asyncio

from shared.tasks import being_cancelled, cancel_and_wait


class SwallowingClient:
    """Like PyMongo in server selection: a cancellation comes out as an ordinary error."""

    async def call(self) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ConnectionError("server selection interrupted") from None


async def test_a_loop_whose_library_swallows_the_cancellation_still_stops() -> None:
    errors: list[str] = []

    async def naive_retry_loop() -> None:
        while True:
            try:
                await SwallowingClient().call()
            except Exception as error:
                errors.append(str(error))
            await asyncio.sleep(3600)  # a long retry interval

    task = asyncio.create_task(naive_retry_loop())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancel_and_wait(task, grace_s=0.05), timeout=5)
    assert task.done()
    assert errors == ["server selection interrupted"]  # swallowed once, then cancelled again


async def test_a_loop_that_checks_being_cancelled_stops_at_the_first_cancellation() -> None:
    attempts = 0

    async def careful_retry_loop() -> None:
        nonlocal attempts
        while True:
            attempts += 1
            try:
                await SwallowingClient().call()
            except Exception as error:
                if being_cancelled():
                    raise asyncio.CancelledError from error
            await asyncio.sleep(3600)

    task = asyncio.create_task(careful_retry_loop())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancel_and_wait(task, grace_s=30), timeout=5)
    assert task.cancelled()
    assert attempts == 1
