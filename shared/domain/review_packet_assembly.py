"""``assemble_packet``: a review's ``PacketInputs`` → the ``PacketContent`` every rendering shows.

Sections, in order: cover (``PacketContent.cover``), summary (overall and dimension scores,
what changed since the previous review), one page per active dimension (its measures' figures
and monthly trends), then the follow-up sections (``review_packet_follow_up``): the RED and
AMBER measures with their commentary and actions, actions overdue, due soon or changed since
the previous review, stale data, survey waves closed in the quarter, and open revision
proposals (when the gateway has them). Pure and deterministic: the same inputs give equal
content.
"""

from shared.domain.review_packet import (
    SCORE_UNIT,
    Cell,
    Changes,
    Chart,
    DimensionFigures,
    MeasureFigures,
    PacketContent,
    PacketInputs,
    Quantity,
    Section,
    Table,
    Trend,
    format_instant,
    format_score,
    format_status,
    format_value,
)
from shared.domain.review_packet_follow_up import (
    actions_section,
    attention_section,
    proposals_section,
    stale_section,
    survey_section,
)

SUM = "sum"


def assemble_packet(inputs: PacketInputs) -> PacketContent:
    """The packet's content; see the module docstring for its sections."""
    sections = [_summary(inputs)]
    if inputs.scorecard is not None:
        trends = {t.measure: t for t in inputs.trends}
        dimensions = [d for d in inputs.scorecard.dimensions if d.active]
        sections += [_dimension(inputs, d, trends) for d in dimensions]
    sections += [
        attention_section(inputs),
        actions_section(inputs),
        stale_section(inputs),
        survey_section(inputs),
    ]
    if inputs.proposals is not None:
        sections.append(proposals_section(inputs))
    return PacketContent(
        review_id=inputs.review_id,
        title=inputs.title,
        draft=inputs.draft,
        cut_off=inputs.cut_off,
        cover=_cover(inputs),
        summary=summary_line(inputs),
        sections=tuple(sections),
    )


def summary_line(inputs: PacketInputs) -> str:
    """One line for emails and ``ReviewReady``: ``Overall AMBER (82.4): 2 RED, 3 AMBER measures``."""
    card = inputs.scorecard
    if card is None:
        return "No scorecard data at the cut-off"
    active = [m for m in card.measures if m.active]
    red = sum(m.status == "RED" for m in active)
    amber = sum(m.status == "AMBER" for m in active)
    overall = f"{format_status(card.overall_status)} ({format_score(card.overall_score)})"
    return f"Overall {overall}: {red} RED, {amber} AMBER measures"


def _cover(inputs: PacketInputs) -> tuple[tuple[str, str], ...]:
    card = inputs.scorecard
    figures = (
        "no scorecard data at the cut-off"
        if card is None
        else f"as reported at the cut-off: scorecard version {card.version} of "
        f"{format_instant(card.computed_at)}"
    )
    quarter = (
        f"FY{inputs.fiscal_year} Q{inputs.quarter} "
        f"({inputs.quarter_start.isoformat()} to {inputs.quarter_last_day.isoformat()})"
    )
    return (
        ("Scope", inputs.scope_name),
        ("Quarter", quarter),
        ("Meeting date", inputs.meeting_date.isoformat()),
        ("Participants", ", ".join(inputs.participants) or "none named"),
        ("Cut-off", format_instant(inputs.cut_off)),
        ("Figures", figures),
        ("State", "DRAFT (figures may still change)" if inputs.draft else "READY (frozen)"),
        ("Review", inputs.review_id),
    )


def _summary(inputs: PacketInputs) -> Section:
    card = inputs.scorecard
    if card is None:
        return Section(
            key="summary",
            heading="Summary",
            paragraphs=("The scorecard had no data at the cut-off.", _previous_text(inputs)),
            tables=_changes_tables(inputs.changes) if inputs.changes else (),
        )
    rows: list[tuple[Cell, ...]] = [
        (
            "Overall",
            format_score(card.overall_score),
            format_status(card.overall_status),
            None,
            *_counts(card.measures),
        )
    ]
    rows += [
        (d.name, _score(d.score), format_status(d.status), d.weight, *_counts(d.measures))
        for d in card.dimensions
        if d.active
    ]
    table = Table(
        sheet="Summary",
        title="Overall and dimension statuses",
        columns=("Dimension", "Score", "Status", "Weight", "GREEN", "AMBER", "RED", "No data"),
        rows=tuple(rows),
    )
    tables = [table]
    if inputs.changes is not None:
        tables += _changes_tables(inputs.changes)
    return Section(
        key="summary",
        heading="Summary",
        paragraphs=(summary_line(inputs) + ".", _previous_text(inputs)),
        tables=tuple(tables),
    )


def _score(score: float | None) -> Quantity:
    return Quantity(value=score, unit=SCORE_UNIT)


