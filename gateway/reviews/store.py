"""Where reviews are kept: collection ``gateway_reviews``, one document per review.

``_id`` is ``review_id(qsmo, fy, q)``, so a second review of the same scope and quarter is a
duplicate key (``ReviewExistsError``). A person's step is a compare-and-set on ``revision``
(``replace``); the packet worker's steps are targeted updates that also bump ``revision``
(claim a job, finish it, mark the review announced), so a person's step that raced one of
them fails and is applied again on the new state (``gateway.reviews.service``).

The packet job lives on the review (``packet``): ``PENDING`` (``retry_at`` passed) or
``RENDERING`` with an expired lease is claimable; ``claim_packet`` moves it to
``RENDERING`` with a lease, atomically (``find_one_and_update``), so two gateways never
render the same version at once.

``InMemoryReviewStore`` is the fake for unit tests; both pass
``tests/contract/test_review_store.py``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from gateway.pagination import Position
from shared.domain.reviews import PacketInfo, PacketStatus, Review, ReviewState

COLLECTION = "gateway_reviews"
ANNOUNCED_STATES = (ReviewState.READY, ReviewState.HELD)


class ReviewExistsError(Exception):
    """A review with this id (scope and quarter) is already stored."""


@dataclass(frozen=True)
class ReviewFilter:
    """Which reviews a page lists; ``government_wide`` True: only the government-wide ones,
    False: only QSMOs' (``qsmo`` narrows to one)."""

    qsmo: str | None = None
    government_wide: bool | None = None
    fiscal_year: int | None = None
    state: ReviewState | None = None

    def matches(self, review: Review) -> bool:
        return (
            (self.qsmo is None or review.qsmo == self.qsmo)
            and (self.government_wide is None or (review.qsmo is None) == self.government_wide)
            and (self.fiscal_year is None or review.fiscal_year == self.fiscal_year)
            and (self.state is None or review.state is self.state)
        )


class ReviewStore(Protocol):
    async def insert(self, review: Review) -> None:
        """Store a new review; ``ReviewExistsError`` if its id is taken."""

    async def get(self, review_id: str) -> Review | None: ...

    async def replace(self, review: Review, expected_revision: int) -> bool:
        """Write ``review`` if the stored revision is still ``expected_revision``."""

    async def page(self, where: ReviewFilter, size: int, after: Position | None) -> list[Review]:
        """Newest first by (cut-off, id), ``size + 1`` at most."""

    async def previous(
        self, qsmo: str | None, before: datetime, excluding: str | None = None
    ) -> Review | None:
        """The scope's review with the latest cut-off before ``before`` (any fiscal year),
        other than ``excluding`` (the review whose previous one is asked for)."""

    async def claim_packet(self, now: datetime, lease_until: datetime) -> Review | None:
        """Take one claimable packet job (RENDERING, leased until ``lease_until``)."""

    async def finish_packet(
        self, review_id: str, version: int, packet: PacketInfo
    ) -> Review | None:
        """Record the end of rendering ``version`` (DONE, or a failed attempt); None when that
        version is no longer the one being rendered (a newer one was asked for)."""

    async def mark_announced(self, review_id: str) -> None: ...

    async def unannounced(self, limit: int) -> list[Review]:
        """READY or HELD reviews whose DONE packet was not announced yet (the sweep's)."""

    async def pending_jobs(self) -> int:
        """Packets asked for and not rendered yet (PENDING or RENDERING)."""


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _document(review: Review) -> dict[str, Any]:
    document = review.model_dump(mode="python", exclude={"id"})
    document["meeting_date"] = review.meeting_date.isoformat()  # BSON has no date type
    document["decisions"] = [
        {**d, "due_date": None if d["due_date"] is None else d["due_date"].isoformat()}
        for d in document["decisions"]
    ]
    return {"_id": review.id, **document}


