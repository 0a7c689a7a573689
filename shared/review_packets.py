"""Where rendered review packets are kept: one document per (review, format).

The gateway's packet worker writes (``put``), the gateway's HTTP routes and the notifications
service (email attachments) read (``get``): like the framework audit log, a collection with a
writer outside one of its readers' rooms, so it lives in ``shared``. Collection
``review_packets``; ``_id`` ``<review id>|<format>``; the bytes are BSON binary (a packet is
far below the 16 MB document limit: a government-wide PDF is a few hundred kB).

``InMemoryPacketStore`` is the fake for unit tests; both pass
``tests/unit/test_review_packets_contract.py``.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pymongo.errors import DuplicateKeyError

COLLECTION = "review_packets"
PacketFormat = Literal["pdf", "xlsx", "csv"]
FORMATS: tuple[PacketFormat, ...] = ("pdf", "xlsx", "csv")
MEDIA_TYPES: dict[PacketFormat, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class StoredPacket:
    """One rendering of one review's packet in one format."""

    review_id: str
    format: PacketFormat
    version: int
    content: bytes
    sha256: str
    built_at: datetime

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def filename(self) -> str:
        """``review-FY2025-Q2-cybersecurity.pdf``: safe in a Content-Disposition header."""
        stem = self.review_id.replace("|", "-")
        return f"review-{stem}.{self.format}"


def packet(
    review_id: str, fmt: PacketFormat, version: int, content: bytes, built_at: datetime
) -> StoredPacket:
    """A ``StoredPacket`` with its SHA-256 computed."""
    digest = hashlib.sha256(content).hexdigest()
    return StoredPacket(review_id, fmt, version, content, digest, built_at)


class PacketStore(Protocol):
    async def put(self, stored: StoredPacket) -> None:
        """Store (or replace with a newer version) one format of a review's packet."""

    async def get(self, review_id: str, fmt: PacketFormat) -> StoredPacket | None: ...


def _id(review_id: str, fmt: str) -> str:
    return f"{review_id}|{fmt}"


class MongoPacketStore:
    def __init__(self, database: Any) -> None:
        self._packets = database[COLLECTION]

    async def put(self, stored: StoredPacket) -> None:
        document = {
            "review_id": stored.review_id,
            "format": stored.format,
            "version": stored.version,
            "content": stored.content,
            "sha256": stored.sha256,
            "built_at": stored.built_at,
        }
        key = _id(stored.review_id, stored.format)
        try:
            await self._packets.insert_one({"_id": key, **document})
        except DuplicateKeyError:
            # Never replace a newer rendering with an older one (two workers, a slow first).
            await self._packets.update_one(
                {"_id": key, "version": {"$lte": stored.version}}, {"$set": document}
            )

    async def get(self, review_id: str, fmt: PacketFormat) -> StoredPacket | None:
        document = await self._packets.find_one({"_id": _id(review_id, fmt)})
        if document is None:
            return None
        built_at = document["built_at"]
        return StoredPacket(
            review_id=document["review_id"],
            format=document["format"],
            version=document["version"],
            content=bytes(document["content"]),
            sha256=document["sha256"],
            built_at=built_at if built_at.tzinfo else built_at.replace(tzinfo=UTC),
        )


class InMemoryPacketStore:
    def __init__(self) -> None:
        self._packets: dict[str, StoredPacket] = {}

    async def put(self, stored: StoredPacket) -> None:
        key = _id(stored.review_id, stored.format)
        existing = self._packets.get(key)
        if existing is None or existing.version <= stored.version:
            self._packets[key] = stored

    async def get(self, review_id: str, fmt: PacketFormat) -> StoredPacket | None:
        return self._packets.get(_id(review_id, fmt))


@dataclass(frozen=True)
class RenderedPacket:
    """One rendering of a review's packet in every format, as the packet builder returns it.

    ``summary``: one line for emails and ``ReviewReady`` ("Overall AMBER (82.4): 2 RED, 3
    AMBER measures"). ``pages``: the PDF's page count."""

    pdf: bytes
    xlsx: bytes
    csv: bytes
    pages: int
    summary: str

    def content(self, fmt: PacketFormat) -> bytes:
        return {"pdf": self.pdf, "xlsx": self.xlsx, "csv": self.csv}[fmt]
