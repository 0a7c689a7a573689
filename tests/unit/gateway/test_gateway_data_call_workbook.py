"""The data call's Excel workbook: generated from the schemas, filled with openpyxl as a
person would, read back cell by cell — equal data, or every problem by sheet/row/column."""

import io
import zipfile
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from gateway.provider_tools.workbook import (
    LISTS,
    README,
    ROWS,
    columns,
    template_workbook,
)
from gateway.provider_tools.workbook_upload import (
    CellProblem,
    WorkbookInvalid,
    cells_of,
    read_workbook,
)
from shared.catalog.data_call import example_sections, load_data_call_schema
from shared.domain.data_call import FieldKind
from shared.domain.data_call_validation import require_valid, validate_sections

FY = 2026
PROVIDER = "doi-ibc"
SCHEMA = load_data_call_schema()


def template(provider: str | None = PROVIDER) -> Workbook:
    return load_workbook(io.BytesIO(template_workbook(SCHEMA, FY, provider)))


def cell_value(kind: FieldKind, value: Any) -> Any:
    """What a person types into a cell of that kind."""
    if kind is FieldKind.DATE:
        return date.fromisoformat(value)
    if kind is FieldKind.YES_NO:
        return "yes" if value else "no"
    return value


def fill(workbook: Workbook, sections: dict[str, Any]) -> Workbook:
    """Type ``sections`` into the template's sheets, one row per row, from row 2."""
    for section in SCHEMA.sections:
        rows = sections[section.name] if section.has_rows else [sections[section.name]]
        sheet = workbook[section.name]
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(columns(section), start=1):
                value = row.get(column.field.name)
                if column.choice is not None:
                    sheet.cell(number, index, "yes" if column.choice in value else "no")
                elif value is not None:
                    sheet.cell(number, index, cell_value(column.kind, value))
    return workbook


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes, provider: str = PROVIDER, fiscal_year: int = FY) -> list[CellProblem]:
    with pytest.raises(WorkbookInvalid) as raised:
        read_workbook(data, SCHEMA, fiscal_year, provider)
    return list(raised.value.problems)


def test_the_template_has_a_readme_one_sheet_per_section_and_hidden_lists() -> None:
    workbook = template()
    assert workbook.sheetnames == [README, *(s.name for s in SCHEMA.sections), LISTS]
    assert workbook[LISTS].sheet_state == "hidden"
    readme = workbook[README]
    assert readme.protection.sheet
    for name, value in (
        ("template_version", "1.0"),
        ("fiscal_year", FY),
        ("provider_id", PROVIDER),
    ):
        ((sheet, reference),) = workbook.defined_names[name].destinations
        assert workbook[sheet][reference.replace("$", "")].value == value
    texts = [str(c.value) for row in readme.iter_rows() for c in row if c.value]
    assert any("POST /v1/data-call/2026/workbook" in t for t in texts)
    assert "Average days from a proper invoice's receipt to its payment. Unit: days." in texts


def test_header_rows_are_the_schema_titles_in_order() -> None:
    workbook = template()
    staffing = workbook["staffing"]
    assert [c.value for c in staffing[1]] == ["Function", "Federal FTE", "Contractor FTE"]
    demographics = [c.value for c in workbook["demographics"][1]]
    assert demographics[:5] == [
        "Provider name",
        "Headquarters city",
        "Customer agencies served",
        "Customers served",
        "Transactions processed",
    ]
    assert demographics[5:] == [
        f"Services offered: {c}" for c in SCHEMA.section("demographics").fields[5].choices
    ]


def _validations(workbook: Workbook, sheet: str) -> dict[str, Any]:
    found = {}
    for rule in workbook[sheet].data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            found[str(cells)] = rule
    return found


def test_columns_are_typed_with_formats_and_validations() -> None:
    workbook = template()
    staffing = _validations(workbook, "staffing")
    assert staffing["B2:B501"].type == "decimal"
    assert (staffing["B2:B501"].formula1, staffing["B2:B501"].formula2) == ("0", "100000")
    demographics = _validations(workbook, "demographics")
    assert demographics["D2"].type == "whole"  # customers served, one row only
    contracts = _validations(workbook, "contracts")
    assert contracts["E2:E501"].type == "date"
    assert contracts["A2:A501"].type == "textLength"
    formats = {
        ("staffing", "B"): "#,##0.00",
        ("demographics", "D"): "#,##0",
        ("contracts", "E"): "yyyy-mm-dd",
        ("contracts", "A"): "@",
    }
    for (sheet, letter), number_format in formats.items():
        assert workbook[sheet].column_dimensions[letter].number_format == number_format


