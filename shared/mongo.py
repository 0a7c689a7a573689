"""The async MongoDB client factory (PyMongo's native ``AsyncMongoClient``; Motor is EOL)."""

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


UPDATE_BATCH_LIMIT = 50
"""Most update/replace statements sent in one command.

FerretDB 1.24 (SQLite) stops answering an ``update`` command that carries 100 or more
statements (seen on this machine: 99 returns in 0.07 s, 100 never returns). MongoDB takes
100,000; 50 keeps both happy at the cost of a few more round trips.
"""


async def bulk_write_chunked(collection: Any, operations: list[Any]) -> None:
    """``bulk_write`` in commands of at most ``UPDATE_BATCH_LIMIT`` statements, unordered."""
    for start in range(0, len(operations), UPDATE_BATCH_LIMIT):
        await collection.bulk_write(operations[start : start + UPDATE_BATCH_LIMIT], ordered=False)
