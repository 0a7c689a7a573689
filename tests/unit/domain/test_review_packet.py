"""The packet's content: formatting, an action's status at an instant, and assembly."""

from datetime import UTC, date, datetime, timedelta

import pytest
from review_packet_samples import CUT_OFF, FORMULA, PREVIOUS_CUT_OFF, sample_inputs

from shared.domain.review_packet import (
    ActionRecord,
    ActionStep,
    PacketContent,
    ProposalRecord,
    Quantity,
    Table,
    cell_text,
    format_instant,
    format_value,
)
from shared.domain.review_packet_assembly import assemble_packet, summary_line


@pytest.mark.parametrize(
    ("unit", "value", "text"),
    [
        ("score 1–5", 4.2, "4.20"),
        ("score 1–5", 3.456, "3.46"),
        ("%", 87.54, "87.5%"),
        ("% availability", 99.95, "100.0%"),
        ("USD", 1250000.4, "$1,250,000"),
        ("USD", -2500.0, "-$2,500"),
        ("engagements", 1234.0, "1,234"),
        ("days", 12.25, "12.2"),
        ("days", None, "—"),
        ("score 0–100", 100.0, "100.0"),
    ],
)
def test_format_value_is_the_one_text_of_a_figure(
    unit: str, value: float | None, text: str
) -> None:
    assert format_value(unit, value) == text
    assert cell_text(Quantity(value=value, unit=unit)) == text


def test_format_instant_is_utc_to_the_second() -> None:
    assert format_instant(datetime(2025, 4, 2, 10, 0, 5, tzinfo=UTC) - timedelta(hours=4)) == (
        "2025-04-02 06:00:05 UTC"
    )
    assert format_instant(datetime(2025, 4, 2, 10, 0, 5)) == "2025-04-02 10:00:05 UTC"
    assert format_instant(None) == "—"


def _action(history: tuple[ActionStep, ...], status: str) -> ActionRecord:
    return ActionRecord(
        id="a",
        qsmo="q",
        measure="m",
        title="t",
        owner="o",
        due_date=date(2025, 5, 1),
        status=status,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        history=history,
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2024, 12, 31, tzinfo=UTC), None),  # not created yet
        (datetime(2025, 1, 1, tzinfo=UTC), "OPEN"),
        (datetime(2025, 2, 1, tzinfo=UTC), "IN_PROGRESS"),
        (datetime(2025, 3, 15, tzinfo=UTC), "DONE"),
    ],
)
def test_an_actions_status_at_an_instant_follows_its_history(
    at: datetime, expected: str | None
) -> None:
    history = (
        ActionStep(
            at=datetime(2025, 2, 1, tzinfo=UTC), from_status="OPEN", to_status="IN_PROGRESS"
        ),
        ActionStep(
            at=datetime(2025, 3, 1, tzinfo=UTC), from_status="IN_PROGRESS", to_status="DONE"
        ),
    )
    assert _action(history, "DONE").status_at(at) == expected
    assert _action((), "OPEN").status_at(at) == (None if expected is None else "OPEN")


def _table(content: PacketContent, sheet: str) -> Table:
    [found] = [t for t in content.tables if t.sheet == sheet]
    return found


def test_sections_come_in_order_with_a_page_per_active_dimension() -> None:
    content = assemble_packet(sample_inputs())
    assert [s.key for s in content.sections] == [
        "summary",
        "dimension:customer",
        "dimension:financial",
        "attention",
        "actions",
        "stale",
        "survey",
    ]
    assert content.summary == "Overall AMBER (71.2): 1 RED, 1 AMBER measures"
    assert dict(content.cover)["Cut-off"] == "2025-04-02 14:00:05 UTC"
    assert dict(content.cover)["State"].startswith("READY")
    assert assemble_packet(sample_inputs(draft=True)).draft is True


def test_the_measure_tables_hold_the_scorecards_figures() -> None:
    inputs = sample_inputs()
    content = assemble_packet(inputs)
    rows = [r for t in content.tables if t.sheet == "Measures" for r in t.rows]
    assert inputs.scorecard is not None
    for measure, row in zip(inputs.scorecard.measures, rows, strict=True):
        assert row[:5] == (
            measure.name,
            Quantity(value=measure.value, unit=measure.unit),
            Quantity(value=measure.target, unit=measure.unit),
            Quantity(value=measure.annual_target, unit=measure.unit),
            measure.status.replace("_", " "),
        )
    customer = next(s for s in content.sections if s.key == "dimension:customer")
    [satisfaction, engagement] = customer.charts
    assert satisfaction.target == 4.0  # a mean measure: its target is a level
    assert engagement.target is None  # a sum measure's target is for the whole year
    assert "2025-02 2.80" in satisfaction.alt
    assert "2024-12 —" in satisfaction.alt