def _counts(measures: tuple[MeasureFigures, ...]) -> tuple[int, int, int, int]:
    active = [m for m in measures if m.active]
    return (
        sum(m.status == "GREEN" for m in active),
        sum(m.status == "AMBER" for m in active),
        sum(m.status == "RED" for m in active),
        sum(m.status == "NO_DATA" for m in active),
    )


def _previous_text(inputs: PacketInputs) -> str:
    changes = inputs.changes
    if inputs.previous_review_id is None or inputs.previous_cut_off is None:
        return "First review of this scope: there is no previous review to compare with."
    since = f"Since the previous review ({inputs.previous_review_id}, cut-off "
    since += f"{format_instant(inputs.previous_cut_off)})"
    if changes is None:
        return since + ": its cut-off is not before this review's, so nothing is compared."
    if not changes.measures and changes.from_version == changes.to_version:
        return since + ": no change."
    old = f"{format_status(changes.old_overall_status)} ({format_score(changes.old_overall_score)})"
    new = f"{format_status(changes.new_overall_status)} ({format_score(changes.new_overall_score)})"
    causes = ", ".join(changes.causes) or "none"
    return f"{since}: overall {old} → {new}; {_measures(len(changes.measures))} changed; causes: {causes}."


def _measures(count: int) -> str:
    return f"{count} measure" if count == 1 else f"{count} measures"


def _changes_tables(changes: Changes) -> tuple[Table, ...]:
    """The measures that changed, and the dimensions whose score or status did."""
    dimensions = Table(
        sheet="Changes",
        title="Dimension changes since the previous review",
        columns=("Dimension", "Old score", "New score", "Old status", "New status"),
        rows=tuple(
            (
                d.name,
                _score(d.old_score),
                _score(d.new_score),
                format_status(d.old_status),
                format_status(d.new_status),
            )
            for d in changes.dimensions
        ),
        empty="No dimension changed.",
    )
    return (_measure_changes(changes), dimensions)


def _measure_changes(changes: Changes) -> Table:
    rows = tuple(
        (
            c.name,
            Quantity(value=c.old_value, unit=c.unit),
            Quantity(value=c.new_value, unit=c.unit),
            format_status(c.old_status),
            format_status(c.new_status),
            ", ".join(c.causes),
        )
        for c in changes.measures
    )
    return Table(
        sheet="Changes",
        title="Changes since the previous review",
        columns=("Measure", "Old value", "New value", "Old status", "New status", "Causes"),
        rows=rows,
        empty="No measure changed.",
    )


def _dimension(
    inputs: PacketInputs, dimension: DimensionFigures, trends: dict[str, Trend]
) -> Section:
    government = inputs.qsmo is None
    columns = (
        "Measure",
        "Value",
        "Target to date",
        "Annual target",
        "Status",
        "Last year",
        "Baseline",
        "Events",
        "Restated",
        "Last event",
        "Stale",
    ) + (("QSMOs G/A/R/none",) if government else ())
    rows = tuple(_measure_row(m, government) for m in dimension.measures if m.active)
    table = Table(
        sheet="Measures",
        title=f"{dimension.name}: measures",
        columns=columns,
        rows=rows,
        context=(("Dimension", dimension.name),),
    )
    charts = tuple(
        _chart(inputs, m, trends[m.id]) for m in dimension.measures if m.active and m.id in trends
    )
    score = f"{format_status(dimension.status)} ({format_score(dimension.score)})"
    return Section(
        key=f"dimension:{dimension.id}",
        heading=f"{dimension.name} dimension",
        paragraphs=(f"Dimension status {score}, weight {dimension.weight:g}.",),
        tables=(table,),
        charts=charts,
    )


def _measure_row(m: MeasureFigures, government: bool) -> tuple[Cell, ...]:
    row: tuple[Cell, ...] = (
        m.name,
        Quantity(value=m.value, unit=m.unit),
        Quantity(value=m.target, unit=m.unit),
        Quantity(value=m.annual_target, unit=m.unit),
        format_status(m.status),
        Quantity(value=m.last_year_value, unit=m.unit),
        Quantity(value=m.baseline, unit=m.unit),
        m.events,
        m.restated,
        format_instant(m.last_event_at),
        "stale" if m.stale else "",
    )
    if government:
        counts = "/".join(str(n) for n in m.qsmo_counts) if m.qsmo_counts else ""
        row += (counts,)
    return row


def _chart(inputs: PacketInputs, m: MeasureFigures, trend: Trend) -> Chart:
    target = None if m.aggregation == SUM else m.annual_target
    shown = ", ".join(f"{p.label} {format_value(m.unit, p.value)}" for p in trend.points)
    alt = f"Monthly values of {m.name} in FY{inputs.fiscal_year}: {shown or 'no months yet'}"
    if target is not None:
        alt += f"; target {format_value(m.unit, target)}"
    note = "Includes data received after the cut-off." if trend.after_cut_off else None
    return Chart(
        measure=m.id,
        title=f"{m.name} ({m.unit}), monthly",
        unit=m.unit,
        points=trend.points,
        target=target,
        alt=alt + ".",
        note=note,
    )
