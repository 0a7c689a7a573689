"""Stakeholder lists, pure: what a valid list is, and which lists a ready review goes to.

No I/O and no clock (time is an argument). ``checked_list`` validates the input of a create
or an update and returns the list to store, or raises ``InvalidStakeholderList`` naming the
field the way GraphQL spells it (``members[2].address``) with why and what to do. Addresses
are checked for syntax only (``email_validator``, no DNS look-up: a list is saved offline) and
kept in their normalised form (the domain lower-cased), so one person is on a list once.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from services.notifications.models import (
    STAKEHOLDER_LIST_KINDS,
    StakeholderList,
    StakeholderMember,
)
from shared.api_keys import Principal
from shared.authorization import Permission, allows

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NAME = 200
MAX_MEMBERS = 500


class InvalidStakeholderList(ValueError):  # noqa: N818 - a refusal of input, named like one
    """``field`` (GraphQL spelling) breaks a rule; ``message`` says why and the fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def slug_of(name: str) -> str:
    """A list id from its name: ``"OMB (RMO)"`` → ``omb-rmo``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def checked_address(address: str, field: str) -> str:
    """The normalised address; ``InvalidStakeholderList`` naming ``field`` otherwise."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidStakeholderList(
            field, f"{address!r} is not an email address: {error}"
        ) from None


def _name(value: str, field: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidStakeholderList(field, "must not be empty")
    if len(cleaned) > MAX_NAME or any(ord(c) < 32 for c in value if c not in "\t\n"):
        raise InvalidStakeholderList(
            field, f"must be at most {MAX_NAME} characters without control characters"
        )
    return cleaned


def checked_members(members: Sequence[tuple[str, str]]) -> tuple[StakeholderMember, ...]:
    """Members from ``(name, address)`` pairs: each named, each a valid and distinct address."""
    if len(members) > MAX_MEMBERS:
        raise InvalidStakeholderList("members", f"at most {MAX_MEMBERS} members per list")
    checked: list[StakeholderMember] = []
    seen: dict[str, int] = {}
    for index, (name, address) in enumerate(members):
        normalised = checked_address(address, f"members[{index}].address")
        if normalised.lower() in seen:
            raise InvalidStakeholderList(
                f"members[{index}].address",
                f"{address!r} is already on the list (members[{seen[normalised.lower()]}])",
            )
        seen[normalised.lower()] = index
        checked.append(
            StakeholderMember(name=_name(name, f"members[{index}].name"), address=normalised)
        )
    return tuple(checked)


def checked_list(
    *,
    list_id: str,
    name: str,
    kind: str,
    qsmo: str | None,
    members: Sequence[tuple[str, str]],
    attach_pdf: bool,
    by: str,
    now: datetime,
    created: StakeholderList | None = None,
) -> StakeholderList:
    """The list to store (``created``: the stored one an update replaces). Whether ``qsmo``
    is a known QSMO is the caller's check (QSMOs are added by framework changes)."""
    cleaned_name = _name(name, "name")
    if not SLUG.match(list_id):
        raise InvalidStakeholderList(
            "id", f"{list_id!r} must be a slug: lower-case letters, digits and -, ≤ 64"
        )
    if kind not in STAKEHOLDER_LIST_KINDS:
        raise InvalidStakeholderList("kind", f"must be one of {', '.join(STAKEHOLDER_LIST_KINDS)}")
    if qsmo is not None and not SLUG.match(qsmo):
        raise InvalidStakeholderList("qsmo", f"{qsmo!r} is not a QSMO id")
    if kind == "QSMO_LEADERSHIP" and qsmo is None:
        raise InvalidStakeholderList("qsmo", "a QSMO_LEADERSHIP list names its QSMO")
    return StakeholderList(
        id=list_id,
        name=cleaned_name,
        kind=kind,  # checked against the kinds above; pydantic validates it again
        qsmo=qsmo,
        members=checked_members(members),
        attach_pdf=attach_pdf,
        created_at=created.created_at if created else now,
        created_by=created.created_by if created else by,
        updated_at=now,
        updated_by=by,
    )


def lists_for_review(
    lists: Iterable[StakeholderList], review_qsmo: str | None, requested: Sequence[str]
) -> list[StakeholderList]:
    """The lists a ready review goes to, by id: the review's own ``requested`` lists if it
    named any (unknown ids are skipped: a list deleted since); else every list for all
    reviews (``qsmo`` None) and, for a QSMO's review, that QSMO's lists."""
    if requested:
        wanted = set(requested)
        chosen = [s for s in lists if s.id in wanted]
    else:
        chosen = [s for s in lists if s.qsmo is None or s.qsmo == review_qsmo]
    return sorted(chosen, key=lambda s: s.id)


def masked(address: str) -> str:
    """``jane.doe@omb.eop.gov`` → ``j…@omb.eop.gov``: what keys that may not manage
    stakeholder lists see of an address (personal data)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def may_see_addresses(principal: Principal) -> bool:
    """Addresses are personal data: only keys that manage the lists see them."""
    return allows(principal, Permission.MANAGE_STAKEHOLDERS)