def test_attention_lists_red_then_amber_with_commentary_and_actions() -> None:
    table = _table(assemble_packet(sample_inputs()), "Attention")
    assert [r[0] for r in table.rows] == ["Customer satisfaction", "Customer engagement"]
    assert FORMULA in str(table.rows[0][4])  # kept as typed here; neutralised when written
    assert "Call every unhappy agency [IN_PROGRESS, due 2025-03-01]" in str(table.rows[0][5])
    assert table.rows[1][4] == "no commentary"


def test_actions_show_overdue_due_soon_and_progress_since_the_previous_review() -> None:
    table = _table(assemble_packet(sample_inputs()), "Actions")
    by_title = {r[0]: r for r in table.rows}
    assert set(by_title) == {"Call every unhappy agency", FORMULA}  # "Later" came after the cut-off
    overdue = by_title["Call every unhappy agency"]
    assert overdue[4:8] == (date(2025, 3, 1), "OPEN", "IN_PROGRESS", "overdue")
    soon = by_title[FORMULA]
    assert soon[5:8] == ("new", "OPEN", "due within 30 days")


def test_a_first_review_says_so_and_has_no_changes_table() -> None:
    inputs = sample_inputs().model_copy(
        update={"previous_review_id": None, "previous_cut_off": None, "changes": None}
    )
    content = assemble_packet(inputs)
    assert "First review of this scope" in content.sections[0].paragraphs[1]
    assert not [t for t in content.tables if t.sheet == "Changes"]
    assert "First review of this scope" in content.sections[0].paragraphs[1]
    actions = _table(content, "Actions")
    assert all(r[5] == "new" for r in actions.rows)


def test_changes_name_the_restatement() -> None:
    content = assemble_packet(sample_inputs())
    measures, dimensions = [t for t in content.tables if t.sheet == "Changes"]
    [(name, old, new, *statuses)] = dimensions.rows
    assert (name, cell_text(old), cell_text(new), *statuses) == (
        "Customer",
        "100.0",
        "62.5",
        "GREEN",
        "AMBER",
    )
    [row] = measures.rows
    assert row[0] == "Customer satisfaction"
    assert row[5] == "new_data, restatement"
    assert "cut-off 2025-01-03 09:00:00 UTC" in content.sections[0].paragraphs[1]
    assert PREVIOUS_CUT_OFF < CUT_OFF


def test_government_wide_rows_carry_the_qsmo_status_counts() -> None:
    inputs = sample_inputs(qsmo=None)
    assert inputs.scorecard is not None
    dimensions = tuple(
        d.model_copy(
            update={
                "measures": tuple(
                    m.model_copy(update={"qsmo_counts": (2, 1, 1, 0)}) for m in d.measures
                )
            }
        )
        for d in inputs.scorecard.dimensions
    )
    card = inputs.scorecard.model_copy(update={"dimensions": dimensions})
    content = assemble_packet(inputs.model_copy(update={"scorecard": card}))
    measures = [t for t in content.tables if t.sheet == "Measures"]
    assert all(t.columns[-1] == "QSMOs G/A/R/none" for t in measures)
    assert all(r[-1] == "2/1/1/0" for t in measures for r in t.rows)


def test_stale_survey_and_no_scorecard() -> None:
    content = assemble_packet(sample_inputs())
    assert [r[0] for r in _table(content, "Stale").rows] == ["Availability"]
    survey = _table(content, "Survey").rows
    assert survey[0][2:5] == ("All respondents", 42, "35.0%")
    assert survey[2][3:5] == (None, "fewer than 5 respondents")
    empty = assemble_packet(sample_inputs().model_copy(update={"scorecard": None}))
    assert summary_line(sample_inputs().model_copy(update={"scorecard": None})) == (
        "No scorecard data at the cut-off"
    )
    assert [s.key for s in empty.sections][:2] == ["summary", "attention"]


def test_the_same_inputs_give_equal_content() -> None:
    assert assemble_packet(sample_inputs()) == assemble_packet(sample_inputs())


def test_open_revision_proposals_get_a_section_when_the_gateway_has_them() -> None:
    proposal = ProposalRecord(
        id="rev-1",
        qsmo="cybersecurity",
        measure="customer-satisfaction",
        kind="TARGET",
        proposed_value=3.8,
        unit="score 1–5",
        rationale="+SUM(A1) the survey scale changed",
    )
    content = assemble_packet(sample_inputs().model_copy(update={"proposals": (proposal,)}))
    [row] = _table(content, "Revisions").rows
    assert row[4] == Quantity(value=3.8, unit="score 1–5")
    assert content.sections[-1].key == "revisions"
    none = assemble_packet(sample_inputs().model_copy(update={"proposals": ()}))
    assert _table(none, "Revisions").rows == ()
