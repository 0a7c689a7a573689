"""The async MongoDB client factory (PyMongo's native ``AsyncMongoClient``; Motor is EOL)."""

import asyncio
from collections.abc import Iterable
from typing import Any

from pymongo import AsyncMongoClient


def create_mongo_client(url: str, **overrides: Any) -> AsyncMongoClient[dict[str, Any]]:
    """A client with timezone-aware datetimes and short, explicit timeouts.

    ``retryWrites`` is off because FerretDB 1.24 (the local store) has no sessions; every
    write the platform makes is idempotent and retried by its caller instead.
    """
    options: dict[str, Any] = {
        "tz_aware": True,
        "serverSelectionTimeoutMS": 5_000,
        "connectTimeoutMS": 5_000,
        "retryWrites": False,
        "appname": "qsmo-platform",
    }
    options.update(overrides)
    return AsyncMongoClient(url, **options)


UPDATE_BATCH_LIMIT = 500
"""Most update/replace statements sent in one command.

Unpatched FerretDB 1.24 holds one of its 100 pooled SQLite connections per statement until
an ``update`` command returns, so a command of 100+ statements, or several concurrent ones,
never returned; the local stack builds FerretDB with a fix (docs/local-infra.md,
FERRETDB_PATCHES). MongoDB takes 100,000 per command; 500 bounds one command's size and time.
"""


async def bulk_write_chunked(collection: Any, operations: list[Any]) -> None:
    """``bulk_write`` in commands of at most ``UPDATE_BATCH_LIMIT`` statements, unordered."""
    for start in range(0, len(operations), UPDATE_BATCH_LIMIT):
        await collection.bulk_write(operations[start : start + UPDATE_BATCH_LIMIT], ordered=False)


async def find_by_ids(
    collection: Any, ids: Iterable[str], concurrency: int = 8
) -> list[dict[str, Any]]:
    """The documents with these ``_id`` values, by one point lookup each.

    FerretDB 1.24 answers ``{_id: {$in: [...]}}`` with a scan of the whole collection, but a
    single ``{_id: value}`` with the _id index (see docs/local-infra.md); MongoDB is
    fast either way. Lookups run ``concurrency`` at a time.
    """
    limit = asyncio.Semaphore(concurrency)

    async def one(document_id: str) -> dict[str, Any] | None:
        async with limit:
            found: dict[str, Any] | None = await collection.find_one({"_id": document_id})
            return found

    results = await asyncio.gather(*(one(i) for i in ids))
    return [document for document in results if document is not None]
