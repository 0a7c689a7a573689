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

Who an event concerns (``Feed.reach``, rev. 2 "Tiers below the QSMO"), decided per feed:

- **provider and agency** — customer satisfaction, solution adoption, employee experience,
  cost avoidance, service quality and timeliness, TORB timeliness: a customer agency rates,
  adopts, works with, saves with, is served within SLA by, or is reviewed for the solution of
  one provider, so the event names both.
- **provider only** — technical innovation: a provider introduces an innovation into its
  solution for all its customers at once.
- **agency only** — customer engagement: the QSMO's own outreach to an agency, before any
  provider is chosen.
- **QSMO-wide** — price transparency, return on investment, M3 playbook utilization,
  standards incorporation, system standardization: properties of the whole marketplace or
  its program (a share of all offerings or migrations, a program-level estimate), reported as
  one snapshot for the QSMO, so they name neither; a provider's or agency's scorecard shows
  them as NO DATA.

Which provider serves which agency, how volume is skewed and who migrates: ``marketplace``.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Reach(StrEnum):
    """Whom a feed's events name below the QSMO."""

    QSMO = "qsmo"
    """Neither provider nor agency: a property of the whole marketplace."""
    AGENCY = "agency"
    PROVIDER = "provider"
    PROVIDER_AND_AGENCY = "provider-and-agency"


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
    reach: Reach = Reach.QSMO
    attribute: str | None = None

    @property
    def with_agency(self) -> bool:
        return self.reach in (Reach.AGENCY, Reach.PROVIDER_AND_AGENCY)

    @property
    def with_provider(self) -> bool:
        return self.reach in (Reach.PROVIDER, Reach.PROVIDER_AND_AGENCY)


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
BOTH = Reach.PROVIDER_AND_AGENCY

# fmt: off
FEEDS: tuple[Feed, ...] = (
    Feed("customer-engagement", ValueKind.COUNT, 2.6, 2.0, 0.0, skill_unit=0.1,
         rate_season=BUSY_YEAR_END, reach=Reach.AGENCY, attribute="channel"),
    Feed("customer-satisfaction", ValueKind.SCORE, 2.0, 4.05, 0.35, 0.08, 0.15,
         rate_season=SURVEY_SEASON, reach=BOTH, attribute="responses"),
    Feed("solution-adoption", ValueKind.COUNT, 1.1, 1.0, 0.0, skill_unit=0.1,
         rate_season=BUSY_YEAR_END, max_count=1, reach=BOTH),
    Feed("employee-experience", ValueKind.SCORE, 1.0, 3.95, 0.3, 0.1, 0.15,
         reach=BOTH, attribute="responses"),
    Feed("price-transparency", ValueKind.PERCENT, 1.0, 88.0, 2.5, 2.0, 2.0),
    Feed("return-on-investment", ValueKind.PERCENT, 1.0, 14.0, 2.0, 1.5, 1.5, quarterly=True),
    Feed("cost-avoidance", ValueKind.DOLLARS, 1.0, 5_500_000.0, 1_500_000.0, 150_000.0,
         300_000.0, reach=BOTH),
    Feed("m3-playbook-utilization", ValueKind.PERCENT, 1.0, 84.0, 4.0, 2.5, 2.0),
    Feed("standards-incorporation", ValueKind.PERCENT, 1.0, 78.0, 3.0, 3.0, 2.0, quarterly=True),
    Feed("system-standardization", ValueKind.PERCENT, 1.0, 72.0, 3.0, 3.0, 2.0, quarterly=True),
    Feed("technical-innovation", ValueKind.COUNT, 1.25, 1.0, 0.0, skill_unit=0.1, max_count=1,
         reach=Reach.PROVIDER),
    Feed("service-quality-timeliness", ValueKind.PERCENT, 1.0, 95.5, 1.5, 0.3, 0.8,
         level_season=HOLIDAY_DIP, reach=BOTH),
    Feed("torb-timeliness", ValueKind.DAYS, 1.0, 27.0, 5.0, -0.5, -2.5, reach=BOTH),
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
"""The customer agencies the simulated events name (catalog ids, ``agencies.yaml``)."""
PROVIDER_VOLUME = {
    "treasury-arc": 6.0,
    "doi-ibc": 4.0,
    "usda-nfc": 4.0,
    "dod-dfas": 3.0,
    "opm-hrs": 2.0,
    "dot-esc": 1.5,
    "hhs-grantsolutions": 6.0,
    "nsf-research-gov": 2.0,
    "cisa-cyber-shared-services": 6.0,
    "doj-jsoc": 2.0,
}
"""How much of a QSMO's volume a provider draws, relative to the QSMO's other providers: the
large federal providers (Treasury's ARC, Interior's IBC, USDA's NFC, HHS GrantSolutions,
CISA's shared services) carry most of it. Providers not listed (added by an admin, or the
illustrative industry ones) weigh ``FEDERAL_VOLUME`` or ``INDUSTRY_VOLUME``."""
FEDERAL_VOLUME = 1.5
INDUSTRY_VOLUME = 1.0
SECONDARY_SHARE = 0.1
"""Share of an agency's events that go through its second provider of the QSMO (payroll from
one provider, core accounting from another); the rest through its main provider."""
MIGRATIONS_PER_QSMO = 2
"""Agencies per QSMO that move from their provider to another during FY2024–FY2026."""
ENGAGEMENT_CHANNELS = ("briefing", "consultation", "demonstration", "industry-day")


def profile_for(qsmo: str) -> QsmoProfile:
    """The QSMO's profile; a QSMO added at run time gets an average, steady one."""
    return PROFILES_BY_QSMO.get(qsmo) or QsmoProfile(qsmo, f"{qsmo}-marketplace")
