"""A review packet as a tagged PDF (PDF/UA-1) typeset by Typst.

``templates/packet.typ`` lays the packet out; this module hands it the content as JSON
(``sys.inputs.packet``): every cell already formatted by ``cell_text`` (so the PDF shows the
same text as the spreadsheets' number formats and ``format_value``), and each trend chart's
geometry in points, drawn by the template with vector primitives (``curve``, ``line``,
``rect``) and described by its alt text. Only Typst's embedded fonts are used (system fonts
ignored) and the document has no date, so the same content gives the same bytes on any
machine.
"""

import json
import logging
import math
import re
from importlib import resources
from typing import Any

import typst

from shared.domain.review_packet import (
    Chart,
    PacketContent,
    Quantity,
    Table,
    cell_text,
    format_instant,
    format_value,
)

log = logging.getLogger(__name__)
TEMPLATE = "packet.typ"
CHART_WIDTH = 215.0
CHART_HEIGHT = 110.0
LEFT, TOP, RIGHT, BOTTOM = 34.0, 6.0, 4.0, 14.0
MONTHS = 12
MONTH_LETTERS = ("O", "N", "D", "J", "F", "M", "A", "M", "J", "J", "A", "S")
"""Fiscal months from October."""
STATUS_COLUMNS = ("Status", "Old status", "New status", "At cut-off")
_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def template_source() -> bytes:
    return (resources.files("gateway.reviews") / "templates" / TEMPLATE).read_bytes()


def render_pdf(content: PacketContent) -> tuple[bytes, int]:
    """The PDF and its page count.

    PDF/UA-1 when Typst can check it; text its embedded fonts have no glyph for (a name in
    Chinese, an emoji in a comment) fails that check, and the packet is then typeset without
    the standard: still tagged, titled, with headings and table headers, the glyphs missing.
    """
    data = json.dumps(packet_document(content), ensure_ascii=False, sort_keys=True)
    try:
        pdf = _compile(data, "ua-1")
    except typst.TypstError as error:
        if "PDF/UA" not in str(error):
            raise
        log.warning(
            "packet typeset without PDF/UA-1",
            extra={"review": content.review_id, "why": str(error)},
        )
        pdf = _compile(data, None)
    return pdf, page_count(pdf)


def _compile(data: str, standard: str | None) -> bytes:
    options: dict[str, Any] = {"pdf_standards": standard} if standard else {}
    pdf = typst.compile(
        template_source(), sys_inputs={"packet": data}, ignore_system_fonts=True, **options
    )
    if not isinstance(pdf, bytes):  # a list of pages only for image formats
        raise TypeError("typst returned pages, not one PDF")
    return pdf


def page_count(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are uncompressed dictionaries)."""
    return len(_PAGE.findall(pdf))


def packet_document(content: PacketContent) -> dict[str, Any]:
    """The JSON the template reads."""
    return {
        "title": content.title,
        "review_id": content.review_id,
        "draft": content.draft,
        "cut_off": format_instant(content.cut_off),
        "summary": content.summary,
        "cover": [list(pair) for pair in content.cover],
        "sections": [
            {
                "heading": s.heading,
                "paragraphs": list(s.paragraphs),
                "tables": [_table(t) for t in s.tables],
                "charts": [chart_geometry(c) for c in s.charts],
            }
            for s in content.sections
        ],
    }


def _table(table: Table) -> dict[str, Any]:
    numeric = [
        i
        for i in range(len(table.columns))
        if table.rows
        and all(isinstance(r[i], Quantity | int | float) or r[i] is None for r in table.rows)
    ]
    widths = [_width(table, i) for i in range(len(table.columns))]
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": [[cell_text(c) for c in row] for row in table.rows],
        "empty": table.empty,
        "widths": widths,
        "aligns": ["right" if i in numeric else "left" for i in range(len(table.columns))],
        "status_columns": [i for i, name in enumerate(table.columns) if name in STATUS_COLUMNS],
    }


def _width(table: Table, index: int) -> float:
    """A column's share of the width: its longest text, between 4 and 40 characters."""
    longest = max([len(table.columns[index]) + 1, *(len(cell_text(r[index])) for r in table.rows)])
    return round(min(40.0, max(4.0, longest)), 1)


def chart_geometry(chart: Chart) -> dict[str, Any]:
    """Where the template draws a chart, in points from the chart's top left corner.

    Twelve fiscal-month slots (October first), so a partial year keeps its scale; the y axis
    spans the values and the target with a margin, with three labelled ticks; a month
    without a value breaks the line.
    """
    plot_width = CHART_WIDTH - LEFT - RIGHT
    plot_height = CHART_HEIGHT - TOP - BOTTOM
    values = [p.value for p in chart.points if p.value is not None]
    span = [*values, *([] if chart.target is None else [chart.target])]
    low, high = (min(span), max(span)) if span else (0.0, 1.0)
    if math.isclose(low, high):
        low, high = low - max(1.0, abs(low) * 0.1), high + max(1.0, abs(high) * 0.1)
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad

    def x(index: int) -> float:
        return round(LEFT + (index + 0.5) * plot_width / MONTHS, 2)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_height, 2)

    segments: list[list[dict[str, float]]] = []
    current: list[dict[str, float]] = []
    for index, point in enumerate(chart.points[:MONTHS]):
        if point.value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append({"x": x(index), "y": y(point.value)})
    if current:
        segments.append(current)
    ticks = [low + (high - low) * share for share in (0.1, 0.5, 0.9)]
    return {
        "title": chart.title,
        "alt": chart.alt,
        "note": chart.note,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": LEFT,
        "top": TOP,
        "plot_width": round(plot_width, 2),
        "plot_height": round(plot_height, 2),
        "segments": segments,
        "dots": [p for s in segments for p in s],
        "target_y": None if chart.target is None else y(chart.target),
        "yticks": [{"y": y(t), "label": format_value(chart.unit, t)} for t in ticks],
        "xlabels": [{"x": x(i), "label": MONTH_LETTERS[i]} for i in range(MONTHS)],
    }
