"""Waiting for a component: a condition polled until a deadline, HTTP probes, coroutines."""

import asyncio
import time
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .console import StackError

T = TypeVar("T")


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str, log_file: Path | None
) -> None:
    """Poll ``condition`` every 0.2 s; past the deadline raise with the end of ``log_file``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = ""
    if log_file and log_file.exists():
        tail = (
            "\n--- last lines of "
            + str(log_file)
            + " ---\n"
            + "\n".join(log_file.read_text(errors="replace").splitlines()[-25:])
        )
    raise StackError(f"{what} did not become ready within {timeout_s:.0f} s{tail}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except Exception:
        return False


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion, also when called from inside a running event loop
    (a test fixture): then on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
