"""Reading a survey tool's export: CSV and XLSX to rows of text cells, or a clear refusal."""

import io

import pytest
from openpyxl import Workbook

from gateway.provider_tools.survey_import import read_response_file
from shared.domain.survey import SurveyRejected


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Export"
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    parsed = read_response_file(
        b"\xef\xbb\xbfRole, Agency ,overall\nmanager,DOI,4\n\n,,\nexecutive,VA,5\n"
    )
    assert parsed.columns == ("role", "agency", "overall")
    assert parsed.rows == (
        (2, {"role": "manager", "agency": "DOI", "overall": "4"}),
        (5, {"role": "executive", "agency": "VA", "overall": "5"}),
    )
    assert parsed.sheet is None


def test_a_ragged_csv_row_is_refused_by_row() -> None:
    with pytest.raises(SurveyRejected) as refused:
        read_response_file(b"role,agency,overall\nmanager,DOI\n")
    assert str(refused.value) == ("row 2: has 2 cells but the header has 3 columns")


@pytest.mark.parametrize(
    ("data", "fix"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00r", "neither an XLSX workbook nor UTF-8 CSV text"),
        (b"PK\x03\x04broken", "save it again as .xlsx"),
    ],
)
def test_unreadable_files(data: bytes, fix: str) -> None:
    with pytest.raises(SurveyRejected, match=fix):
        read_response_file(data)


def test_xlsx_cells_become_text() -> None:
    parsed = read_response_file(
        xlsx(["Role", "overall", "comment", None], ["manager", 4.0, None], [None, None, None])
    )
    assert parsed.sheet == "Export"
    assert parsed.columns == ("role", "overall", "comment")
    assert parsed.rows == ((2, {"role": "manager", "overall": "4", "comment": None}),)


def test_an_xlsx_value_right_of_the_header_is_refused() -> None:
    with pytest.raises(SurveyRejected, match=r"row 2: has a value \('stray'\) to the right"):
        read_response_file(xlsx(["role", "overall"], ["manager", 4, "stray"]))
