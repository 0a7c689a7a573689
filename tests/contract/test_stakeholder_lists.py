"""One suite, two stakeholder-list records: in memory and MongoDB (FerretDB locally), behind
the same ``StakeholderListStore``; and the notifications store reads what the gateway wrote.

Lists round-trip with their members in order, an id is taken once, an update keeps the
creation stamp, a delete is reported once, refusals store nothing.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.notifications.read_model import (
    NotAllowedError,
    NotFoundError,
    StakeholderListReader,
    SubscriptionRejected,
)
from services.notifications.repository import MongoNotificationStore
from services.notifications.stakeholder_store import (
    InMemoryStakeholderListRecords,
    MongoStakeholderListRecords,
    StakeholderListRecords,
    StakeholderListStore,
)
from shared.api_keys import Principal, Role

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
PUBLISHER = Principal(key_id="dev-pub", role=Role.PUBLISHER, qsmo="cybersecurity")
AT = datetime(2026, 1, 15, 9, 30, 0, 123000, tzinfo=UTC)
MEMBERS = [("Jane Doe", "jane.doe@omb.example.gov"), ("Raj Iyer", "raj@omb.example.gov")]


@pytest.fixture(params=["in-memory", "mongo"])
def records(request: pytest.FixtureRequest) -> StakeholderListRecords:
    if request.param == "in-memory":
        return InMemoryStakeholderListRecords()
    return MongoStakeholderListRecords(request.getfixturevalue("mongo_db"))


async def test_a_list_round_trips_and_an_update_keeps_its_creation(
    records: StakeholderListRecords,
) -> None:
    clock = iter([AT, AT.replace(hour=10)])
    store = StakeholderListStore(records, lambda: next(clock))
    created = await store.create(ADMIN, name="OMB", kind="OMB", qsmo=None, members=MEMBERS)
    assert await store.get("omb") == created
    assert [m.address for m in created.members] == [a for _, a in MEMBERS]
    updated = await store.update(ADMIN, "omb", members=MEMBERS[:1], attach_pdf=False)
    assert (updated.created_at, updated.updated_at) == (AT, AT.replace(hour=10))
    assert await store.list(PUBLISHER) == [updated]


async def test_an_id_is_taken_once_and_a_delete_is_reported_once(
    records: StakeholderListRecords,
) -> None:
    store = StakeholderListStore(records, lambda: AT)
    await store.create(ADMIN, name="OMB", kind="OMB", qsmo=None, members=MEMBERS)
    with pytest.raises(SubscriptionRejected) as taken:
        await store.create(ADMIN, name="OMB", kind="OMB", qsmo=None, members=[])
    assert taken.value.field == "id"
    await store.delete(ADMIN, "omb")
    with pytest.raises(NotFoundError):
        await store.delete(ADMIN, "omb")
    with pytest.raises(NotFoundError):
        await store.update(ADMIN, "omb", name="x")


async def test_refusals_store_nothing(records: StakeholderListRecords) -> None:
    store = StakeholderListStore(records, lambda: AT)
    with pytest.raises(NotAllowedError):
        await store.create(PUBLISHER, name="OMB", kind="OMB", qsmo=None, members=MEMBERS)
    with pytest.raises(SubscriptionRejected) as bad:
        await store.create(ADMIN, name="OMB", kind="OMB", qsmo=None, members=[("A", "a@")])
    assert bad.value.field == "members[0].address"
    assert await records.all() == []


async def test_the_service_and_the_read_door_read_what_the_gateway_wrote(mongo_db: Any) -> None:
    store = StakeholderListStore(MongoStakeholderListRecords(mongo_db), lambda: AT)
    created = await store.create(ADMIN, name="OMB", kind="OMB", qsmo=None, members=MEMBERS)
    assert await MongoNotificationStore(mongo_db).stakeholder_lists() == [created]
    reader = StakeholderListReader(mongo_db)
    assert await reader.get("omb") == created
    assert await reader.unknown(["nope", "omb", "gone"]) == ["nope", "gone"]
