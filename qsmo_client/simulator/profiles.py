"""What the simulated QSMO systems report: one feed per measure, one profile per QSMO.

Levels are per-event means at the start of FY2022 (1 October 2021); ``trend_per_year`` moves
them as years pass. Seasonality runs over fiscal months (October … September): ``rate_season``
scales how many events a month has, ``level_season`` is added to the level. A QSMO's
``skill`` shifts every level by that many ``skill_unit`` (signed so that skill is good news);
for count feeds it scales the number of events instead.

The story: every QSMO mostly meets its targets and improves; Human Resources runs short on
financial benefits (AMBER), Financial Management's employees rate its solutions a little
below target, and Grants Management's Marketplace Operations slips during
FY2025 — slower TORB reviews, more missed SLAs, fewer innovations — into RED from FY2026 on.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class ValueKind(StrEnum):
    """How a measure's event values look."""

    SCORE = "score"
    """A 1–5 rating with one decimal (a survey result for one agency or team)."""
    PERCENT = "percent"
    """0–100 with one decimal (a monthly or quarterly snapshot)."""
    COUNT = "count"
    """A whole number ≥ 1 (engagements logged, adoptions, innovations)."""
    DOLLARS = "dollars"
    """Whole US dollars."""
    DAYS = "days"
    """Days with one decimal, at least 1."""


NO_RATE_SEASON = (1.0,) * 12
NO_LEVEL_SEASON = (0.0,) * 12


@dataclass(frozen=True)
class Feed:
    """How one measure's events are generated for every QSMO."""

    measure: str
    kind: ValueKind
    events_per_month: float
    level: float
    spread: float
    trend_per_year: float = 0.0
    skill_unit: float = 0.0
    rate_season: tuple[float, ...] = NO_RATE_SEASON
    level_season: tuple[float, ...] = NO_LEVEL_SEASON
    quarterly: bool = False
    """Exactly one event in the middle month of each fiscal quarter (else Poisson monthly)."""
    max_count: int = 3
    with_agency: bool = False
    attribute: str | None = None


@dataclass(frozen=True)
class Slip:
    """A QSMO getting worse on some measures between ``start`` and ``full`` (then staying)."""

    dimension: str
    start: datetime
    full: datetime
    level_shift: dict[str, float] = field(default_factory=dict)
    rate_factor: dict[str, float] = field(default_factory=dict)

    def weight(self, at: datetime) -> float:
        """0 before ``start``, 1 from ``full`` on, linear in between."""
        if at <= self.start:
            return 0.0
        if at >= self.full:
            return 1.0
        return (at - self.start) / (self.full - self.start)


@dataclass(frozen=True)
class QsmoProfile:
    """One QSMO's systems: how good they are and what goes wrong."""

    qsmo: str
    source: str
    skill: float = 0.0
    level_factor: dict[str, float] = field(default_factory=dict)
    level_shift: dict[str, float] = field(default_factory=dict)
    slip: Slip | None = None


# Fiscal months: Oct Nov Dec Jan Feb Mar Apr May Jun Jul Aug Sep.
BUSY_YEAR_END = (0.9, 1.0, 0.6, 1.0, 1.1, 1.2, 1.1, 1.1, 1.0, 0.9, 1.2, 1.5)
HOLIDAY_DIP = (0.0, 0.0, -1.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
SURVEY_SEASON = (0.6, 0.8, 0.5, 0.8, 1.0, 1.2, 1.4, 1.4, 1.2, 1.0, 0.9, 0.9)

# fmt: off
FEEDS: tuple[Feed, ...] = (
    Feed("customer-engagement", ValueKind.COUNT, 2.6, 2.0, 0.0, skill_unit=0.1,
         rate_season=BUSY_YEAR_END, with_agency=True, attribute="channel"),
    Feed("customer-satisfaction", ValueKind.SCORE, 2.0, 4.05, 0.35, 0.08, 0.15,
         rate_season=SURVEY_SEASON, with_agency=True, attribute="responses"),
    Feed("solution-adoption", ValueKind.COUNT, 1.1, 1.0, 0.0, skill_unit=0.1,
         rate_season=BUSY_YEAR_END, max_count=1, with_agency=True),
    Feed("employee-experience", ValueKind.SCORE, 1.0, 3.95, 0.3, 0.1, 0.15,
         attribute="responses"),
    Feed("price-transparency", ValueKind.PERCENT, 1.0, 88.0, 2.5, 2.0, 2.0),
    Feed("return-on-investment", ValueKind.PERCENT, 1.0, 14.0, 2.0, 1.5, 1.5, quarterly=True),
    Feed("cost-avoidance", ValueKind.DOLLARS, 1.0, 5_500_000.0, 1_500_000.0, 150_000.0,
         300_000.0, with_agency=True),
    Feed("m3-playbook-utilization", ValueKind.PERCENT, 1.0, 84.0, 4.0, 2.5, 2.0),
    Feed("standards-incorporation", ValueKind.PERCENT, 1.0, 78.0, 3.0, 3.0, 2.0, quarterly=True),
    Feed("system-standardization", ValueKind.PERCENT, 1.0, 72.0, 3.0, 3.0, 2.0, quarterly=True),
    Feed("technical-innovation", ValueKind.COUNT, 1.25, 1.0, 0.0, skill_unit=0.1, max_count=1),
    Feed("service-quality-timeliness", ValueKind.PERCENT, 1.0, 95.5, 1.5, 0.3, 0.8,
         level_season=HOLIDAY_DIP),
    Feed("torb-timeliness", ValueKind.DAYS, 1.0, 27.0, 5.0, -0.5, -2.5, with_agency=True),
)
# fmt: on

RED_QSMO = "grants-management"
RED_DIMENSION = "marketplace-operations"
RED_FROM_FISCAL_YEAR = 2026

PROFILES: tuple[QsmoProfile, ...] = (
    QsmoProfile("cybersecurity", "cyber-marketplace", skill=0.5),
    QsmoProfile(
        "financial-management",
        "cfm-marketplace",
        skill=0.0,
        level_shift={"employee-experience": -0.4},
    ),
    QsmoProfile(
        RED_QSMO,
        "grants-marketplace",
        skill=0.2,
        slip=Slip(
            RED_DIMENSION,
            start=datetime(2024, 10, 1, tzinfo=UTC),
            full=datetime(2025, 10, 1, tzinfo=UTC),
            level_shift={"torb-timeliness": 33.0, "service-quality-timeliness": -12.0},
            rate_factor={"technical-innovation": 0.45},
        ),
    ),
    QsmoProfile(
        "human-resources",
        "hr-marketplace",
        skill=-0.4,
        level_factor={"cost-avoidance": 0.45},
        level_shift={"return-on-investment": -7.0},
    ),
)
PROFILES_BY_QSMO = {profile.qsmo: profile for profile in PROFILES}
AGENCIES = ("DOI", "USDA", "DOL", "SBA", "VA", "DHS", "DOE", "HHS", "EPA", "NASA", "GSA", "DOT")
ENGAGEMENT_CHANNELS = ("briefing", "consultation", "demonstration", "industry-day")


def profile_for(qsmo: str) -> QsmoProfile:
    """The QSMO's profile; a QSMO added at run time gets an average, steady one."""
    return PROFILES_BY_QSMO.get(qsmo) or QsmoProfile(qsmo, f"{qsmo}-marketplace")
