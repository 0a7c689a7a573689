"""Survey responses (pure): one row of a survey tool's export, or one web-form answer.

A response carries the respondent's role, agency, function, the provider if any, a rating
1–5 for every item of the wave and an optional comment — never who answered. Rows arrive
as text cells keyed by lower-cased column name (``role``, ``agency``, ``function``,
``provider``, ``comment``, ``response_id`` and the wave's item ids); ``check_columns``
judges a file's header, ``response_from_row`` one row, naming each bad cell by row and
column. A response's id is the row's ``response_id`` when given, else
``derived_response_id`` — a hash of the wave, the normalized row and its occurrence among
identical rows of the same file — so importing the same file twice stores nothing twice.
"""

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from shared.domain.providers import ProviderRegistry
from shared.domain.survey import (
    FIXED_COLUMNS,
    RATINGS,
    REQUIRED_COLUMNS,
    Problem,
    SurveyCatalog,
    SurveyFunction,
    SurveyRejected,
    SurveyResponse,
    SurveyWave,
)

MAX_COMMENT = 4000
RESPONSE_ID = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,64}$")


@dataclass(frozen=True)
class ResponseRules:
    """What a response is checked against: the survey catalog, agencies and providers."""

    catalog: SurveyCatalog
    agencies: Collection[str]
    providers: ProviderRegistry


def check_columns(columns: Sequence[str], wave: SurveyWave) -> list[Problem]:
    """Problems with a file's header row (names already stripped and lower-cased)."""
    known = [*FIXED_COLUMNS, *wave.item_ids]
    problems = [
        Problem(c or "(empty)", f"unknown column '{c}'; the known columns are {', '.join(known)}")
        for c in columns
        if c not in known
    ]
    problems += [
        Problem(c, f"column '{c}' appears {n} times") for c, n in Counter(columns).items() if n > 1
    ]
    missing = [c for c in (*REQUIRED_COLUMNS, *wave.item_ids) if c not in columns]
    if missing:
        problems.append(
            Problem(missing[0], f"missing columns {missing}; every response needs them")
        )
    return problems


def response_from_row(
    row: Mapping[str, str | None],
    wave: SurveyWave,
    rules: ResponseRules,
    *,
    occurrence: int = 0,
    line: int | None = None,
) -> SurveyResponse:
    """A response from one row of text cells; ``SurveyRejected`` naming each bad cell.

    ``occurrence``: how many identical rows came before it in the same file (part of the id
    when the row has no ``response_id``); ``line``: the row number to name in problems.
    """
    cell = {k: (v or "").strip() for k, v in row.items()}
    problems: list[Problem] = []
    role = _choice(cell.get("role", "").lower(), "role", rules.catalog.role_ids, line, problems)
    agency = _choice(cell.get("agency", "").upper(), "agency", rules.agencies, line, problems)
    function = _choice(
        cell.get("function", "").lower(), "function", rules.catalog.function_ids, line, problems
    )
    provider = cell.get("provider", "").lower() or None
    if provider is not None and function:
        problems += _provider_problems(provider, rules.catalog.function(function), rules, line)
    ratings = {item: _rating(cell.get(item, ""), item, line, problems) for item in wave.item_ids}
    comment = cell.get("comment") or None
    if comment is not None and len(comment) > MAX_COMMENT:
        problems.append(Problem("comment", f"longer than {MAX_COMMENT} characters", line))
    given_id = cell.get("response_id") or None
    if given_id is not None and not RESPONSE_ID.match(given_id):
        message = "use 1–64 letters, digits or ._:/@+=- (no spaces)"
        problems.append(
            Problem("response_id", f"'{given_id[:70]}' is not a valid id: {message}", line)
        )
    if problems:
        raise SurveyRejected(problems)
    normalized = [role, agency, function, provider or "", *ratings.values(), comment or ""]
    return SurveyResponse(
        id=given_id or derived_response_id(wave.id, normalized, occurrence),
        wave=wave.id,
        role=role,
        agency=agency,
        function=function,
        provider=provider,
        ratings=ratings,
        comment=comment,
    )


def derived_response_id(wave: str, normalized: Sequence[object], occurrence: int) -> str:
    """``h-`` + 32 hex digits of sha256(wave, normalized row, occurrence among equal rows)."""
    payload = json.dumps([wave, list(normalized), occurrence], separators=(",", ":"))
    return "h-" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def _choice(
    value: str, column: str, known: Collection[str], line: int | None, problems: list[Problem]
) -> str:
    if value in known:
        return value
    shown = ", ".join(sorted(known)[:30])
    if not value:
        problems.append(Problem(column, f"is empty; give one of {shown}", line))
    else:
        problems.append(Problem(column, f"'{value[:70]}' is not one of {shown}", line))
    return ""


def _provider_problems(
    provider: str, function: SurveyFunction, rules: ResponseRules, line: int | None
) -> list[Problem]:
    known = rules.providers.get(provider)
    offered = [p.id for p in rules.providers.all(qsmo=function.qsmo, include_retired=False)]
    if known is None:
        close = rules.providers.did_you_mean(provider)
        hint = f"did you mean '{close}'? " if close else ""
        message = (
            f"'{provider[:70]}' is not a known provider; {hint}{function.id} providers: {offered}"
        )
        return [Problem("provider", message, line)]
    if not known.serves(function.qsmo):
        message = (
            f"'{provider}' does not serve {function.id} (QSMO {function.qsmo}); "
            f"its providers: {offered}, or leave provider empty"
        )
        return [Problem("provider", message, line)]
    return []


def _rating(value: str, item: str, line: int | None, problems: list[Problem]) -> int:
    text = value[:-2] if value.endswith(".0") else value
    if text.isdigit() and int(text) in RATINGS:
        return int(text)
    shown = f"'{value[:70]}'" if value else "empty"
    problems.append(Problem(item, f"{shown} is not a rating; give a whole number 1 to 5", line))
    return 0
