"""Rendering a packet (PDF, XLSX, CSV) and building one over the gateway's fakes (no network).

The PDF's text, pages and tags are read with Poppler in the integration tests
(tests/integration/gateway/test_review_packet_pipeline.py); here: the same content gives the
same bytes, the spreadsheets round-trip with typed numbers and neutralised text, the
renderer is picklable for the gateway's process pool, and the builder reads what the packet
says at the cut-off.
"""

import csv
import io
import pickle
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
from gateway_unit_support import NOW, Harness, make_view
from prometheus_client import CollectorRegistry

from gateway.analysis import ActionStatus, Commentary, ImprovementAction
from gateway.framework_admin import FrameworkAdmin
from gateway.metrics import GatewayMetrics
from gateway.provider_tools.events import InMemoryToolEventPublisher, ToolEventOutbox
from gateway.provider_tools.survey_store import InMemorySurveyStore, load_survey_catalog
from gateway.provider_tools.surveys import SurveyTool
from gateway.reviews.packet_builder import build_packet_builder, packet_executor, render_packet
from gateway.reviews.render_pdf import chart_geometry
from gateway.reviews.render_tables import SHEETS
from shared.api_keys import Principal, Role
from shared.domain.review_packet import Chart, Quantity, TrendPoint, format_value
from shared.domain.review_packet_assembly import assemble_packet
from shared.domain.reviews import Review, ReviewState, review_id
from shared.framework_log import InMemoryFrameworkLog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain"))
from review_packet_samples import FORMULA, sample_inputs

ADMIN = Principal(key_id="t-admin", role=Role.ADMIN)


def test_the_same_content_gives_the_same_bytes_in_every_format() -> None:
    first = render_packet(assemble_packet(sample_inputs()))
    again = render_packet(assemble_packet(sample_inputs()))
    assert (first.pdf, first.xlsx, first.csv) == (again.pdf, again.xlsx, again.csv)
    assert first.pdf.startswith(b"%PDF-")
    assert first.pages == 8
    draft = render_packet(assemble_packet(sample_inputs(draft=True)))
    assert draft.pdf != first.pdf
    assert draft.csv == first.csv
    assert first.summary == "Overall AMBER (71.2): 1 RED, 1 AMBER measures"


def test_the_workbook_holds_typed_numbers_and_neutralised_text() -> None:
    inputs = sample_inputs()
    book = openpyxl.load_workbook(io.BytesIO(render_packet(assemble_packet(inputs)).xlsx))
    assert book.sheetnames == [s for s in SHEETS if s not in ("Revisions",)]
    rows = list(book["Measures"].iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[:2] == ("Dimension", "Measure")))
    satisfaction = next(r for r in rows[header:] if r[1] == "Customer satisfaction")
    assert satisfaction[:6] == ("Customer", "Customer satisfaction", 3.1, 4.0, 4.0, "RED")
    cells = [c for row in book["Measures"].iter_rows() for c in row if c.value == 3.1]
    assert cells[0].data_type == "n"
    assert cells[0].number_format == "0.00"
    texts = [
        c.value for s in book for row in s.iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert "'" + FORMULA in texts  # the action's title, quoted
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    formulas = [c for s in book for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert book.properties.title == inputs.title


def test_the_csv_is_one_table_with_a_section_column() -> None:
    inputs = sample_inputs()
    text = render_packet(assemble_packet(inputs)).csv.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["section"] for r in rows} <= set(SHEETS)
    measures = {r["Measure"]: r for r in rows if r["section"] == "Measures"}
    assert inputs.scorecard is not None
    for m in inputs.scorecard.measures:
        shown = measures[m.name]
        assert shown["Value"] == ("" if m.value is None else repr(m.value).removesuffix(".0"))
        assert shown["Status"] == m.status.replace("_", " ")
    actions = [r for r in rows if r["section"] == "Actions"]
    assert {r["Action"] for r in actions} == {"Call every unhappy agency", "'" + FORMULA}
    assert {r["Owner"] for r in actions} == {"Customer lead", "'-Ops"}
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())


