"""What the provider-tools simulator submits passes the platform's own rules (the pure cores
the gateway checks with), and the same seed gives the same submissions."""

from datetime import UTC, date, datetime
from importlib.resources import files

import pytest
import yaml

from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.provider_tools_data import (
    Element,
    data_call_sections,
    self_assessment_ratings,
    survey_csv,
    survey_rows,
)
from shared.catalog import load_catalog
from shared.catalog.data_call import load_data_call_schema
from shared.domain.data_call import SECTIONS
from shared.domain.data_call_validation import validate_sections
from shared.domain.providers import Provider, ProviderRegistry
from shared.domain.self_assessment import ElementCatalog, Rating, check_ratings, results
from shared.domain.survey import SurveyCatalog, new_wave
from shared.domain.survey_responses import ResponseRules, check_columns, response_from_row

CATALOG = load_catalog()
ACTIVE = [p for p in CATALOG.providers if not p.retired]
ELEMENTS = ElementCatalog.model_validate(
    yaml.safe_load(
        files("shared.catalog").joinpath("tools", "self-assessment-1.0.yaml").read_text()
    )
)
SURVEY = SurveyCatalog.model_validate(
    yaml.safe_load(files("shared.catalog").joinpath("tools", "survey.yaml").read_text())
)
LISTED = [Element(e.id, e.category, e.name) for e in ELEMENTS.elements]


@pytest.mark.parametrize("provider", ACTIVE, ids=lambda p: p.id)
def test_each_providers_self_assessment_is_complete_and_acceptable(provider: Provider) -> None:
    ratings = self_assessment_ratings(2022, provider, 2026, LISTED)
    given = [Rating(**r) for r in ratings]
    assert check_ratings(ELEMENTS, given, complete=True) == []
    assert [r.element for r in given] == list(ELEMENTS.element_ids)
    overall = results(ELEMENTS, given).overall
    assert overall is not None
    assert 1 <= overall <= 5
    assert ratings == self_assessment_ratings(2022, provider, 2026, LISTED)


def test_larger_providers_rate_themselves_higher_on_average() -> None:
    def overall(provider_id: str) -> float:
        provider = next(p for p in ACTIVE if p.id == provider_id)
        given = [Rating(**r) for r in self_assessment_ratings(2022, provider, 2026, LISTED)]
        overall = results(ELEMENTS, given).overall
        assert overall is not None
        return overall

    assert overall("treasury-arc") > overall("dot-esc")


@pytest.mark.parametrize("provider", ACTIVE, ids=lambda p: p.id)
def test_each_providers_data_call_passes_the_template_rules(provider: Provider) -> None:
    sections = data_call_sections(2022, provider, 2026)
    assert tuple(sections) == SECTIONS
    assert validate_sections(load_data_call_schema(), 2026, sections) == []
    assert sections == data_call_sections(2022, provider, 2026)


def test_a_waves_responses_are_valid_rows_of_the_survey_export() -> None:
    survey = SURVEY
    now = datetime(2026, 6, 1, tzinfo=UTC)
    wave = new_wave(
        2026, "Annual survey", date(2026, 7, 1), date(2026, 8, 31), survey.default_items, now=now
    )
    functions = {f.id: f.qsmo for f in survey.functions}
    providers = {p.id: p for p in CATALOG.providers}
    rows = survey_rows(
        2022,
        wave.id,
        300,
        wave.item_ids,
        functions,
        providers,
        Marketplace(2022, CATALOG.providers),
        datetime(2026, 8, 31, tzinfo=UTC),
    )
    assert len(rows) == 300
    text = survey_csv(rows, wave.item_ids)
    header = text.splitlines()[0].split(",")
    assert check_columns(header, wave) == []
    rules = ResponseRules(
        survey, {a.id for a in CATALOG.agencies}, ProviderRegistry(CATALOG.providers)
    )
    responses = [response_from_row(row, wave, rules, line=i) for i, row in enumerate(rows, 2)]
    assert {r.role for r in responses} == set(survey.role_ids)
    assert all(r.provider for r in responses), "every function's QSMO has a marketplace"
    for response in responses:
        provider = providers[response.provider]  # type: ignore[index]
        assert provider.serves(functions[response.function])
    assert rows == survey_rows(
        2022,
        wave.id,
        300,
        wave.item_ids,
        functions,
        providers,
        Marketplace(2022, CATALOG.providers),
        datetime(2026, 8, 31, tzinfo=UTC),
    )
