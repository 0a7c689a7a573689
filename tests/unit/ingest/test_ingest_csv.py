"""CSV bodies: header, cell conversion, empty cells, line numbers and structural errors."""

import pytest

from services.ingest.csv_input import parse_csv_body
from services.ingest.errors import InvalidRequestError, PayloadTooLargeError

HEADER = "event_id,qsmo,measure,value,occurred_at"


def csv(text: str, max_events: int = 1000) -> object:
    return parse_csv_body(text.encode(), max_events)


def test_rows_become_events_with_numbers_parsed_and_empty_cells_absent() -> None:
    submission = parse_csv_body(
        (
            f"{HEADER},agency,source,attributes.survey,attributes.responses,attributes.final,attributes.zip\r\n"
            "c-1,cybersecurity,customer-satisfaction,4.5,2024-05-01T12:00:00Z,DOI,,FY24-Q3,37,true,02134\r\n"
            "c-2,cybersecurity,customer-engagement, 3 ,2024-05-02T12:00:00-04:00,,,,,,\r\n"
        ).encode(),
        1000,
    )
    first, second = submission.events
    assert first is not None
    assert second is not None
    assert first.value == 4.5
    assert first.agency == "DOI"
    assert first.source is None
    assert first.attributes == {"survey": "FY24-Q3", "responses": 37, "final": True, "zip": "02134"}
    assert second.value == 3
    assert second.agency is None
    assert second.attributes == {}
    assert submission.lines == (2, 3)


def test_line_numbers_count_physical_lines_past_blank_rows_and_quoted_newlines() -> None:
    text = (
        f"{HEADER},source\n"
        "\n"
        'c-1,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z,"two\nlines"\n'
        ",,,,,\n"
        "c-2,cybersecurity,customer-satisfaction,abc,2024-05-01T12:00:00Z,\n"
    )
    submission = parse_csv_body(text.encode(), 1000)
    assert submission.lines == (3, 6)
    assert submission.events[0] is not None
    assert submission.events[0].source == "two\nlines"
    [problem] = submission.problems
    assert (problem.index, problem.field, problem.code) == (1, "value", "wrong_type")


def test_a_utf8_bom_is_ignored() -> None:
    body = (
        "\ufeff" + HEADER + "\nc-1,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z\n"
    ).encode()
    assert parse_csv_body(body, 1000).events[0] is not None


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("event_id,qsmo,measure,valeu,occurred_at\n", {"unknown_column", "missing_column"}),
        (f"{HEADER},qsmo\n", {"duplicate_column"}),
        ("", {"missing_column"}),
        (f"{HEADER}\nc-1,cybersecurity\n", {"ragged_row"}),
        (
            f"{HEADER}\nc-1,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z,extra\n",
            {"ragged_row"},
        ),
    ],
)
def test_structural_problems_refuse_the_whole_body(text: str, codes: set[str]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        csv(text)
    assert {d.code for d in caught.value.details} == codes
    assert all(d.line is not None for d in caught.value.details)


def test_unknown_column_suggests_the_field_and_ragged_rows_name_their_line() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        csv("event_id,qsmo,measure,value,occured_at\n")
    assert "did you mean 'occurred_at'?" in caught.value.details[0].message
    with pytest.raises(InvalidRequestError) as ragged:
        csv(f"{HEADER}\n\nc-1,cybersecurity\n")
    [detail] = ragged.value.details
    assert (detail.index, detail.line, detail.field, detail.code) == (0, 3, None, "ragged_row")
    assert "has 2 cells but the header has 5; give every row one cell" in detail.message


def test_header_only_has_no_events() -> None:
    with pytest.raises(InvalidRequestError, match="no event rows"):
        csv(HEADER + "\n")


def test_not_utf8_and_unreadable_csv_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not UTF-8"):
        parse_csv_body(HEADER.encode() + b"\n\xff,a,b,c,d\n", 1000)
    with pytest.raises(InvalidRequestError, match="CSV line 2 cannot be read"):
        csv(f'{HEADER}\n"c-1"x,a,b,1,2\n')


def test_more_rows_than_allowed_is_too_large() -> None:
    row = "c-{},cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z\n"
    with pytest.raises(PayloadTooLargeError, match="more than 2 event rows"):
        csv(HEADER + "\n" + "".join(row.format(i) for i in range(3)), max_events=2)


def test_numbers_too_long_to_convert_stay_text() -> None:
    text = f"{HEADER}\nc-1,cybersecurity,cost-avoidance,{'9' * 5000},2024-05-01T12:00:00Z\n"
    submission = parse_csv_body(text.encode(), 1000)
    assert submission.events == (None,)
    assert submission.problems[0].code == "wrong_type"
