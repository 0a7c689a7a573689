"""The committed SDL (gateway/schema.graphql) is exactly what the code defines."""

from gateway.sdl import REGENERATE, SCHEMA_FILE, current_sdl


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == current_sdl(), (
        f"{SCHEMA_FILE} differs from the schema the code defines. If the change is intended, "
        f"run `{REGENERATE}` and commit the file (it is the API contract: review the diff)."
    )


def test_contract_names_are_present() -> None:
    sdl = current_sdl()
    for name in (
        "framework(version: ID = null): Framework!",
        "measureValue(measure: ID!, qsmo: ID = null, fiscalYear: Int = null, "
        "fiscalQuarter: Int = null, rollingDays: Int = null, provider: ID = null, "
        "agency: ID = null): MeasureValue!",
        "scorecard(fiscalYear: Int!, qsmo: ID = null, phase: Int = null, asOf: DateTime = null, "
        "provider: ID = null, agency: ID = null): Scorecard",
        "providerComparison(qsmo: ID!, fiscalYear: Int!, measures: [ID!] = null): "
        "ProviderComparison!",
        "agencies: [Agency!]!",
        "scorecardDiff(fiscalYear: Int!, from: DateTime!, to: DateTime!",
        "scorecards(fiscalYear: Int!",
        "notifications(qsmo: ID = null, first: Int = null, after: String = null)",
        "auditLog(first: Int = null, after: String = null)",
        "scorecardChanged(qsmo: ID = null",
        "notificationRaised(qsmo: ID = null)",
    ):
        assert name in sdl
