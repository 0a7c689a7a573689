"""GraphQL enums, kept apart from the domain's so the API stays stable if the code changes.

Each value equals the domain value it mirrors, so ``Status(domain_status.value)`` converts.
"""

from enum import Enum

import strawberry


@strawberry.enum(description="Traffic-light status of a measure, dimension or scorecard.")
class Status(Enum):
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"
    NO_DATA = "NO_DATA"


@strawberry.enum(description="How a measure's events combine into one value for a period.")
class Aggregation(Enum):
    SUM = "sum"
    MEAN = "mean"
    LATEST = "latest"


@strawberry.enum(description="Whether a larger value is better (HIGHER) or worse (LOWER).")
class Direction(Enum):
    HIGHER = "higher"
    LOWER = "lower"


@strawberry.enum(
    description="ACTIVE dimensions are scored; PROPOSED ones accept events and are scored "
    "only once an admin adopts them with a phase."
)
class DimensionStatus(Enum):
    ACTIVE = "active"
    PROPOSED = "proposed"


@strawberry.enum(description="ACTIVE: the framework in force; DRAFT: held beside it.")
class FrameworkStatus(Enum):
    ACTIVE = "active"
    DRAFT = "draft"


@strawberry.enum(description="Expected reporting frequency of a measure.")
class Frequency(Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


@strawberry.enum(description="What an API key may do.")
class Role(Enum):
    ADMIN = "admin"
    PUBLISHER = "publisher"
    VIEWER = "viewer"
    PROVIDER = "provider"


@strawberry.enum(description="The kind of window a value covers.")
class PeriodKind(Enum):
    FISCAL_YEAR = "fiscal_year"
    FISCAL_QUARTER = "fiscal_quarter"
    MONTH = "month"
    DAY = "day"
    ROLLING = "rolling"


@strawberry.enum(description="Points of a measure series.")
class SeriesGranularity(Enum):
    MONTH = "month"
    FISCAL_QUARTER = "fiscal_quarter"


@strawberry.enum(description="Why a scorecard version was made.")
class ScorecardCause(Enum):
    NEW_DATA = "new_data"
    RESTATEMENT = "restatement"
    FRAMEWORK_CHANGE = "framework_change"
    RESCORE = strawberry.enum_value(
        "rescore",
        description="A new day moved an open year's expected-to-date targets and a status "
        "changed (no new data).",
    )
    RULES_REVISION = strawberry.enum_value(
        "rules_revision",
        description="Recomputed under a new revision of the scoring rules "
        "(`causeDetail.reason`, e.g. `rules-revision-2`).",
    )


@strawberry.enum(description="Where an improvement action stands.")
class ImprovementActionStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
    DRAFT = strawberry.enum_value(
        "DRAFT",
        description="Opened by the Adjust loop; a person confirms it (OPEN) or cancels it.",
    )


@strawberry.enum(description="Who opened an improvement action.")
class ImprovementActionOrigin(Enum):
    PERSON = "person"
    ADJUST_LOOP = "adjust-loop"


@strawberry.enum(description="How serious a notification is.")
class Severity(Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@strawberry.enum(description="RAISED while its condition holds, RESOLVED once it cleared.")
class NotificationState(Enum):
    RAISED = "raised"
    RESOLVED = "resolved"


@strawberry.enum(description="Where a webhook delivery stands.")
class DeliveryStatus(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.enum(description="What an audited framework change did.")
class FrameworkChangeKind(Enum):
    TARGET = "target"
    WEIGHT = "weight"
    BASELINE = "baseline"
    DIMENSION_ADOPTED = "dimension_adopted"
    QSMO_ADDED = "qsmo_added"
    PROVIDER_ADDED = "provider_added"
    PROVIDER_UPDATED = "provider_updated"
    PROVIDER_RETIRED = "provider_retired"
    SLA_TARGET = strawberry.enum_value(
        "sla_target", description="A provider's SLA target for a measure (`value`)."
    )


@strawberry.enum(description="The level of a scorecard a status change happened at.")
class ScoreLevel(Enum):
    MEASURE = "measure"
    DIMENSION = "dimension"
    OVERALL = "overall"