def test_enums_are_drop_downs_listing_the_schema_choices() -> None:
    workbook = template()
    function = _validations(workbook, "staffing")["A2:A501"]
    assert (function.type, function.formula1) == ("list", "choices_staffing_function")
    ((sheet, reference),) = workbook.defined_names["choices_staffing_function"].destinations
    first, last = reference.replace("$", "").split(":")
    listed = [c.value for row in workbook[sheet][first:last] for c in row]
    assert tuple(listed) == SCHEMA.section("staffing").fields[0].choices
    services = _validations(workbook, "demographics")["F2"]
    assert (services.type, services.formula1) == ("list", '"yes,no"')
    hosting = _validations(workbook, "systems")["C2:C501"]
    assert hosting.formula1 == "choices_systems_hosting"
    assert all(rule.showErrorMessage for rule in _validations(workbook, "metrics").values())


def test_round_trip_of_the_example() -> None:
    data = saved(fill(template(), example_sections(FY)))
    reading = read_workbook(data, SCHEMA, FY, PROVIDER)
    assert reading.sections == example_sections(FY)
    assert reading.sheet_rows["staffing"] == [2, 3]


def test_a_prefilled_template_reads_back_as_its_sections() -> None:
    data = template_workbook(SCHEMA, FY, PROVIDER, example_sections(FY))
    assert read_workbook(data, SCHEMA, FY, PROVIDER).sections == example_sections(FY)
    assert data != template_workbook(SCHEMA, FY, PROVIDER)


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers() -> None:
    workbook = fill(template(), example_sections(FY))
    staffing = workbook["staffing"]
    staffing.insert_rows(3, amount=2)  # rows 3 and 4 blank; the payroll row moves to 5
    reading = read_workbook(saved(workbook), SCHEMA, FY, PROVIDER)
    assert reading.sections == example_sections(FY)
    assert reading.sheet_rows["staffing"] == [2, 5]


def test_the_same_template_without_a_provider_takes_any_provider() -> None:
    data = saved(fill(template(provider=None), example_sections(FY)))
    assert read_workbook(data, SCHEMA, FY, "treasury-arc").sections == example_sections(FY)


def test_another_template_version_is_refused_naming_both_and_the_fix() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook[README]["B3"] = "0.9"
    (problem,) = problems_of(saved(workbook))
    assert (problem.sheet, problem.row, problem.column) == (README, 3, "B")
    assert "template version '0.9'" in problem.message
    assert "takes version '1.0'" in problem.message
    assert "GET /v1/data-call/2026/template.xlsx" in problem.message


def test_a_workbook_that_is_no_template_is_refused() -> None:
    plain = Workbook()
    (problem,) = problems_of(saved(plain))
    assert "not a data-call template" in problem.message


def test_a_renamed_sheet_is_named_with_what_was_found() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook["budget"].title = "Budget FY26"
    (problem,) = problems_of(saved(workbook))
    assert (problem.sheet, problem.row, problem.column) == ("budget", None, None)
    assert problem.message.startswith("sheet 'budget' is missing; found 'Budget FY26'")


def test_sheet_names_match_in_any_letter_case_as_in_excel() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook["staffing"].title = "Staffing "
    assert read_workbook(saved(workbook), SCHEMA, FY, PROVIDER).sections == example_sections(FY)


def test_text_in_a_numeric_cell_is_named_by_sheet_row_and_column() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook["staffing"]["B3"] = "twenty"
    workbook["demographics"]["E2"] = "1,500,000"
    workbook["demographics"]["D2"] = 12.5
    workbook["contracts"]["E2"] = "next year"
    problems = problems_of(saved(workbook))
    assert [(p.sheet, p.row, p.column, p.field) for p in problems] == [
        ("demographics", 2, "D", "customer_count"),
        ("demographics", 2, "E", "transactions_processed"),
        ("staffing", 3, "B", "federal_fte"),
        ("contracts", 2, "E", "end_date"),
    ]
    assert "12.5 is not a whole number" in problems[0].message
    assert "text '1,500,000' in a number column" in problems[1].message
    assert "without units, thousands separators" in problems[1].message
    assert "in a date column: enter a date" in problems[3].message


def test_layout_changes_are_refused() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook["staffing"]["C1"] = "Contractors"
    workbook["systems"]["G4"] = "note"
    workbook["demographics"]["A3"] = "a second provider"
    problems = problems_of(saved(workbook))
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("demographics", 3, None),
        ("staffing", 1, "C"),
        ("systems", 4, "G"),
    ]
    assert "expected 'Contractor FTE'" in problems[1].message
    assert "outside the template's columns (A to E)" in problems[2].message


def test_another_provider_or_fiscal_year_is_refused() -> None:
    data = saved(fill(template(), example_sections(FY)))
    (other,) = problems_of(data, provider="treasury-arc")
    assert (other.sheet, other.row, other.column) == (README, 5, "B")
    assert "made for provider 'doi-ibc', uploaded for 'treasury-arc'" in other.message
    (year,) = problems_of(data, fiscal_year=2025)
    assert "template of FY2026, uploaded as FY2025's" in year.message


