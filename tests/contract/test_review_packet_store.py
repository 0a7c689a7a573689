"""One suite, two review-packet stores: in memory and MongoDB (FerretDB locally).

Binary content round-trips, a newer rendering replaces an older one, an older one never
replaces a newer one, formats are kept apart.
"""

from datetime import UTC, datetime

import pytest

from shared.review_packets import InMemoryPacketStore, MongoPacketStore, packet

AT = datetime(2026, 1, 15, tzinfo=UTC)
REVIEW = "FY2026-Q1|cybersecurity"


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> InMemoryPacketStore | MongoPacketStore:
    if request.param == "in-memory":
        return InMemoryPacketStore()
    return MongoPacketStore(request.getfixturevalue("mongo_db"))


async def test_a_stored_packet_reads_back_byte_for_byte(
    store: InMemoryPacketStore | MongoPacketStore,
) -> None:
    assert await store.get(REVIEW, "pdf") is None
    content = bytes(range(256)) * 3
    first = packet(REVIEW, "pdf", 1, content, AT)
    await store.put(first)
    read = await store.get(REVIEW, "pdf")
    assert read is not None
    assert (read.content, read.version, read.sha256, read.built_at) == (
        content,
        1,
        first.sha256,
        AT,
    )
    assert read.filename() == "review-FY2026-Q1-cybersecurity.pdf"
    assert await store.get(REVIEW, "csv") is None


async def test_only_a_newer_rendering_replaces_a_stored_one(
    store: InMemoryPacketStore | MongoPacketStore,
) -> None:
    await store.put(packet(REVIEW, "xlsx", 1, b"first", AT))
    await store.put(packet(REVIEW, "xlsx", 2, b"second", AT))
    await store.put(packet(REVIEW, "xlsx", 1, b"stale", AT))
    newest = await store.get(REVIEW, "xlsx")
    assert newest is not None
    assert (newest.content, newest.version) == (b"second", 2)
