"""Background asyncio tasks of a service: started with a logged exit, stopped by cancelling."""

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


def start_logged(coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """Run ``coroutine`` as a task whose unexpected end is logged as an error."""
    task = asyncio.create_task(coroutine, name=name)
    task.add_done_callback(_log_exit)
    return task


async def cancel_and_wait(task: asyncio.Task[None] | None, grace_s: float = 5.0) -> None:
    """Cancel ``task`` (if any) and wait until it has finished.

    Cancels again every ``grace_s`` seconds while it runs: a library that turns the
    cancellation into an ordinary error (PyMongo can, in the middle of server selection)
    would otherwise leave a retry loop running and the caller waiting forever. The grace is
    long enough for a task's own clean-up (a Kafka consumer leaving its group) to finish.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=grace_s)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def being_cancelled() -> bool:
    """True when the running task has a cancellation pending (even one a library swallowed).

    Retry loops check it in their ``except Exception`` so they stop instead of retrying.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def raise_if_cancelled(error: BaseException) -> None:
    """In a retry loop's ``except Exception``: stop (CancelledError) if the task is being
    cancelled, since a client library may have turned the cancellation into ``error``."""
    if being_cancelled():
        raise asyncio.CancelledError from error


def _log_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s stopped", task.get_name(), exc_info=task.exception())
