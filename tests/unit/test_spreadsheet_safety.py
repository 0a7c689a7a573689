"""Formula neutralising (OWASP CSV injection): text that a spreadsheet would run is quoted."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.spreadsheet_safety import FORMULA_STARTS, neutralise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Plan B", "Plan B"),
        ("a = b", "a = b"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_formula_starts_are_quoted_and_other_text_is_kept(text: str, expected: str) -> None:
    assert neutralise(text) == expected


@given(st.text())
def test_no_neutralised_text_begins_like_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (text, "'" + text)
    assert neutralise(safe) == safe  # twice is once
