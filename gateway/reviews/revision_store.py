"""Where revision proposals are kept: MongoDB (``gateway_revision_proposals``) or memory.

One document per proposal; a decision is a compare-and-set on ``revision`` (so two admins
deciding at once cannot both win). Pages are newest first by (``proposed_at``, id);
``qsmo`` None lists every scope, the global proposals (``qsmo`` null) among them.
"""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from gateway.pagination import Position
from gateway.reviews.revisions import RevisionProposal, RevisionStatus
from shared.domain.catalog import Catalog
from shared.domain.review_packet import ProposalRecord

COLLECTION = "gateway_revision_proposals"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _document(proposal: RevisionProposal) -> dict[str, Any]:
    return {"_id": proposal.id, **proposal.model_dump(mode="python", exclude={"id"})}


def _proposal(document: dict[str, Any]) -> RevisionProposal:
    fields = {k: v for k, v in document.items() if k != "_id"}
    for name in ("proposed_at", "decided_at"):
        if fields.get(name) is not None:
            fields[name] = _utc(fields[name])
    return RevisionProposal(id=document["_id"], **fields)


class MongoRevisionStore:
    def __init__(self, database: Any) -> None:
        self._proposals = database[COLLECTION]

    async def create_indexes(self) -> None:
        await self._proposals.create_index(
            [("qsmo", ASCENDING), ("status", ASCENDING), ("proposed_at", DESCENDING)]
        )
        await self._proposals.create_index([("proposed_at", DESCENDING)])

    async def insert(self, proposal: RevisionProposal) -> None:
        await self._proposals.insert_one(_document(proposal))

    async def get(self, proposal_id: str) -> RevisionProposal | None:
        found = await self._proposals.find_one({"_id": proposal_id})
        return None if found is None else _proposal(found)

    async def replace(self, proposal: RevisionProposal, expected_revision: int) -> bool:
        result = await self._proposals.replace_one(
            {"_id": proposal.id, "revision": expected_revision}, _document(proposal)
        )
        return bool(result.matched_count)

    async def page(
        self,
        qsmo: str | None,
        status: RevisionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[RevisionProposal]:
        query: dict[str, Any] = {}
        if qsmo is not None:
            query["qsmo"] = qsmo
        if status is not None:
            query["status"] = status.value
        if after is not None:
            at = _utc(after.at)
            query["$or"] = [
                {"proposed_at": {"$lt": at}},
                {"proposed_at": at, "_id": {"$lt": after.id}},
            ]
        cursor = (
            self._proposals.find(query).sort([("proposed_at", -1), ("_id", -1)]).limit(size + 1)
        )
        return [_proposal(d) for d in await cursor.to_list()]


class InMemoryRevisionStore:
    def __init__(self) -> None:
        self.proposals: dict[str, RevisionProposal] = {}

    async def create_indexes(self) -> None:
        return None

    async def insert(self, proposal: RevisionProposal) -> None:
        if proposal.id in self.proposals:
            raise ValueError(f"revision proposal {proposal.id!r} exists")
        self.proposals[proposal.id] = proposal

    async def get(self, proposal_id: str) -> RevisionProposal | None:
        return self.proposals.get(proposal_id)

    async def replace(self, proposal: RevisionProposal, expected_revision: int) -> bool:
        current = self.proposals.get(proposal.id)
        if current is None or current.revision != expected_revision:
            return False
        self.proposals[proposal.id] = proposal
        return True

    async def page(
        self,
        qsmo: str | None,
        status: RevisionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[RevisionProposal]:
        chosen = [
            p
            for p in _newest_first(self.proposals.values())
            if qsmo in (None, p.qsmo)
            and status in (None, p.status)
            and (after is None or (_utc(p.proposed_at), p.id) < (_utc(after.at), after.id))
        ]
        return chosen[: size + 1]


def _newest_first(proposals: Iterable[RevisionProposal]) -> list[RevisionProposal]:
    return sorted(proposals, key=lambda p: (_utc(p.proposed_at), p.id), reverse=True)


OPEN_PROPOSALS_READ = 100
"""Most open proposals a packet lists per scope (the newest)."""


def open_proposals_for_packets(
    store: MongoRevisionStore | InMemoryRevisionStore, catalog: Catalog
) -> Callable[[str | None], Awaitable[Sequence[ProposalRecord]]]:
    """The packet builder's ``OpenProposals`` over this store: a QSMO's review lists the
    proposals made in its scope and the global ones (``qsmo`` None), the government-wide
    review every open proposal."""

    async def open_proposals(qsmo: str | None) -> Sequence[ProposalRecord]:
        found = await store.page(None, RevisionStatus.PROPOSED, OPEN_PROPOSALS_READ, None)
        chosen = [p for p in found if qsmo is None or p.qsmo in (qsmo, None)]
        return [
            ProposalRecord(
                id=p.id,
                qsmo=p.qsmo,
                measure=p.measure,
                kind=p.kind.value,
                proposed_value=p.proposed_value,
                unit=catalog.framework_for_measure(p.measure).measure(p.measure).unit,
                rationale=p.rationale,
            )
            for p in chosen[:OPEN_PROPOSALS_READ]
        ]

    return open_proposals
