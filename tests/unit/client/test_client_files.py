"""Reading JSON-lines and CSV files into events: ingest's CSV rules, lines, derived ids."""

from pathlib import Path

import pytest

from qsmo_client.events import derived_event_id
from qsmo_client.files import FileFormatError, parse_csv, parse_jsonl, read_events_file

HEADER = "qsmo,measure,value,occurred_at"


def test_csv_cells_follow_ingest_rules_and_remember_their_lines() -> None:
    text = (
        "event_id,qsmo,measure,value,occurred_at,agency,source,attributes.survey,attributes.n,"
        "attributes.final,attributes.zip\r\n"
        "c-1,cybersecurity,customer-satisfaction,4.5,2024-05-01T12:00:00Z,DOI,,FY24-Q3,37,true,02134\r\n"
        "\r\n"
        'c-2,cybersecurity,customer-engagement, 3 ,2024-05-02T12:00:00Z,,"two\nlines",,,,\r\n'
        'c-3,cybersecurity,customer-satisfaction,"4,5",2024-05-03T12:00:00Z,,,,,,\r\n'
    )
    loaded = parse_csv(text, "events.csv")
    first, second, third = loaded.events
    assert first.document == {
        "event_id": "c-1",
        "qsmo": "cybersecurity",
        "measure": "customer-satisfaction",
        "value": 4.5,
        "occurred_at": "2024-05-01T12:00:00Z",
        "agency": "DOI",
        "attributes": {"survey": "FY24-Q3", "n": 37, "final": True, "zip": "02134"},
    }
    assert second.document["value"] == 3
    assert second.document["source"] == "two\nlines"
    assert third.document["value"] == "4,5"  # sent as text: ingest names the problem
    assert [e.where for e in loaded.events] == [
        "events.csv line 2",
        "events.csv line 4",
        "events.csv line 6",
    ]
    assert loaded.derived_ids == 0


def test_csv_header_problems_are_found_before_anything_is_sent() -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_csv("qsmo,measure,valeu,value,value\nx,y,1,2,3\n", "bad.csv")
    messages = [str(p) for p in caught.value.problems]
    assert (
        "bad.csv line 1: column 'valeu' is not an event field (did you mean 'value'?); custom "
        "columns are named attributes.<name>" in messages
    )
    assert "bad.csv line 1: column 'value' appears twice" in messages
    assert "bad.csv line 1: required column 'occurred_at' is missing" in messages


def test_csv_ragged_rows_name_their_line_and_nothing_is_sent() -> None:
    text = f"{HEADER}\ncybersecurity,m,1,2024-01-01T00:00:00Z\na,b,c\n\na,b,c,d,e\n"
    with pytest.raises(FileFormatError) as caught:
        parse_csv(text, "ragged.csv")
    assert [str(p) for p in caught.value.problems] == [
        f"ragged.csv line {line}: the row has {cells} cells but the header has 4; give every row "
        "one cell per header column (leave a cell empty for an absent field, and quote a cell "
        "that holds a comma)"
        for line, cells in ((3, 3), (5, 5))
    ]


def test_csv_problems_without_a_line_name_the_file() -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_csv(f"{HEADER}\n\n", "empty.csv")
    assert str(caught.value) == "empty.csv: the CSV has a header row but no event rows"
    with pytest.raises(FileFormatError, match=r"^broken\.csv: CSV line 2 cannot be read: "):
        parse_csv(f'{HEADER}\n"q"x,m,1,2\n', "broken.csv")


def test_rows_without_ids_get_stable_distinct_ids_and_say_so() -> None:
    row = "cybersecurity,customer-engagement,1,2024-05-01T12:00:00Z"
    text = f"{HEADER}\n{row}\n{row}\ncybersecurity,customer-engagement,2,2024-05-01T12:00:00Z\n"
    once = parse_csv(text, "log.csv")
    again = parse_csv(
        text + "cybersecurity,customer-engagement,5,2024-06-01T12:00:00Z\n", "log.csv"
    )
    ids = [e.event_id for e in once.events]
    assert len(set(ids)) == 3  # two identical rows stay two events
    assert [e.event_id for e in again.events][:3] == ids  # appending rows keeps the old ids
    assert once.derived_ids == 3
    assert all(i.startswith("push-") and len(i) == 45 for i in ids)
    renamed = parse_csv(text, "other.csv")
    assert [e.event_id for e in renamed.events] != ids


def test_derived_ids_ignore_key_order_and_keep_given_ids() -> None:
    a = {"qsmo": "q", "measure": "m", "value": 1}
    b = {"value": 1, "measure": "m", "qsmo": "q"}
    assert derived_event_id("f", a, 0) == derived_event_id("f", b, 0) != derived_event_id("f", a, 1)
    loaded = parse_jsonl('{"event_id": "mine-1", "qsmo": "q"}\n{"qsmo": "q"}\n', "e.jsonl")
    assert loaded.events[0].event_id == "mine-1"
    assert loaded.events[1].event_id.startswith("push-")
    assert loaded.derived_ids == 1


def test_jsonl_skips_blank_lines_and_reports_broken_ones() -> None:
    loaded = parse_jsonl('\n{"event_id": "a", "value": 4.5}\n\n{"event_id": "b"}\n', "e.jsonl")
    assert [e.where for e in loaded.events] == ["e.jsonl line 2", "e.jsonl line 4"]
    with pytest.raises(FileFormatError) as caught:
        parse_jsonl('{"event_id": "a"}\n{oops\n[1, 2]\n{"value": NaN}\n', "e.jsonl")
    wheres = [p.where for p in caught.value.problems]
    assert wheres == ["e.jsonl line 2", "e.jsonl line 3", "e.jsonl line 4"]


def test_files_are_read_by_suffix_and_must_be_utf8(tmp_path: Path) -> None:
    csv_file = tmp_path / "events.CSV"
    csv_file.write_text(f"\ufeff{HEADER}\ncybersecurity,m,1,2024-01-01T00:00:00Z\n")
    assert read_events_file(csv_file).events[0].document["qsmo"] == "cybersecurity"
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"agency": "Défense"}'.encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_events_file(latin)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(FileFormatError, match="no events"):
        read_events_file(empty)
