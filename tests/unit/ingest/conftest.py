"""Fixtures of the ingest unit tests: an app on the in-memory publisher, keys and a clock."""

from collections.abc import AsyncIterator

import httpx
import pytest
from ingest_support import DevKeys, FakeClock, IngestHarness, build_harness


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def keys() -> DevKeys:
    return DevKeys.generate()


@pytest.fixture
async def harness(keys: DevKeys, clock: FakeClock) -> AsyncIterator[IngestHarness]:
    """The ingest app (in-memory publisher, fake clock) behind an httpx client."""
    async with build_harness(keys, clock) as running:
        yield running


@pytest.fixture
def client(harness: IngestHarness) -> httpx.AsyncClient:
    return harness.client
