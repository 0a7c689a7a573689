"""Fixtures of the abuse suite: one security lane (real ingest + gateway) and the tally.

The lane runs ``python -m services.ingest`` and ``python -m gateway`` as subprocesses on free
ports, on private topics and a private database, at log level DEBUG (so the log check sees
everything they could say). Every module names its ``SECURITY_AREA``; the tally prints one
line per module when it ends and a table of every area when the session ends.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import qsmo_stack

REPO = Path(__file__).resolve().parents[2]
# Reuse the integration suites' helpers (their folders are on sys.path only when collected).
for folder in ("ingest", "gateway", "notifications"):
    path = str(REPO / "tests" / "integration" / folder)
    if path not in sys.path:
        sys.path.insert(0, path)

from security_abuse_support import (  # noqa: E402
    SecurityLane,
    SecurityTally,
    start_security_lane,
    stop_security_lane,
)
from terminal_output import write_terminal_line  # noqa: E402

_TALLY = SecurityTally()


@pytest.fixture(scope="session")
def security_tally(request: pytest.FixtureRequest) -> Iterator[SecurityTally]:
    """Cases tried and failures per area, for the whole session; prints the table at the end."""
    yield _TALLY
    for line in _TALLY.table():
        write_terminal_line(request.config, line)


@pytest.fixture(scope="module", autouse=True)
def security_area_line(
    request: pytest.FixtureRequest, security_tally: SecurityTally
) -> Iterator[None]:
    """Prints the module's ``security: <area>: N cases tried, M failures`` line when it ends."""
    area = getattr(request.module, "SECURITY_AREA", None)
    yield
    if area is not None:
        write_terminal_line(request.config, security_tally.line(area))


@pytest.fixture(scope="session")
async def security_lane(stack: qsmo_stack.Stack) -> AsyncIterator[SecurityLane]:
    """Real ingest and gateway subprocesses on a private lane, for every security module."""
    lane = await start_security_lane(stack)
    try:
        yield lane
    finally:
        stop_security_lane(lane)