def _review(document: dict[str, Any]) -> Review:
    data = {**document, "id": document["_id"]}
    del data["_id"]
    for name in ("cut_off", "created_at", "updated_at"):
        data[name] = _utc(data[name])
    data["history"] = [{**s, "at": _utc(s["at"])} for s in data["history"]]
    packet = dict(data["packet"])
    for name in ("requested_at", "built_at", "lease_until", "retry_at"):
        packet[name] = _utc(packet.get(name))
    data["packet"] = packet
    return Review.model_validate(data)


def claimable(packet: PacketInfo, now: datetime) -> bool:
    if packet.status is PacketStatus.PENDING:
        return packet.retry_at is None or packet.retry_at <= now
    if packet.status is PacketStatus.RENDERING:
        return packet.lease_until is None or packet.lease_until <= now
    return False


def _after(after: Position | None) -> dict[str, Any]:
    if after is None:
        return {}
    at = _utc(after.at)
    return {"$or": [{"cut_off": {"$lt": at}}, {"cut_off": at, "_id": {"$lt": after.id}}]}


class MongoReviewStore:
    def __init__(self, database: Any) -> None:
        self._reviews = database[COLLECTION]

    async def create_indexes(self) -> None:
        await self._reviews.create_index([("qsmo", ASCENDING), ("cut_off", DESCENDING)])
        await self._reviews.create_index([("packet.status", ASCENDING)])

    async def insert(self, review: Review) -> None:
        try:
            await self._reviews.insert_one(_document(review))
        except DuplicateKeyError:
            raise ReviewExistsError(review.id) from None

    async def get(self, review_id: str) -> Review | None:
        document = await self._reviews.find_one({"_id": review_id})
        return None if document is None else _review(document)

    async def replace(self, review: Review, expected_revision: int) -> bool:
        result = await self._reviews.replace_one(
            {"_id": review.id, "revision": expected_revision}, _document(review)
        )
        return bool(result.matched_count)

    async def page(self, where: ReviewFilter, size: int, after: Position | None) -> list[Review]:
        query: dict[str, Any] = _after(after)
        if where.qsmo is not None:
            query["qsmo"] = where.qsmo
        if where.government_wide is not None and where.qsmo is None:
            query["qsmo"] = None if where.government_wide else {"$ne": None}
        if where.fiscal_year is not None:
            query["fiscal_year"] = where.fiscal_year
        if where.state is not None:
            query["state"] = where.state.value
        cursor = self._reviews.find(query).sort([("cut_off", -1), ("_id", -1)]).limit(size + 1)
        found = [_review(d) for d in await cursor.to_list()]
        return [r for r in found if where.matches(r)]

    async def previous(
        self, qsmo: str | None, before: datetime, excluding: str | None = None
    ) -> Review | None:
        cursor = (
            self._reviews.find(
                {"qsmo": qsmo, "cut_off": {"$lt": _utc(before)}, "_id": {"$ne": excluding}}
            )
            .sort([("cut_off", -1), ("_id", -1)])
            .limit(1)
        )
        found = await cursor.to_list()
        return _review(found[0]) if found else None

    async def claim_packet(self, now: datetime, lease_until: datetime) -> Review | None:
        document = await self._reviews.find_one_and_update(
            {
                "$or": [
                    {"packet.status": PacketStatus.PENDING.value, "packet.retry_at": None},
                    {"packet.status": PacketStatus.PENDING.value, "packet.retry_at": {"$lte": now}},
                    {"packet.status": PacketStatus.RENDERING.value, "packet.lease_until": None},
                    {
                        "packet.status": PacketStatus.RENDERING.value,
                        "packet.lease_until": {"$lte": now},
                    },
                ]
            },
            {
                "$set": {
                    "packet.status": PacketStatus.RENDERING.value,
                    "packet.lease_until": lease_until,
                },
                "$inc": {"revision": 1},
            },
            sort=[("packet.requested_at", 1), ("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return None if document is None else _review(document)

    async def finish_packet(
        self, review_id: str, version: int, packet: PacketInfo
    ) -> Review | None:
        document = await self._reviews.find_one_and_update(
            {
                "_id": review_id,
                "packet.version": version,
                "packet.status": PacketStatus.RENDERING.value,
            },
            {"$set": {"packet": packet.model_dump(mode="python")}, "$inc": {"revision": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return None if document is None else _review(document)

    async def mark_announced(self, review_id: str) -> None:
        await self._reviews.update_one(
            {"_id": review_id}, {"$set": {"announced": True}, "$inc": {"revision": 1}}
        )

    async def unannounced(self, limit: int) -> list[Review]:
        cursor = (
            self._reviews.find(
                {
                    "state": {"$in": [s.value for s in ANNOUNCED_STATES]},
                    "announced": False,
                    "packet.status": PacketStatus.DONE.value,
                }
            )
            .sort("_id", 1)
            .limit(limit)
        )
        return [_review(d) for d in await cursor.to_list()]

    async def pending_jobs(self) -> int:
        statuses = [PacketStatus.PENDING.value, PacketStatus.RENDERING.value]
        return int(await self._reviews.count_documents({"packet.status": {"$in": statuses}}))


class InMemoryReviewStore:
    def __init__(self) -> None:
        self.reviews: dict[str, Review] = {}

    async def insert(self, review: Review) -> None:
        if review.id in self.reviews:
            raise ReviewExistsError(review.id)
        self.reviews[review.id] = review

    async def get(self, review_id: str) -> Review | None:
        return self.reviews.get(review_id)

    async def replace(self, review: Review, expected_revision: int) -> bool:
        current = self.reviews.get(review.id)
        if current is None or current.revision != expected_revision:
            return False
        self.reviews[review.id] = review
        return True

    async def page(self, where: ReviewFilter, size: int, after: Position | None) -> list[Review]:
        chosen = [
            r
            for r in self.reviews.values()
            if where.matches(r)
            and (after is None or (r.cut_off, r.id) < (_utc(after.at), after.id))
        ]
        chosen.sort(key=lambda r: (r.cut_off, r.id), reverse=True)
        return chosen[: size + 1]

    async def previous(
        self, qsmo: str | None, before: datetime, excluding: str | None = None
    ) -> Review | None:
        earlier = [
            r
            for r in self.reviews.values()
            if r.qsmo == qsmo and r.cut_off < before and r.id != excluding
        ]
        return max(earlier, key=lambda r: (r.cut_off, r.id), default=None)

    async def claim_packet(self, now: datetime, lease_until: datetime) -> Review | None:
        jobs = [r for r in self.reviews.values() if claimable(r.packet, now)]
        if not jobs:
            return None
        job = min(jobs, key=lambda r: (r.packet.requested_at or r.created_at, r.id))
        packet = job.packet.model_copy(
            update={"status": PacketStatus.RENDERING, "lease_until": lease_until}
        )
        claimed = job.model_copy(update={"packet": packet, "revision": job.revision + 1})
        self.reviews[job.id] = claimed
        return claimed

    async def finish_packet(
        self, review_id: str, version: int, packet: PacketInfo
    ) -> Review | None:
        current = self.reviews.get(review_id)
        if (
            current is None
            or current.packet.version != version
            or current.packet.status is not PacketStatus.RENDERING
        ):
            return None
        finished = current.model_copy(update={"packet": packet, "revision": current.revision + 1})
        self.reviews[review_id] = finished
        return finished

    async def mark_announced(self, review_id: str) -> None:
        current = self.reviews[review_id]
        self.reviews[review_id] = current.model_copy(
            update={"announced": True, "revision": current.revision + 1}
        )

    async def unannounced(self, limit: int) -> list[Review]:
        found = [
            r
            for r in sorted(self.reviews.values(), key=lambda r: r.id)
            if r.state in ANNOUNCED_STATES
            and not r.announced
            and r.packet.status is PacketStatus.DONE
        ]
        return found[:limit]

    async def pending_jobs(self) -> int:
        busy = (PacketStatus.PENDING, PacketStatus.RENDERING)
        return sum(1 for r in self.reviews.values() if r.packet.status in busy)
