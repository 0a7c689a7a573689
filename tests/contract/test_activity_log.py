"""One suite, two activity logs (the reviews' audit log): in memory and MongoDB."""

from datetime import UTC, datetime, timedelta

import pytest

from gateway.pagination import Position
from gateway.reviews.activity_log import ActivityEntry, InMemoryActivityLog, MongoActivityLog
from shared.api_keys import Person

AT = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.fixture(params=["in-memory", "mongo"])
def log(request: pytest.FixtureRequest) -> InMemoryActivityLog | MongoActivityLog:
    if request.param == "in-memory":
        return InMemoryActivityLog()
    return MongoActivityLog(request.getfixturevalue("mongo_db"))


def _entry(entry_id: str, minutes: int, qsmo: str | None = "cybersecurity") -> ActivityEntry:
    return ActivityEntry(
        id=entry_id,
        at=AT + timedelta(minutes=minutes),
        actor="automation:adjust-loop",
        action="action.drafted",
        qsmo=qsmo,
        subject=entry_id.split(":", 1)[1],
        summary="drafted",
        details={"measure": "incident-response-time"},
    )


async def test_an_entry_records_once(log: InMemoryActivityLog | MongoActivityLog) -> None:
    assert await log.record(_entry("action.drafted:a1", 0)) is True
    assert await log.record(_entry("action.drafted:a1", 5)) is False
    page = await log.page(None, None, 10, None)
    assert [(e.id, e.at) for e in page] == [("action.drafted:a1", AT)]
    assert page[0].details == {"measure": "incident-response-time"}


async def test_pages_are_newest_first_and_filtered(
    log: InMemoryActivityLog | MongoActivityLog,
) -> None:
    for index in range(5):
        await log.record(_entry(f"action.drafted:a{index}", index))
    await log.record(_entry("action.drafted:g1", 9, qsmo=None))
    first = await log.page("cybersecurity", None, 2, None)
    assert [e.id for e in first] == ["action.drafted:a4", "action.drafted:a3", "action.drafted:a2"]
    rest = await log.page("cybersecurity", None, 2, Position(first[1].at, first[1].id))
    assert [e.id for e in rest] == ["action.drafted:a2", "action.drafted:a1", "action.drafted:a0"]
    assert [e.id for e in await log.page(None, "a3", 5, None)] == ["action.drafted:a3"]
    assert (await log.page(None, None, 1, None))[0].id == "action.drafted:g1"


async def test_a_persons_step_keeps_the_person(log: InMemoryActivityLog | MongoActivityLog) -> None:
    person = Person(sub="00u1ada", name="Ada Admin", issuer="https://login.agency.example")
    entry = _entry("review.ready:r1", 0).model_copy(
        update={"actor": "oidc:agency:00u1ada", "action": "review.ready", "person": person}
    )
    await log.record(entry)
    await log.record(_entry("action.drafted:a1", 1))
    page = {e.id: e for e in await log.page(None, None, 10, None)}
    assert page["review.ready:r1"] == entry
    assert page["action.drafted:a1"].person is None
