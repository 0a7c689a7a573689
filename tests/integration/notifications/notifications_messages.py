"""Scorecard messages for the notification integration tests."""

from datetime import UTC, datetime

from shared.events import ScorecardChanged, StatusTransition

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
SECRET = "integration-secret-0123"


def red_measure(
    qsmo: str = "cybersecurity",
    measure: str = "customer-satisfaction",
    version: int = 1,
    to_status: str = "RED",
    fiscal_year: int = 2025,
) -> ScorecardChanged:
    """A scorecard in which ``measure`` went AMBER → ``to_status`` (3.4 against 4.0)."""
    return ScorecardChanged.model_validate(
        {
            "scorecard_id": f"FY{fiscal_year}|{qsmo}",
            "fiscal_year": fiscal_year,
            "qsmo": qsmo,
            "version": version,
            "phase": 1,
            "computed_at": AT,
            "cause": "new_data",
            "overall_score": 70.0,
            "overall_status": "RED",
            "measures": [],
            "transitions": [
                StatusTransition.model_validate(
                    {
                        "level": "measure",
                        "dimension": "customer",
                        "measure": measure,
                        "from_status": "AMBER",
                        "to_status": to_status,
                        "from_score": 3.7,
                        "to_score": 3.4,
                        "target": 4.0,
                    }
                )
            ],
        }
    )
