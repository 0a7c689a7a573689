"""The annual data call as GraphQL types (FRAMEWORK.md rev. 2).

Kept apart from the domain models (``shared.domain.data_call_versions``): ``from_model``
builds each type. Who sees what: a caller who fills in or reviews the provider's tools
(``DataCalls.may_see_work``) sees every version with its sections, reason and review; anyone
else sees the status and the ACCEPTED versions only (what agencies compare providers on), and
each shown version's changes are counted from the previous version they may see.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.context import Info
from gateway.errors import BadUserInputError, ConflictError, ForbiddenError, NotFoundError
from gateway.provider_tools.data_calls import (
    DataCallConflictError,
    UnknownDataCallError,
    UnknownProviderError,
)
from gateway.schema import fields
from gateway.schema.admin_types import Person
from gateway.schema.provider_types import Provider, provider_by_id
from gateway.schema.tier_types import ProviderCost
from shared.authorization import PermissionDenied
from shared.domain import data_call_versions as model
from shared.domain.data_call import DataCallSchema, cost_figures
from shared.domain.data_call_diff import SectionChange, diff_sections
from shared.domain.data_call_validation import DataCallInvalid


@strawberry.enum(description="Where a provider's data call for a fiscal year stands.")
class DataCallStatus(Enum):
    NOT_SUBMITTED = "NOT_SUBMITTED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


@strawberry.enum(description="A reviewer's decision on the data-call version under review.")
class DataCallDecision(Enum):
    ACCEPT = "ACCEPT"
    RETURN = "RETURN"


@strawberry.enum(description="How a version arrived: `submitDataCall`, or a workbook upload.")
class DataCallSource(Enum):
    GRAPHQL = "GRAPHQL"
    WORKBOOK = "WORKBOOK"


@strawberry.enum(description="A row added or removed, or one field's value changed.")
class DataCallChangeKind(Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


def status_of(call: model.DataCall | None) -> DataCallStatus:
    return DataCallStatus.NOT_SUBMITTED if call is None else DataCallStatus[call.status.name]


def cost_of(sections: Mapping[str, Any], fiscal_year: int) -> ProviderCost:
    return ProviderCost.from_figures(cost_figures(sections, fiscal_year))


@strawberry.type(description="What a reviewer decided about a version.")
class DataCallReview:
    decision: DataCallDecision
    comments: str | None
    reviewed_by: str = strawberry.field(description="The reviewer's API key id.")
    reviewed_at: datetime
    reviewed_by_person: Person | None = strawberry.field(
        default=None, description="Reviewed with a sign-in token: who (null for a key)."
    )


@strawberry.type(description="One difference between two versions of a data call.")
class DataCallChange:
    section: str
    key: str | None = strawberry.field(
        description="The row's key (a metric id, a function, a fiscal year, a system name, a "
        "contract number); null in demographics."
    )
    field: str | None = strawberry.field(
        description="The field whose value changed; null when a whole row was added or removed."
    )
    kind: DataCallChangeKind
    before: JSON | None = strawberry.field(description="The old value (or row); null if none.")
    after: JSON | None = strawberry.field(description="The new value (or row); null if none.")
    description: str = strawberry.field(
        description="In words, e.g. `staffing 'payroll' federal_fte: 10 → 12`."
    )

    @classmethod
    def from_model(cls, change: SectionChange) -> "DataCallChange":
        return cls(
            section=change.section,
            key=change.key,
            field=change.field,
            kind=DataCallChangeKind[change.kind.name],
            before=JSON(change.before),
            after=JSON(change.after),
            description=change.describe(),
        )


def changes_between(
    schema: DataCallSchema, before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> list[DataCallChange]:
    if before is None:
        return []
    return [DataCallChange.from_model(c) for c in diff_sections(schema, before, after)]


@strawberry.type(description="One submitted version of a data call (immutable but its review).")
class DataCallVersion:
    version: int = strawberry.field(description="1, 2, … in submission order.")
    status: DataCallStatus
    template_version: str = strawberry.field(description="The section schemas' version.")
    submitted_by: str = strawberry.field(description="The submitter's API key id.")
    submitted_at: datetime
    reason: str | None = strawberry.field(description="Why it corrects the version before.")
    source: DataCallSource
    review: DataCallReview | None
    sections: JSON = strawberry.field(
        description="The six sections as submitted (see dataCallSchema)."
    )
    cost: ProviderCost = strawberry.field(description="The cost figures this version yields.")
    changes: list[DataCallChange] = strawberry.field(
        description="What changed since the version shown before it (empty for the first)."
    )
    submitted_by_person: Person | None = strawberry.field(
        default=None, description="Submitted with a sign-in token: who (null for a key)."
    )

    @classmethod
    def from_model(
        cls,
        schema: DataCallSchema,
        fiscal_year: int,
        version: model.DataCallVersion,
        before: Mapping[str, Any] | None,
    ) -> "DataCallVersion":
        review = version.review
        return cls(
            version=version.number,
            status=DataCallStatus[version.status.name],
            template_version=version.template_version,
            submitted_by=version.submitted_by,
            submitted_by_person=Person.from_model(version.submitted_by_person),
            submitted_at=version.submitted_at,
            reason=version.reason,
            source=DataCallSource[version.source.name],
            review=None
            if review is None
            else DataCallReview(
                decision=DataCallDecision[review.decision.name],
                comments=review.comments,
                reviewed_by=review.by,
                reviewed_at=review.at,
                reviewed_by_person=Person.from_model(review.person),
            ),
            sections=JSON(version.sections),
            cost=cost_of(version.sections, fiscal_year),
            changes=changes_between(schema, before, version.sections),
        )


@strawberry.type(
    description="A provider's annual data call for a fiscal year, with its audit trail."
)
class DataCall:
    id: strawberry.ID = strawberry.field(description="`<provider>|FY<fiscal year>`.")
    provider_id: strawberry.ID
    fiscal_year: int
    status: DataCallStatus = strawberry.field(description="The latest version's status.")
    latest_version: int
    accepted_version: int | None = strawberry.field(
        description="The newest ACCEPTED version: what providerComparison's cost shows."
    )
    cost: ProviderCost | None = strawberry.field(
        description="Cost figures of the accepted version; null before one is accepted."
    )
    versions: list[DataCallVersion] = strawberry.field(
        description="Oldest first. Who fills in or reviews the provider's tools sees every "
        "version; anyone else the ACCEPTED ones."
    )
    _schema: strawberry.Private[DataCallSchema]
    _shown: strawberry.Private[dict[int, dict[str, Any]]]

    @classmethod
    def from_model(cls, schema: DataCallSchema, call: model.DataCall, *, full: bool) -> "DataCall":
        shown = [v for v in call.versions if full or v.status is model.DataCallStatus.ACCEPTED]
        versions, before = [], None
        for version in shown:
            versions.append(DataCallVersion.from_model(schema, call.fiscal_year, version, before))
            before = version.sections
        accepted = call.accepted
        return cls(
            id=strawberry.ID(call.id),
            provider_id=strawberry.ID(call.provider),
            fiscal_year=call.fiscal_year,
            status=status_of(call),
            latest_version=call.latest.number,
            accepted_version=None if accepted is None else accepted.number,
            cost=None if accepted is None else cost_of(accepted.sections, call.fiscal_year),
            versions=versions,
            _schema=schema,
            _shown={v.number: v.sections for v in shown},
        )

    @fields.field(description="The provider.")
    async def provider(self, info: Info) -> Provider | None:
        return await provider_by_id(info, self.provider_id)

    @fields.field(
        description="The field-level differences from version `from` to version `to` (both "
        "among the versions the caller sees)."
    )
    def diff(
        self,
        from_version: Annotated[int, strawberry.argument(name="from")],
        to_version: Annotated[int, strawberry.argument(name="to")],
    ) -> list[DataCallChange]:
        for number, name in ((from_version, "from"), (to_version, "to")):
            if number not in self._shown:
                raise BadUserInputError(
                    f"{name}: no version {number} to compare (versions: "
                    f"{', '.join(str(n) for n in self._shown) or 'none'})",
                    field=name,
                )
        return changes_between(self._schema, self._shown[from_version], self._shown[to_version])


@strawberry.type(description="One provider of the QSMO and where its data call stands.")
class DataCallStatusRow:
    provider: Provider
    status: DataCallStatus
    latest_version: int | None
    submitted_at: datetime | None = strawberry.field(
        description="When the latest version was submitted."
    )
    accepted_version: int | None
    cost: ProviderCost | None = strawberry.field(
        description="From the accepted version; null before one is accepted."
    )


@strawberry.type(description="One section of the data call and its JSON Schema.")
class DataCallSection:
    name: str = strawberry.field(description="Also the workbook's sheet name.")
    title: str
    description: str
    rows: bool = strawberry.field(description="True: a list of rows; false: one set of fields.")
    row_key: str | None = strawberry.field(description="The field a row is known by.")
    json_schema: JSON = strawberry.field(description="The section's JSON Schema 2020-12.")


@strawberry.type(
    name="DataCallSchema", description="The data call's section schemas (one version)."
)
class DataCallSchemaType:
    version: str = strawberry.field(description="Also the workbook template's version.")
    sections: list[DataCallSection]

    @classmethod
    def from_model(cls, schema: DataCallSchema) -> "DataCallSchemaType":
        return cls(
            version=schema.version,
            sections=[
                DataCallSection(
                    name=s.name,
                    title=s.title,
                    description=s.description,
                    rows=s.has_rows,
                    row_key=s.row_key,
                    json_schema=JSON(dict(s.schema)),
                )
                for s in schema.sections
            ],
        )


@contextmanager
def translated_refusals() -> Iterator[None]:
    """The data-call tool's refusals as the gateway's coded errors: FORBIDDEN, NOT_FOUND,
    BAD_USER_INPUT (a validation's ``extensions.problems`` lists every problem by section,
    row and field; a lifecycle refusal's ``extensions.reason`` is its stable code) and
    CONFLICT."""
    try:
        yield
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message, field="provider") from None
    except UnknownProviderError as error:
        raise NotFoundError(str(error), field="provider") from None
    except UnknownDataCallError as error:
        raise NotFoundError(str(error), field="id") from None
    except DataCallInvalid as invalid:
        problems = [
            {"section": p.section, "row": p.row, "field": p.field, "message": p.message}
            for p in invalid.problems
        ]
        raise BadUserInputError(str(invalid), field="sections", problems=problems) from None
    except model.DataCallRefused as refused:
        raise BadUserInputError(
            refused.message, field=refused.field, reason=refused.code.value
        ) from None
    except DataCallConflictError as error:
        raise ConflictError(str(error), field="id") from None
