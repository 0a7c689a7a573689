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
