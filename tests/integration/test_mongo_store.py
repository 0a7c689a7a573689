"""Insert/find, unique indexes and bulk updates on the real MongoDB-protocol store."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.mongo import create_mongo_client


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


async def _replace_all(collection: Any, ids: list[str], value: int) -> Any:
    operations = [ReplaceOne({"_id": i}, {"_id": i, "value": value}, upsert=True) for i in ids]
    return await collection.bulk_write(operations, ordered=False)


async def test_one_update_command_with_hundreds_of_statements_returns(mongo_db: Any) -> None:
    """Regression: unpatched FerretDB 1.24 held one pooled connection per statement until the
    command returned, so a command of 100+ statements (pool size 100) never returned."""
    ids = [f"k-{n}" for n in range(250)]
    await mongo_db.states.insert_many([{"_id": i, "value": 0} for i in ids])
    result = await asyncio.wait_for(_replace_all(mongo_db.states, ids, 1), timeout=60)
    assert result.matched_count == 250
    assert await mongo_db.states.count_documents({"value": 1}) == 250


async def test_concurrent_update_commands_from_several_writers_all_return(
    mongo_url: str, mongo_db: Any
) -> None:
    """Regression: three writers (three measures instances) each sending a 60-statement update
    used to take all 100 pooled connections between them and wait for each other forever."""
    batches = [[f"w{w}-{n}" for n in range(60)] for w in range(3)]
    await mongo_db.states.insert_many([{"_id": i, "value": 0} for b in batches for i in b])
    clients = [create_mongo_client(mongo_url) for _ in batches]
    try:
        writes = (
            _replace_all(client[mongo_db.name].states, ids, 2)
            for client, ids in zip(clients, batches, strict=True)
        )
        results = await asyncio.wait_for(asyncio.gather(*writes), timeout=60)
    finally:
        for client in clients:
            await client.close()
    assert [r.matched_count for r in results] == [60, 60, 60]
    assert await mongo_db.states.count_documents({"value": 2}) == 180
