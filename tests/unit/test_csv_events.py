"""The one CSV reader of ingest and the publisher client (``shared.csv_events``), as a table.

Each case is CSV text and either the rows it reads to, as ``(line, document)``, or the
problems it is refused with, as ``(code, line)`` (``message`` when there is no problem list).
"""

from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.csv_events import (
    EVENT_FIELDS,
    REQUIRED_COLUMNS,
    CsvFormatError,
    TooManyRowsError,
    read_csv_events,
)
from shared.events import PerformanceEvent

HEADER = "event_id,qsmo,measure,value,occurred_at"
ROW = "c-1,cybersecurity,customer-satisfaction,4.5,2024-05-01T12:00:00Z"
DOC = {
    "event_id": "c-1",
    "qsmo": "cybersecurity",
    "measure": "customer-satisfaction",
    "value": 4.5,
    "occurred_at": "2024-05-01T12:00:00Z",
}
WITHOUT_IDS = tuple(name for name in REQUIRED_COLUMNS if name != "event_id")


@dataclass(frozen=True)
class Case:
    text: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[tuple[str, int]] = field(default_factory=list)
    message: str | None = None
    required: tuple[str, ...] = REQUIRED_COLUMNS


CASES = {
    "one row": Case(f"{HEADER}\n{ROW}\n", rows=[(2, DOC)]),
    "CRLF and no final newline": Case(f"{HEADER}\r\n{ROW}", rows=[(2, DOC)]),
    "cells are trimmed, empty cells are absent": Case(
        f"{HEADER},agency,source\n c-1 ,cybersecurity,customer-satisfaction, 4.5 ,"
        "2024-05-01T12:00:00Z,  ,\n",
        rows=[(2, DOC)],
    ),
    "numbers in JSON syntax; anything else stays text": Case(
        'event_id,value\n1,3\n2,1e3\n3,-0.5\n4,"4,5"\n5,04\n6,NaN\n7,' + "9" * 5000 + "\n",
        rows=[
            (line, {"event_id": str(line - 1), "value": value})
            for line, value in enumerate([3, 1000.0, -0.5, "4,5", "04", "NaN", "9" * 5000], 2)
        ],
        required=(),
    ),
    "schema_version is a number": Case(
        f"{HEADER},schema_version\n{ROW},1\n", rows=[(2, {**DOC, "schema_version": 1})]
    ),
    "attribute cells: booleans, numbers, text": Case(
        f"{HEADER},attributes.final,attributes.n,attributes.zip,attributes.note,attributes.x\n"
        f"{ROW},true,37,02134,True,\n",
        rows=[(2, {**DOC, "attributes": {"final": True, "n": 37, "zip": "02134", "note": "True"}})],
    ),
    "blank rows and rows of empty cells are skipped; lines stay physical": Case(
        f"{HEADER}\n\n{ROW}\n , ,,,\n{ROW.replace('c-1', 'c-2')}\n",
        rows=[(3, DOC), (5, {**DOC, "event_id": "c-2"})],
    ),
    "a quoted line break counts as a line": Case(
        f'{HEADER},source\n{ROW},"two\nlines"\n{ROW.replace("c-1", "c-2")},\n',
        rows=[(2, {**DOC, "source": "two\nlines"}), (4, {**DOC, "event_id": "c-2"})],
    ),
    "a quoted comma is one cell": Case(
        f'{HEADER},source\n{ROW},"survey, web"\n', rows=[(2, {**DOC, "source": "survey, web"})]
    ),
    "a row with too few cells": Case(
        f"{HEADER}\n{ROW}\nc-2,cybersecurity\n", problems=[("ragged_row", 3)]
    ),
    "a row with too many cells": Case(f"{HEADER}\n{ROW},extra\n", problems=[("ragged_row", 2)]),
    "a row one empty cell short is still ragged": Case(
        f"{HEADER},agency\n{ROW}\n", problems=[("ragged_row", 2)]
    ),
    "every ragged row is listed": Case(
        f"{HEADER}\n{ROW},x\n{ROW}\n\na,b\n", problems=[("ragged_row", 2), ("ragged_row", 5)]
    ),
    "unknown, repeated and missing columns": Case(
        "event_id,qsmo,measure,valeu,value,value\n",
        problems=[("unknown_column", 1), ("duplicate_column", 1), ("missing_column", 1)],
    ),
    "the header is the first non-blank row": Case(
        "\n\nevent_id,qsmo\n", problems=[("missing_column", 3)] * 3
    ),
    "no text at all: every required column is missing": Case(
        "", problems=[("missing_column", 1)] * 5
    ),
    "a header without rows": Case(f"{HEADER}\n\n", message="header row but no event rows"),
    "an unreadable line": Case(
        f'{HEADER}\n{ROW}\n"c-2"x,a,b,1,2\n', message="CSV line 3 cannot be read"
    ),
    "event_id optional for the publisher client": Case(
        "qsmo,measure,value,occurred_at\ncybersecurity,customer-satisfaction,4.5,"
        "2024-05-01T12:00:00Z\n",
        rows=[(2, {k: v for k, v in DOC.items() if k != "event_id"})],
        required=WITHOUT_IDS,
    ),
    "event_id required for ingest": Case(
        "qsmo,measure,value,occurred_at\n", problems=[("missing_column", 1)]
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_csv_events(case: Case) -> None:
    if case.rows:
        rows = read_csv_events(case.text, required=case.required)
        assert [(row.line, row.document) for row in rows] == case.rows
        return
    with pytest.raises(CsvFormatError) as caught:
        read_csv_events(case.text, required=case.required)
    assert [(p.code, p.line) for p in caught.value.problems] == case.problems
    if case.message:
        assert case.message in caught.value.message


def test_a_ragged_row_names_its_line_position_and_the_fix() -> None:
    with pytest.raises(CsvFormatError) as caught:
        read_csv_events(f"{HEADER}\n{ROW}\n\nc-2,cybersecurity\n")
    [problem] = caught.value.problems
    assert (problem.line, problem.index) == (4, 1)
    assert problem.message.startswith("the row has 2 cells but the header has 5; give every row")
    assert "fix the lines listed" in caught.value.message


def test_header_problems_name_the_column_and_suggest_the_field() -> None:
    with pytest.raises(CsvFormatError) as caught:
        read_csv_events("event_id,qsmo,measure,value,occured_at\n")
    assert [(p.code, p.field) for p in caught.value.problems] == [
        ("unknown_column", "occured_at"),
        ("missing_column", "occurred_at"),
    ]
    assert "did you mean 'occurred_at'?" in caught.value.problems[0].message
    assert (
        "event_id, qsmo, measure, value, occurred_at (required), agency, provider, source"
        in str(caught.value)
    )


def test_reading_stops_at_the_first_row_over_the_limit() -> None:
    rows = "".join(f"{ROW.replace('c-1', f'c-{i}')}\n" for i in range(3))
    assert len(read_csv_events(f"{HEADER}\n{rows}", max_rows=3)) == 3
    with pytest.raises(TooManyRowsError):
        read_csv_events(f"{HEADER}\n{rows}broken,row\n", max_rows=3)


def test_event_fields_are_the_event_models_fields() -> None:
    assert sorted(EVENT_FIELDS) == sorted(PerformanceEvent.model_fields)
