"""Stakeholder lists: where they are kept, and the store the gateway writes them through.

``StakeholderListStore(records, clock=…)`` creates, changes, deletes and lists the lists a
ready review's packet is emailed to (``shared.authorization``: ``MANAGE_STAKEHOLDERS``,
admins; anyone who reads may list them, and ``stakeholders.may_see_addresses`` says who sees the
addresses, which are personal data). The rules of a valid list are ``stakeholders.py``'s.
``records`` is ``MongoStakeholderListRecords(database)`` (collection
``notification_stakeholder_lists``, written by the gateway, read by this service's review
handler) or ``InMemoryStakeholderListRecords()`` for unit tests; both pass
``tests/contract/test_stakeholder_lists.py``. Exported through ``write_port``.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from services.notifications import documents as docs
from services.notifications.models import StakeholderList
from services.notifications.read_model import NotAllowedError, NotFoundError, SubscriptionRejected
from services.notifications.stakeholders import (
    InvalidStakeholderList,
    checked_list,
    slug_of,
)
from shared.api_keys import Principal
from shared.authorization import Permission, PermissionDenied, require

Clock = Callable[[], datetime]
Member = tuple[str, str]


class Unchanged:
    """An update argument that was not given (``None`` means "none" for ``qsmo``)."""


UNCHANGED = Unchanged()


class StakeholderListRecords(Protocol):
    """Storage of stakeholder lists, by id."""

    async def all(self) -> list[StakeholderList]: ...
    async def get(self, list_id: str) -> StakeholderList | None: ...
    async def insert(self, stakeholders: StakeholderList) -> bool:
        """False when the id is taken."""

    async def replace(self, stakeholders: StakeholderList) -> None: ...
    async def delete(self, list_id: str) -> bool:
        """False when there was no such list."""


class MongoStakeholderListRecords:
    def __init__(self, database: Any) -> None:
        self._lists = database[docs.STAKEHOLDER_LISTS]

    async def all(self) -> list[StakeholderList]:
        found = await self._lists.find({}).sort("_id").to_list()
        return [docs.stakeholder_list_from(d) for d in found]

    async def get(self, list_id: str) -> StakeholderList | None:
        found = await self._lists.find_one({"_id": list_id})
        return None if found is None else docs.stakeholder_list_from(found)

    async def insert(self, stakeholders: StakeholderList) -> bool:
        try:
            await self._lists.insert_one(docs.stakeholder_list_document(stakeholders))
        except DuplicateKeyError:
            return False
        return True

    async def replace(self, stakeholders: StakeholderList) -> None:
        document = docs.stakeholder_list_document(stakeholders)
        await self._lists.replace_one({"_id": stakeholders.id}, document)

    async def delete(self, list_id: str) -> bool:
        return bool((await self._lists.delete_one({"_id": list_id})).deleted_count)


class InMemoryStakeholderListRecords:
    def __init__(self) -> None:
        self.lists: dict[str, StakeholderList] = {}

    async def all(self) -> list[StakeholderList]:
        return [self.lists[k] for k in sorted(self.lists)]

    async def get(self, list_id: str) -> StakeholderList | None:
        return self.lists.get(list_id)

    async def insert(self, stakeholders: StakeholderList) -> bool:
        if stakeholders.id in self.lists:
            return False
        self.lists[stakeholders.id] = stakeholders
        return True

    async def replace(self, stakeholders: StakeholderList) -> None:
        if stakeholders.id in self.lists:
            self.lists[stakeholders.id] = stakeholders

    async def delete(self, list_id: str) -> bool:
        return self.lists.pop(list_id, None) is not None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _millis(now: datetime) -> datetime:
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class StakeholderListStore:
    """Validated, admin-managed stakeholder lists."""

    def __init__(self, records: StakeholderListRecords, clock: Clock = _utc_now) -> None:
        self._records = records
        self._clock = clock

    async def list(self, principal: Principal) -> list[StakeholderList]:
        """Every list, by id (any key that reads; see ``may_see_addresses``)."""
        self._check(principal, Permission.READ)
        return await self._records.all()

    async def get(self, list_id: str) -> StakeholderList | None:
        return await self._records.get(list_id)

    async def create(
        self,
        principal: Principal,
        *,
        name: str,
        kind: str,
        qsmo: str | None,
        members: Sequence[Member],
        attach_pdf: bool = True,
        list_id: str | None = None,
    ) -> StakeholderList:
        """Store a new list (``list_id`` default: the slug of ``name``)."""
        self._check(principal, Permission.MANAGE_STAKEHOLDERS)
        identifier = slug_of(name) if list_id is None else list_id
        if not identifier and name.strip():
            raise SubscriptionRejected(
                "id", f"no id can be made from the name {name!r}: give an id (a-z, 0-9, -)"
            )
        with _rejected():
            created = checked_list(
                list_id=identifier,
                name=name,
                kind=kind,
                qsmo=qsmo,
                members=members,
                attach_pdf=attach_pdf,
                by=principal.key_id,
                now=_millis(self._clock()),
            )
        if not await self._records.insert(created):
            raise SubscriptionRejected(
                "id",
                f"a stakeholder list {identifier!r} exists already: update it, or choose another id",
            )
        return created

    async def update(
        self,
        principal: Principal,
        list_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        qsmo: str | Unchanged | None = UNCHANGED,
        members: Sequence[Member] | None = None,
        attach_pdf: bool | None = None,
    ) -> StakeholderList:
        """Change the given fields of a list (the others stay)."""
        self._check(principal, Permission.MANAGE_STAKEHOLDERS)
        stored = await self._records.get(list_id)
        if stored is None:
            raise NotFoundError(f"no stakeholder list with id {list_id!r}")
        with _rejected():
            updated = checked_list(
                list_id=list_id,
                name=stored.name if name is None else name,
                kind=stored.kind if kind is None else kind,
                qsmo=stored.qsmo if isinstance(qsmo, Unchanged) else qsmo,
                members=[(m.name, m.address) for m in stored.members]
                if members is None
                else members,
                attach_pdf=stored.attach_pdf if attach_pdf is None else attach_pdf,
                by=principal.key_id,
                now=_millis(self._clock()),
                created=stored,
            )
        await self._records.replace(updated)
        return updated

    async def delete(self, principal: Principal, list_id: str) -> None:
        self._check(principal, Permission.MANAGE_STAKEHOLDERS)
        if not await self._records.delete(list_id):
            raise NotFoundError(f"no stakeholder list with id {list_id!r}")

    @staticmethod
    def _check(principal: Principal, permission: Permission) -> None:
        try:
            require(principal, permission, None)
        except PermissionDenied as denied:
            raise NotAllowedError(denied.message) from None


@contextmanager
def _rejected() -> Iterator[None]:
    """Turn ``InvalidStakeholderList`` into the door's ``SubscriptionRejected``."""
    try:
        yield
    except InvalidStakeholderList as error:
        raise SubscriptionRejected(error.field, error.message) from None
