"""A provider's data call for one fiscal year: its versions and their review (pure).

Every submission is a new immutable version (1, 2, …) with who, when, the template version
and — from the second on — the reason for the correction. The latest version is
``SUBMITTED`` until a reviewer ``ACCEPT``s or ``RETURN``s it (returning needs comments); while
one is under review no other may be submitted. An accepted version stays what
``providerComparison`` shows until a correction is accepted in its turn
(``DataCall.accepted``); ``data_call_diff`` summarizes what changed between versions.

Time is an argument: nothing here reads the clock.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.api_keys import Person
from shared.domain.fiscal import fiscal_year_of

MAX_VERSIONS = 50
"""Versions one provider may submit for one fiscal year (bounds the stored document)."""
MAX_TEXT = 2000
"""Characters of a reason or review comments."""


class DataCallStatus(StrEnum):
    """Where a version stands: under review, accepted, or returned for correction."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class Decision(StrEnum):
    """A reviewer's decision on the version under review."""

    ACCEPT = "accept"
    RETURN = "return"


class SubmissionSource(StrEnum):
    """How a version arrived: the ``submitDataCall`` mutation or an uploaded workbook."""

    GRAPHQL = "graphql"
    WORKBOOK = "workbook"


class Review(BaseModel):
    """Who decided what about a version, when, and why."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    comments: str | None
    by: str
    at: AwareDatetime
    person: Person | None = None
    """Decided with a sign-in token: the person (sub, name, issuer)."""


class DataCallVersion(BaseModel):
    """One submission; its sections never change (only its status and review do, once)."""

    model_config = ConfigDict(frozen=True)

    number: int
    template_version: str
    sections: dict[str, Any]
    submitted_by: str
    submitted_at: AwareDatetime
    reason: str | None
    source: SubmissionSource
    status: DataCallStatus
    review: Review | None = None
    submitted_by_person: Person | None = None
    """Submitted with a sign-in token: the person."""


class DataCall(BaseModel):
    """A provider's data call of one fiscal year: every version, oldest first.

    ``revision`` counts stored changes; the store replaces a document only if its revision
    is still the one read (compare-and-set).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    provider: str
    fiscal_year: int
    revision: int
    versions: tuple[DataCallVersion, ...]

    @property
    def latest(self) -> DataCallVersion:
        return self.versions[-1]

    @property
    def status(self) -> DataCallStatus:
        """The latest version's status."""
        return self.latest.status

    @property
    def accepted(self) -> DataCallVersion | None:
        """The newest accepted version (what cost figures come from), if any."""
        return next(
            (v for v in reversed(self.versions) if v.status is DataCallStatus.ACCEPTED), None
        )

    def version(self, number: int) -> DataCallVersion | None:
        return self.versions[number - 1] if 1 <= number <= len(self.versions) else None


FIRST_FISCAL_YEAR = 2022
"""The framework's first fiscal year: the earliest a data call may be for."""


def fiscal_year_refusal(fiscal_year: int, now: datetime) -> str | None:
    """Why ``fiscal_year`` cannot have a data call at ``now`` (None: it can): from FY2022 to
    the fiscal year after the current one (a provider may report ahead of a year's end)."""
    latest = fiscal_year_of(now) + 1
    if FIRST_FISCAL_YEAR <= fiscal_year <= latest:
        return None
    return (
        f"there is no FY{fiscal_year} data call: give a fiscal year from {FIRST_FISCAL_YEAR} "
        f"(the framework's first) to {latest}"
    )


def data_call_id(provider: str, fiscal_year: int) -> str:
    """``doi-ibc|FY2026``: one data call per provider and fiscal year."""
    return f"{provider}|FY{fiscal_year}"


class RefusalCode(StrEnum):
    """Why a submission or a review was refused (stable; clients may branch on them)."""

    UNDER_REVIEW = "under_review"
    REASON_REQUIRED = "reason_required"
    TOO_MANY_VERSIONS = "too_many_versions"
    NOT_UNDER_REVIEW = "not_under_review"
    NOT_THE_VERSION_UNDER_REVIEW = "not_the_version_under_review"
    COMMENTS_REQUIRED = "comments_required"
    TEXT_TOO_LONG = "text_too_long"
    NO_SUCH_FISCAL_YEAR = "no_such_fiscal_year"
    PROVIDER_RETIRED = "provider_retired"


