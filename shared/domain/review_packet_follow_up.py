"""The packet's follow-up sections: what needs attention and what is being done about it.

The RED and AMBER measures with their latest commentary and improvement actions; actions
overdue, due within ``DUE_SOON_DAYS`` of the cut-off or changed since the previous review
(each with its status at the previous review's cut-off and at this one's); stale data; survey
waves closed in the quarter; open revision proposals. Pure (``assemble_packet`` calls these).
"""

from datetime import date, timedelta

from shared.domain.review_packet import (
    ActionRecord,
    Cell,
    Note,
    PacketInputs,
    Quantity,
    Section,
    Table,
    format_instant,
    format_status,
)

DUE_SOON_DAYS = 30
ATTENTION = ("RED", "AMBER")
CLOSED = ("DONE", "CANCELLED")


def attention_section(inputs: PacketInputs) -> Section:
    card = inputs.scorecard
    measures = [] if card is None else [m for m in card.measures if m.active]
    ordered = [m for status in ATTENTION for m in measures if m.status == status]
    notes: dict[str, list[Note]] = {}
    for note in sorted(inputs.notes, key=lambda n: (n.measure, n.qsmo)):
        notes.setdefault(note.measure, []).append(note)
    rows = []
    for m in ordered:
        said = "; ".join(
            f"{n.text} ({n.author}, {n.created_at.date().isoformat()}"
            + (f", {n.qsmo})" if inputs.qsmo is None else ")")
            for n in notes.get(m.id, [])
        )
        actions = [a for a in inputs.actions if a.measure == m.id]
        listed = "; ".join(
            f"{a.title} [{a.status_at(inputs.cut_off)}, due {a.due_date.isoformat()}]"
            for a in actions
            if a.status_at(inputs.cut_off) is not None
        )
        rows.append(
            (
                m.name,
                format_status(m.status),
                Quantity(value=m.value, unit=m.unit),
                Quantity(value=m.target, unit=m.unit),
                said or "no commentary",
                listed or "no improvement action",
            )
        )
    table = Table(
        sheet="Attention",
        title="RED and AMBER measures",
        columns=(
            "Measure",
            "Status",
            "Value",
            "Target to date",
            "Commentary",
            "Improvement actions",
        ),
        rows=tuple(rows),
        empty="No measure is RED or AMBER.",
    )
    return Section(key="attention", heading="Measures needing attention", tables=(table,))


def actions_section(inputs: PacketInputs) -> Section:
    today = inputs.cut_off.date()
    rows = []
    for action in sorted(inputs.actions, key=lambda a: (a.due_date, a.id)):
        due = _due_state(action, inputs, today)
        then = (
            None if inputs.previous_cut_off is None else action.status_at(inputs.previous_cut_off)
        )
        now = action.status_at(inputs.cut_off)
        if now is None or (due is None and then == now):
            continue
        rows.append(
            (
                action.title,
                action.qsmo,
                action.measure,
                action.owner,
                action.due_date,
                then or "new",
                now,
                due or "",
                action.origin,
            )
        )
    table = Table(
        sheet="Actions",
        title="Actions overdue, due soon or changed since the previous review",
        columns=(
            "Action",
            "QSMO",
            "Measure",
            "Owner",
            "Due",
            "At previous review",
            "At cut-off",
            "Due state",
            "Origin",
        ),
        rows=tuple(rows),
        empty="No action is overdue, due soon or changed.",
    )
    return Section(key="actions", heading="Improvement actions", tables=(table,))


def _due_state(action: ActionRecord, inputs: PacketInputs, today: date) -> str | None:
    status = action.status_at(inputs.cut_off)
    if status is None or status in CLOSED:
        return None
    if action.due_date < today:
        return "overdue"
    if action.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return f"due within {DUE_SOON_DAYS} days"
    return None


def stale_section(inputs: PacketInputs) -> Section:
    card = inputs.scorecard
    stale = [] if card is None else [m for m in card.measures if m.active and m.stale]
    rows = tuple(
        (m.name, format_instant(m.last_event_at), m.events, m.reporting_frequency_days)
        for m in stale
    )
    table = Table(
        sheet="Stale",
        title="Stale data",
        columns=("Measure", "Last event", "Events", "Expected every (days)"),
        rows=rows,
        empty="No measure's data is stale.",
    )
    return Section(key="stale", heading="Stale data", tables=(table,))


def survey_section(inputs: PacketInputs) -> Section:
    rows: list[tuple[Cell, ...]] = []
    for wave in inputs.surveys:
        rows.append(
            (
                wave.name,
                wave.closed_on,
                "All respondents",
                wave.respondents,
                _rate(wave.response_rate),
                Quantity(value=wave.overall_mean, unit="score 1–5"),
            )
        )
        rows += [
            (
                wave.name,
                wave.closed_on,
                g.label,
                g.respondents,
                g.withheld or "",
                Quantity(value=g.mean, unit="score 1–5"),
            )
            for g in wave.groups
        ]
    table = Table(
        sheet="Survey",
        title="Survey waves closed in the quarter",
        columns=(
            "Wave",
            "Closed on",
            "Group",
            "Respondents",
            "Response rate / note",
            "Overall mean",
        ),
        rows=tuple(rows),
        empty="No survey wave closed in the quarter.",
    )
    return Section(key="survey", heading="Survey highlights", tables=(table,))


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def proposals_section(inputs: PacketInputs) -> Section:
    rows = tuple(
        (
            p.id,
            p.qsmo or "all QSMOs",
            p.measure,
            p.kind,
            Quantity(value=p.proposed_value, unit=p.unit),
            p.rationale,
        )
        for p in inputs.proposals or ()
    )
    table = Table(
        sheet="Revisions",
        title="Open revision proposals",
        columns=("Proposal", "QSMO", "Measure", "Kind", "Proposed value", "Rationale"),
        rows=rows,
        empty="No revision proposal is open.",
    )
    return Section(key="revisions", heading="Revision proposals", tables=(table,))
