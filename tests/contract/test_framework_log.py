"""One suite, two adapters: the framework audit log in memory and in MongoDB."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.events import FrameworkChanged
from shared.framework_log import (
    DuplicateChangeError,
    InMemoryFrameworkLog,
    MongoFrameworkLog,
)


def _change(change_id: str, qsmo: str | None = None) -> FrameworkChanged:
    return FrameworkChanged(
        change_id=change_id,
        kind="weight",
        measure="customer-engagement",
        value=2.0,
        qsmo=qsmo,
        actor="a",
        reason="r",
        changed_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


@pytest.fixture(params=["in-memory", "mongo"])
def framework_log(request: pytest.FixtureRequest) -> Any:
    if request.param == "in-memory":
        return InMemoryFrameworkLog()
    return MongoFrameworkLog(request.getfixturevalue("mongo_db"))


async def test_changes_are_numbered_in_order_and_paged(framework_log: Any) -> None:
    assert [await framework_log.append(_change(f"c{i}"), f"c{i}") for i in range(1, 5)] == [
        1,
        2,
        3,
        4,
    ]
    after = await framework_log.after(2)
    assert [(r.seq, r.change.change_id, r.change.details["seq"]) for r in after] == [
        (3, "c3", "3"),
        (4, "c4", "4"),
    ]
    assert [r.seq for r in await framework_log.page(2)] == [4, 3]
    assert [r.seq for r in await framework_log.page(10, before_seq=3)] == [2, 1]
    assert await framework_log.seq_of("c2") == 2
    assert await framework_log.seq_of("nope") is None


async def test_a_unique_key_is_taken_once(framework_log: Any) -> None:
    await framework_log.append(_change("a", "travel"), "qsmo|travel")
    with pytest.raises(DuplicateChangeError):
        await framework_log.append(_change("b", "travel"), "qsmo|travel")
    assert [r.change.change_id for r in await framework_log.after(0)] == ["a"]


async def test_concurrent_appends_get_distinct_numbers(framework_log: Any) -> None:
    seqs = await asyncio.gather(
        *(framework_log.append(_change(f"p{i}"), f"p{i}") for i in range(8))
    )
    assert sorted(seqs) == list(range(1, 9))