def test_bytes_that_are_no_workbook_and_zip_bombs_are_refused_before_parsing() -> None:
    (junk,) = problems_of(b"PK\x03\x04 not really")
    assert "not an .xlsx workbook" in junk.message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (51 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    (bomb,) = problems_of(buffer.getvalue())
    assert "unpacks to more than 50 MB" in bomb.message


def test_rows_past_the_last_template_row_are_refused() -> None:
    workbook = fill(template(), example_sections(FY))
    workbook["contracts"].cell(ROWS + 2, 2, "late vendor")
    (problem,) = problems_of(saved(workbook))
    assert (problem.sheet, problem.row) == ("contracts", ROWS + 2)


def test_validation_problems_are_placed_on_the_sheet() -> None:
    given = example_sections(FY)
    given["staffing"][1]["function"] = "financial-management"  # twice
    given["demographics"]["services_offered"] = []
    workbook = fill(template(), given)
    workbook["staffing"].insert_rows(3)  # the duplicate moves to sheet row 4
    reading = read_workbook(saved(workbook), SCHEMA, FY, PROVIDER)
    problems = validate_sections(SCHEMA, FY, reading.sections)
    placed = cells_of(SCHEMA, reading, problems)
    assert [(p.sheet, p.row, p.column, p.field) for p in placed] == [
        ("demographics", 2, "F", "services_offered"),
        ("staffing", 4, "A", "function"),
    ]


TEXT = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCXYZ0123-", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
    .filter(lambda t: not t.isdigit())
)
MONEY = st.integers(0, 10**9) | st.decimals(0, 10**6, places=2).map(float)


def _unique_rows(rows: st.SearchStrategy[dict[str, Any]], key: str, low: int) -> Any:
    return st.lists(rows, min_size=low, max_size=4, unique_by=lambda r: r[key])


@st.composite
def valid_sections(draw: st.DrawFn) -> dict[str, Any]:
    fields = {f.name: f for s in SCHEMA.sections for f in s.fields}
    functions = fields["function"].choices
    demographics = {
        "provider_name": draw(TEXT),
        "headquarters_city": draw(TEXT),
        "customer_agencies": draw(st.integers(0, 1000)),
        "customer_count": draw(st.integers(0, 10**8)),
        "transactions_processed": draw(st.integers(0, 10**11)),
        "services_offered": sorted(
            draw(st.sets(st.sampled_from(functions), min_size=1)), key=functions.index
        ),
    }
    staffing = st.fixed_dictionaries(
        {
            "function": st.sampled_from(functions),
            "federal_fte": st.decimals(0, 1000, places=1).map(float),
            "contractor_fte": st.integers(0, 100),
        }
    )
    budget = st.fixed_dictionaries(
        {"fiscal_year": st.integers(2000, 2100), "operating_cost_usd": MONEY, "revenue_usd": MONEY}
    )
    metrics = st.fixed_dictionaries(
        {"metric": st.sampled_from(["audit-findings", "transactions-per-fte"]), "value": MONEY}
    ).map(lambda r: {**r, "value": min(r["value"], 10**9), "unit": "count"})
    system = {
        "system_name": TEXT,
        "function": st.sampled_from(functions),
        "hosting": st.sampled_from(fields["hosting"].choices),
        "fibf_aligned": st.booleans(),
    }
    systems = st.fixed_dictionaries(
        system, optional={"end_of_support": st.dates(date(2000, 1, 1)).map(date.isoformat)}
    )
    contracts = st.fixed_dictionaries(
        {
            "contract_number": TEXT,
            "vendor": TEXT,
            "contract_type": st.sampled_from(fields["contract_type"].choices),
            "annual_value_usd": MONEY,
            "end_date": st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat),
        }
    )
    budget_rows = draw(_unique_rows(budget, "fiscal_year", 0))
    if all(r["fiscal_year"] != FY for r in budget_rows):
        budget_rows.append({"fiscal_year": FY, "operating_cost_usd": 1.5, "revenue_usd": 0})
    return {
        "demographics": demographics,
        "metrics": draw(_unique_rows(metrics, "metric", 0)),
        "staffing": draw(_unique_rows(staffing, "function", 1)),
        "budget": budget_rows,
        "systems": draw(_unique_rows(systems, "system_name", 0)),
        "contracts": draw(_unique_rows(contracts, "contract_number", 0)),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sections())
def test_any_valid_data_call_survives_the_round_trip(sections: dict[str, Any]) -> None:
    stored = require_valid(SCHEMA, FY, sections)
    reading = read_workbook(saved(fill(template(), stored)), SCHEMA, FY, PROVIDER)
    assert require_valid(SCHEMA, FY, reading.sections) == stored
