"""The shipped data-call section schemas (``tools/data-call/<version>/<section>.schema.json``),
read into ``shared.domain.data_call.DataCallSchema``."""

import json
from functools import cache
from importlib.resources import files
from typing import Any

from shared.domain.data_call import CURRENT_VERSION, SECTIONS, DataCallSchema

DIRECTORY = "tools/data-call"


@cache
def load_data_call_schema(version: str = CURRENT_VERSION) -> DataCallSchema:
    """The section schemas of ``version`` (cached). FileNotFoundError for a version that is
    not shipped; ValueError for a broken schema."""
    folder = files("shared.catalog").joinpath(DIRECTORY, version)
    documents = {
        name: json.loads(folder.joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
        for name in SECTIONS
    }
    return DataCallSchema.from_documents(version, documents)


def shipped_versions() -> list[str]:
    """Every version shipped, oldest first."""
    folder = files("shared.catalog").joinpath(DIRECTORY)
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def example_sections(fiscal_year: int) -> dict[str, Any]:
    """A complete, valid submission for ``fiscal_year`` (docs, tests and the simulator start
    from it). Its cost figures: 12,000,000 USD ÷ 1,500,000 transactions = 8.0 USD per
    transaction; (40 + 10 + 25.5 + 4.5) FTE ÷ 20,000 customers × 1,000 = 4.0."""
    return {
        "demographics": {
            "provider_name": "Example Shared Services Center",
            "headquarters_city": "Denver, CO",
            "customer_agencies": 12,
            "customer_count": 20_000,
            "transactions_processed": 1_500_000,
            "services_offered": ["financial-management", "payroll"],
        },
        "metrics": [
            {"metric": "payroll-accuracy", "value": 99.2, "unit": "percent"},
            {"metric": "invoice-processing-days", "value": 6.5, "unit": "days"},
        ],
        "staffing": [
            {"function": "financial-management", "federal_fte": 40, "contractor_fte": 10},
            {"function": "payroll", "federal_fte": 25.5, "contractor_fte": 4.5},
        ],
        "budget": [
            {
                "fiscal_year": fiscal_year - 1,
                "operating_cost_usd": 11_500_000,
                "revenue_usd": 11_800_000,
            },
            {
                "fiscal_year": fiscal_year,
                "operating_cost_usd": 12_000_000,
                "revenue_usd": 12_400_000,
            },
        ],
        "systems": [
            {
                "system_name": "Core financials",
                "function": "financial-management",
                "hosting": "government-cloud",
                "fibf_aligned": True,
                "end_of_support": f"{fiscal_year + 4}-09-30",
            }
        ],
        "contracts": [
            {
                "contract_number": "47QTCA20D0001",
                "vendor": "Example Systems LLC",
                "contract_type": "firm-fixed-price",
                "annual_value_usd": 2_500_000,
                "end_date": f"{fiscal_year + 2}-09-30",
            }
        ],
    }


__all__ = ["example_sections", "load_data_call_schema", "shipped_versions"]
