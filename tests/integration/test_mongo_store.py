"""Insert/find and unique-index enforcement on the real MongoDB-protocol store."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError


async def test_insert_and_find_round_trip_keeps_types(mongo_db: Any) -> None:
    at = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    await mongo_db.things.insert_one({"_id": "a", "value": 4.25, "at": at, "tags": ["x", "y"]})
    found = await mongo_db.things.find_one({"_id": "a"})
    assert found == {"_id": "a", "value": 4.25, "at": at, "tags": ["x", "y"]}


async def test_unique_index_rejects_a_duplicate_key(mongo_db: Any) -> None:
    await mongo_db.events.create_index("event_id", unique=True)
    await mongo_db.events.insert_one({"event_id": "e-1", "value": 1})
    with pytest.raises(DuplicateKeyError):
        await mongo_db.events.insert_one({"event_id": "e-1", "value": 2})
    stored = await mongo_db.events.find({"event_id": "e-1"}).to_list()
    assert [doc["value"] for doc in stored] == [1]


async def test_unordered_bulk_insert_reports_duplicates_and_keeps_the_rest(mongo_db: Any) -> None:
    await mongo_db.events.insert_one({"_id": "e-2", "value": 1})
    with pytest.raises(BulkWriteError) as raised:
        await mongo_db.events.insert_many(
            [{"_id": "e-1"}, {"_id": "e-2"}, {"_id": "e-3"}], ordered=False
        )
    codes = [error["code"] for error in raised.value.details["writeErrors"]]
    assert codes == [11000]
    assert sorted(await mongo_db.events.distinct("_id")) == ["e-1", "e-2", "e-3"]