def test_a_month_without_a_value_breaks_the_chart_line() -> None:
    points = tuple(
        TrendPoint(label=f"m{i}", value=v) for i, v in enumerate((1.0, 2.0, None, 3.0, 4.0))
    )
    chart = Chart(measure="m", title="t", unit="days", points=points, target=2.5, alt="a")
    geometry = chart_geometry(chart)
    assert [len(s) for s in geometry["segments"]] == [2, 2]
    ys = [p["y"] for s in geometry["segments"] for p in s]
    assert ys == sorted(ys, reverse=True)  # higher values are drawn higher
    assert min(ys) < geometry["target_y"] < max(ys)
    low, high = 1.0 - 0.24, 4.0 + 0.24  # the values' span with an 8 % margin each side
    ticks = [low + (high - low) * share for share in (0.1, 0.5, 0.9)]
    assert [t["label"] for t in geometry["yticks"]] == [format_value("days", v) for v in ticks]


def test_the_renderer_runs_in_a_process_pool() -> None:
    content = assemble_packet(sample_inputs())
    pickle.dumps(render_packet)
    with packet_executor(1) as pool:  # spawned: this process has typst's threads running
        rendered = pool.submit(render_packet, content).result(timeout=120)
    assert rendered == render_packet(content)


def _review(cut_off: datetime, quarter: int, previous: str | None = None) -> Review:
    return Review(
        id=review_id("cybersecurity", 2024, quarter),
        qsmo="cybersecurity",
        fiscal_year=2024,
        quarter=quarter,
        title=f"FY2024 Q{quarter} performance review — Cybersecurity",
        meeting_date=cut_off.date() + timedelta(days=7),
        participants=("OSSPI",),
        cut_off=cut_off,
        state=ReviewState.READY,
        created_at=cut_off,
        created_by="admin",
        updated_at=cut_off,
        previous_review_id=previous,
    )


async def test_the_builder_reads_the_scorecard_as_of_the_cut_off(harness: Harness) -> None:
    catalog = harness.runtime.catalog
    first_cut, second_cut = NOW - timedelta(days=30), NOW
    for version, (at, value) in enumerate(
        [(first_cut - timedelta(days=1), 4.5), (first_cut + timedelta(days=1), 2.0)], start=1
    ):
        view = make_view(
            catalog,
            2024,
            "cybersecurity",
            {"customer-satisfaction": value},
            version=version,
            computed_at=at,
        )
        harness.scorecards.versions.append(view)
    harness.scorecards.versions.append(
        make_view(
            catalog,
            2024,
            "cybersecurity",
            {"customer-satisfaction": 1.0},
            version=3,
            computed_at=NOW + timedelta(days=1),
        )  # after the cut-off: not in the packet
    )
    harness.values.events.append(
        ("cybersecurity", "customer-satisfaction", 2.0, datetime(2024, 2, 10, tzinfo=UTC))
    )
    await harness.analysis.add_commentary(
        Commentary(
            id="c1",
            qsmo="cybersecurity",
            measure="customer-satisfaction",
            fiscal_year=2024,
            text=FORMULA,
            author="pub",
            created_at=NOW - timedelta(days=2),
        )
    )
    await harness.analysis.add_commentary(
        Commentary(
            id="c2",
            qsmo="cybersecurity",
            measure="customer-satisfaction",
            fiscal_year=2024,
            text="written after the cut-off",
            author="pub",
            created_at=NOW + timedelta(hours=1),
        )
    )
    await harness.analysis.add_action(
        ImprovementAction(
            id="act-1",
            qsmo="cybersecurity",
            measure="customer-satisfaction",
            title="Survey the agencies",
            owner="lead",
            due_date=date(2024, 5, 1),
            status=ActionStatus.OPEN,
            created_at=NOW - timedelta(days=40),
            created_by="pub",
            updated_at=NOW - timedelta(days=40),
        )
    )
    builder = build_packet_builder(
        scorecards=harness.scorecards,
        values=harness.values,
        analysis=harness.analysis,
        framework=harness.runtime.framework,
        catalog=catalog,
        executor=None,
        survey=harness.runtime.tools.surveys,
    )
    previous = _review(first_cut, 2)
    review = _review(second_cut, 3, previous.id)
    content = await builder.content(review, previous)
    measures = {r[0]: r for t in content.tables if t.sheet == "Measures" for r in t.rows}
    satisfaction = measures["Customer Satisfaction"]
    assert satisfaction[1].value == 2.0  # type: ignore[union-attr]  # version 2, not 3
    [change] = next(t for t in content.tables if t.sheet == "Changes").rows
    assert change[1:3] == (
        type(satisfaction[1])(value=4.5, unit="score 1–5"),
        type(satisfaction[1])(value=2.0, unit="score 1–5"),
    )
    [attention] = next(t for t in content.tables if t.sheet == "Attention").rows
    assert FORMULA in str(attention[4])
    assert "after the cut-off" not in str(attention[4])
    [action] = next(t for t in content.tables if t.sheet == "Actions").rows
    assert action[0] == "Survey the agencies"
    assert action[7] == "overdue"
    rendered = await builder.build(review, previous)
    assert rendered.pages >= 5
    assert rendered.summary == content.summary


