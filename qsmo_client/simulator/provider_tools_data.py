"""What the simulated providers and customers put into the provider tools (pure, seeded).

- **Self-assessment**: each provider rates every catalog element 1–5 around a level of its own
  (larger federal providers a little higher), with one line of evidence each.
- **Survey**: a wave's responses as a survey tool exports them, one row per response: a
  respondent role (executives few, end users many), a customer agency, a function, the
  provider that agency uses for the function's QSMO (the simulator's marketplace), a 1–5
  rating per item around the provider's level, sometimes a comment. No identity.

The same seed gives the same ratings and rows, so running the simulator again stores nothing
twice (the survey import derives each response's id from the row).
"""

import csv
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qsmo_client.simulator.marketplace import Marketplace, volume
from shared.domain.providers import Provider

ROLES = (("executive", 0.1), ("manager", 0.3), ("end-user", 0.6))
"""Respondent roles and their shares of a wave."""
COMMENT_SHARE = 0.15
COMMENTS = (
    "Onboarding took longer than planned.",
    "The service desk answers quickly.",
    "Reports arrive late at month end.",
    "Good partner through the migration.",
)
EVIDENCE = "{name}: {words} — see the FY{fy} {kind} on the provider's shared drive."
EVIDENCE_WORDS = {
    1: "not in place",
    2: "started in one unit",
    3: "in place",
    4: "measured quarterly",
    5: "measured and improved each year",
}
EVIDENCE_KINDS = ("operating procedures", "governance minutes", "audit report", "annual review")


@dataclass(frozen=True)
class Element:
    """One self-assessment element as the API lists it."""

    id: str
    category: str
    name: str


def provider_level(provider: Provider) -> float:
    """A provider's typical rating, 3.0 … 4.2: more volume, more mature practices."""
    return min(4.2, 3.0 + 0.2 * volume(provider))


def self_assessment_ratings(
    seed: int, provider: Provider, fiscal_year: int, elements: Sequence[Element]
) -> list[dict[str, Any]]:
    """One rating (int 1–5) with evidence per element, around ``provider_level``."""
    rng = random.Random(f"{seed}|self-assessment|{provider.id}|{fiscal_year}")
    level = provider_level(provider) + 0.1 * (fiscal_year - 2024)
    ratings = []
    for element in elements:
        rating = max(1, min(5, round(rng.gauss(level, 0.7))))
        evidence = EVIDENCE.format(
            name=element.name,
            words=EVIDENCE_WORDS[rating],
            fy=fiscal_year,
            kind=rng.choice(EVIDENCE_KINDS),
        )
        ratings.append({"element": element.id, "rating": rating, "evidence": evidence})
    return ratings


def survey_rows(
    seed: int,
    wave: str,
    count: int,
    items: Sequence[str],
    functions: Mapping[str, str],
    providers: Mapping[str, Provider],
    marketplace: Marketplace,
    at: datetime,
) -> list[dict[str, str]]:
    """``count`` responses to ``wave``: ``functions`` maps each function to its QSMO; the
    provider is the agency's main provider for that QSMO at ``at`` (none if the QSMO has no
    marketplace)."""
    rng = random.Random(f"{seed}|survey|{wave}")
    roles = [r for r, _ in ROLES]
    weights = [w for _, w in ROLES]
    names = sorted(functions)
    rows = []
    for _ in range(count):
        function = rng.choice(names)
        agency = rng.choice(marketplace.agencies)
        market = marketplace.for_qsmo(functions[function])
        provider = market.main_provider(agency, at) if market else None
        level = provider_level(providers[provider]) if provider else 3.6
        row = {
            "role": rng.choices(roles, weights=weights)[0],
            "agency": agency,
            "function": function,
            "provider": provider or "",
        }
        for item in items:
            row[item] = str(max(1, min(5, round(rng.gauss(level + 0.3, 0.8)))))
        row["comment"] = rng.choice(COMMENTS) if rng.random() < COMMENT_SHARE else ""
        rows.append(row)
    return rows


def survey_csv(rows: Sequence[Mapping[str, str]], items: Sequence[str]) -> str:
    """The rows as a survey tool's CSV export: role, agency, function, provider, items, comment."""
    columns = ["role", "agency", "function", "provider", *items, "comment"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


QSMO_FUNCTIONS = {
    "financial-management": ("financial-management",),
    "human-resources": ("human-resources", "payroll"),
    "grants-management": ("grants-management",),
    "cybersecurity": ("cybersecurity",),
}
"""The data call's service functions each QSMO's marketplace covers."""
METRICS = (
    ("system-availability", "percent", 97.0, 2.5),
    ("first-contact-resolution", "percent", 78.0, 8.0),
    ("customer-satisfaction-score", "score", 4.0, 0.4),
)
VENDORS = ("Acme Federal Systems", "Blue Ridge Analytics", "Capitol Cloud Partners")


def data_call_sections(seed: int, provider: Provider, fiscal_year: int) -> dict[str, Any]:
    """A complete data call of ``provider`` for ``fiscal_year`` (the six sections of template
    1.0): larger providers serve more customers and process more transactions, at a lower cost
    per transaction."""
    rng = random.Random(f"{seed}|data-call|{provider.id}|{fiscal_year}")
    size = volume(provider)
    functions = sorted({f for q in provider.qsmos for f in QSMO_FUNCTIONS.get(q, ())})
    customers = int(size * rng.uniform(9_000, 14_000))
    transactions = int(customers * rng.uniform(40, 70))
    cost = round(transactions * rng.uniform(2.5, 6.0) / max(size, 1.0) ** 0.3, 2)
    return {
        "demographics": {
            "provider_name": provider.name,
            "headquarters_city": rng.choice(("Washington", "Denver", "New Orleans", "Parkersburg")),
            "customer_agencies": max(1, int(size * 3)),
            "customer_count": customers,
            "transactions_processed": transactions,
            "services_offered": functions,
        },
        "metrics": [
            {"metric": metric, "value": round(min(100.0, rng.gauss(mean, spread)), 1), "unit": unit}
            for metric, unit, mean, spread in METRICS
        ],
        "staffing": [
            {
                "function": f,
                "federal_fte": round(size * rng.uniform(20, 60), 1),
                "contractor_fte": round(size * rng.uniform(5, 30), 1),
            }
            for f in functions
        ],
        "budget": [
            {
                "fiscal_year": year,
                "operating_cost_usd": round(cost * (1 - 0.03 * (fiscal_year - year)), 2),
                "revenue_usd": round(cost * rng.uniform(0.98, 1.08), 2),
            }
            for year in (fiscal_year - 1, fiscal_year)
        ],
        "systems": [
            {
                "system_name": f"{provider.name} {f.replace('-', ' ')} system",
                "function": f,
                "hosting": rng.choice(("government-cloud", "commercial-cloud", "hybrid")),
                "fibf_aligned": rng.random() < 0.8,
            }
            for f in functions
        ],
        "contracts": [
            {
                "contract_number": f"47QTCA{fiscal_year % 100}D{rng.randrange(1000, 9999)}",
                "vendor": rng.choice(VENDORS),
                "contract_type": "firm-fixed-price",
                "annual_value_usd": round(cost * rng.uniform(0.05, 0.2), 2),
                "end_date": f"{fiscal_year + rng.randrange(1, 4)}-09-30",
            }
        ],
    }