class DataCallRefused(ValueError):  # noqa: N818 - a refusal of input, like ValueError
    """The lifecycle forbids this now; ``field`` names the argument to change, if one."""

    def __init__(self, code: RefusalCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def submit(
    call: DataCall | None,
    *,
    provider: str,
    fiscal_year: int,
    sections: dict[str, Any],
    template_version: str,
    by: str,
    at: datetime,
    reason: str | None,
    source: SubmissionSource,
    person: Person | None = None,
) -> DataCall:
    """``call`` with a new ``SUBMITTED`` version of (already validated) ``sections``.

    Refused while the latest version is under review, for a correction (any version after
    the first) without a reason, and after ``MAX_VERSIONS`` versions.
    """
    reason = _text(reason, "reason")
    if call is not None:
        _check_correction(call, reason)
    version = DataCallVersion(
        number=1 if call is None else len(call.versions) + 1,
        template_version=template_version,
        sections=sections,
        submitted_by=by,
        submitted_by_person=person,
        submitted_at=at,
        reason=reason,
        source=source,
        status=DataCallStatus.SUBMITTED,
    )
    if call is None:
        return DataCall(
            id=data_call_id(provider, fiscal_year),
            provider=provider,
            fiscal_year=fiscal_year,
            revision=1,
            versions=(version,),
        )
    return call.model_copy(
        update={"revision": call.revision + 1, "versions": (*call.versions, version)}
    )


def _check_correction(call: DataCall, reason: str | None) -> None:
    """A version after the first: refused while one is under review, without a reason, and
    past ``MAX_VERSIONS``."""
    latest = call.latest
    if latest.status is DataCallStatus.SUBMITTED:
        raise DataCallRefused(
            RefusalCode.UNDER_REVIEW,
            f"version {latest.number} of {call.provider}'s FY{call.fiscal_year} data call is "
            f"under review since {latest.submitted_at:%Y-%m-%d %H:%M} UTC; wait for the review, "
            "or ask the reviewer to return it, then submit your correction",
        )
    if reason is None:
        raise DataCallRefused(
            RefusalCode.REASON_REQUIRED,
            f"version {latest.number} exists ({latest.status.value}), so this is a "
            "correction: give a reason saying what changed and why",
            field="reason",
        )
    if len(call.versions) >= MAX_VERSIONS:
        raise DataCallRefused(
            RefusalCode.TOO_MANY_VERSIONS,
            f"FY{call.fiscal_year} already has {MAX_VERSIONS} versions; ask the QSMO to help",
        )


def review(
    call: DataCall,
    *,
    decision: Decision,
    comments: str | None,
    by: str,
    at: datetime,
    version: int | None = None,
    person: Person | None = None,
) -> DataCall:
    """``call`` with its version under review accepted or returned.

    ``version`` (optional) must be the one under review: a reviewer who looked at an older
    one is told so. Returning needs comments (what to correct).
    """
    latest = call.latest
    if latest.status is not DataCallStatus.SUBMITTED:
        raise DataCallRefused(
            RefusalCode.NOT_UNDER_REVIEW,
            f"nothing of {call.provider}'s FY{call.fiscal_year} data call is under review: "
            f"version {latest.number} is {latest.status.value} already",
        )
    if version is not None and version != latest.number:
        raise DataCallRefused(
            RefusalCode.NOT_THE_VERSION_UNDER_REVIEW,
            f"version {version} is not under review; version {latest.number} is — look at it "
            "and review that one",
            field="version",
        )
    comments = _text(comments, "comments")
    if decision is Decision.RETURN and comments is None:
        raise DataCallRefused(
            RefusalCode.COMMENTS_REQUIRED,
            "returning a data call needs comments: tell the provider what to correct",
            field="comments",
        )
    status = DataCallStatus.ACCEPTED if decision is Decision.ACCEPT else DataCallStatus.RETURNED
    reviewed = latest.model_copy(
        update={
            "status": status,
            "review": Review(decision=decision, comments=comments, by=by, at=at, person=person),
        }
    )
    return call.model_copy(
        update={"revision": call.revision + 1, "versions": (*call.versions[:-1], reviewed)}
    )


def _text(value: str | None, field: str) -> str | None:
    """Trimmed text, None when empty; refused beyond ``MAX_TEXT`` characters."""
    cleaned = (value or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise DataCallRefused(
            RefusalCode.TEXT_TOO_LONG,
            f"{field} has {len(cleaned)} characters; shorten it to at most {MAX_TEXT}",
            field=field,
        )
    return cleaned or None