async def test_a_survey_wave_closed_in_the_quarter_is_highlighted(harness: Harness) -> None:
    catalog = harness.runtime.catalog
    now = [datetime(2026, 1, 10, 9, tzinfo=UTC)]
    framework = FrameworkAdmin(InMemoryFrameworkLog(), None, catalog=catalog)
    store = InMemorySurveyStore()
    surveys = SurveyTool(
        store,
        ToolEventOutbox(
            InMemoryToolEventPublisher(),
            [("survey", store.outbox)],
            clock=lambda: now[0],
            metrics=GatewayMetrics(CollectorRegistry()),
        ),
        catalog=catalog,
        survey_catalog=load_survey_catalog(),
        providers=framework.providers,
        clock=lambda: now[0],
    )
    wave = await surveys.create_wave(
        ADMIN, 2026, "Winter pulse", date(2026, 1, 5), date(2026, 2, 5), None
    )
    header = ["role", "agency", "function", "provider", "overall"]
    cells = ["manager", "DOI", "payroll", "usda-nfc", "4"]
    await surveys.add_rows(
        ADMIN, wave.id, header, [(i + 2, dict(zip(header, cells, strict=True))) for i in range(6)]
    )
    now[0] = datetime(2026, 2, 10, tzinfo=UTC)
    await surveys.close(ADMIN, wave.id)
    builder = build_packet_builder(
        scorecards=harness.scorecards,
        values=harness.values,
        analysis=harness.analysis,
        framework=framework,
        catalog=catalog,
        executor=None,
        survey=surveys,
    )
    hr = Review(
        id=review_id("human-resources", 2026, 2),
        qsmo="human-resources",
        fiscal_year=2026,
        quarter=2,
        title="FY2026 Q2 performance review — Human Resources",
        meeting_date=date(2026, 4, 10),
        cut_off=datetime(2026, 4, 2, tzinfo=UTC),
        created_at=datetime(2026, 4, 2, tzinfo=UTC),
        created_by="admin",
        updated_at=datetime(2026, 4, 2, tzinfo=UTC),
    )
    content = await builder.content(hr, None)
    [survey] = [t for t in content.tables if t.sheet == "Survey"]
    assert survey.rows[0][:4] == ("Winter pulse", date(2026, 2, 10), "All respondents", 6)
    assert survey.rows[0][5] == Quantity(value=4.0, unit="score 1–5")
    assert [r[2] for r in survey.rows[1:]] == ["Payroll"]
    cyber = hr.model_copy(
        update={"qsmo": "cybersecurity", "id": review_id("cybersecurity", 2026, 2)}
    )
    [other] = [t for t in (await builder.content(cyber, None)).tables if t.sheet == "Survey"]
    assert [r[2] for r in other.rows] == ["All respondents"]  # no cybersecurity function group
    earlier = hr.model_copy(update={"quarter": 1, "cut_off": datetime(2026, 1, 2, tzinfo=UTC)})
    [none] = [t for t in (await builder.content(earlier, None)).tables if t.sheet == "Survey"]
    assert none.rows == ()


def test_text_without_a_glyph_is_typeset_without_the_pdf_ua_check() -> None:
    unusual = sample_inputs().model_copy(
        update={"title": "審査 🚀 #set [x] $y$ \\ <z>", "participants": ("Zoë", "李")}
    )
    rendered = render_packet(assemble_packet(unusual))
    assert rendered.pdf.startswith(b"%PDF-")
    assert b"pdfuaid" not in rendered.pdf
    assert b"pdfuaid" in render_packet(assemble_packet(sample_inputs())).pdf
