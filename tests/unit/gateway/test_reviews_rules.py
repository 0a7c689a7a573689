"""The review rules of ``shared.domain.reviews``: cut-offs, steps, packet attempts (pure)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.reviews import (
    MAX_PACKET_ATTEMPTS,
    PacketStatus,
    Review,
    ReviewRuleBroken,
    ReviewState,
    clean_participants,
    creation_cut_off,
    default_title,
    held,
    made_ready,
    new_review,
    packet_failed,
    quarter_end,
    ready_cut_off,
    rerender_allowed,
)

NOW = datetime(2024, 5, 15, 12, tzinfo=UTC)  # FY2024 Q3 in progress; Q2 ended 2024-04-01
Q2_END = datetime(2024, 4, 1, tzinfo=UTC)


def _draft(cut_off: datetime = NOW, quarter: int = 2) -> Review:
    return new_review(
        qsmo="cybersecurity",
        fiscal_year=2024,
        quarter=quarter,
        title="t",
        meeting_date=date(2024, 5, 20),
        participants=("CFO",),
        stakeholder_lists=(),
        cut_off=cut_off,
        previous_review_id=None,
        now=NOW,
        by="t-admin",
    )


def test_quarter_end_is_the_next_quarters_first_instant() -> None:
    assert quarter_end(2024, 2) == Q2_END
    assert quarter_end(2024, 4) == datetime(2024, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quarter", "given", "expected"),
    [
        (2, None, NOW),  # ended quarter, default now
        (2, Q2_END, Q2_END),  # at the quarter's end
        (2, Q2_END + timedelta(days=3), Q2_END + timedelta(days=3)),
        (3, None, NOW),  # a quarter in progress: DRAFT at now
    ],
)
def test_creation_cut_off(quarter: int, given: datetime | None, expected: datetime) -> None:
    assert creation_cut_off(2024, quarter, given, NOW) == expected


@pytest.mark.parametrize(
    ("quarter", "given", "words"),
    [
        (2, NOW + timedelta(seconds=1), "in the future"),
        (2, Q2_END - timedelta(seconds=1), "before FY2024 Q2 ended"),
        (3, NOW - timedelta(days=1), "has not ended"),
    ],
)
def test_creation_cut_off_refusals_name_cut_off(quarter: int, given: datetime, words: str) -> None:
    with pytest.raises(ReviewRuleBroken) as refused:
        creation_cut_off(2024, quarter, given, NOW)
    assert refused.value.field == "cutOff"
    assert words in refused.value.message


def test_ready_cut_off_keeps_a_draft_cut_off_after_the_quarter_end() -> None:
    kept = Q2_END + timedelta(days=2)
    assert ready_cut_off(_draft(kept), None, NOW) == kept


def test_ready_cut_off_is_now_for_a_draft_cut_before_the_quarter_end() -> None:
    early = _draft(Q2_END - timedelta(days=5))
    assert ready_cut_off(early, None, NOW) == NOW
    assert ready_cut_off(early, Q2_END, NOW) == Q2_END


def test_ready_is_refused_while_the_quarter_runs_and_when_not_a_draft() -> None:
    with pytest.raises(ReviewRuleBroken) as refused:
        ready_cut_off(_draft(quarter=3), None, NOW)
    assert refused.value.field == "id"
    assert "has not ended" in refused.value.message
    ready = made_ready(_draft(), NOW, None, NOW, "t-admin")
    with pytest.raises(ReviewRuleBroken, match="already READY"):
        ready_cut_off(ready, None, NOW)


def test_the_steps_move_the_state_and_keep_a_history() -> None:
    draft = _draft()
    assert draft.packet.version == 1
    assert draft.packet.status is PacketStatus.PENDING
    ready = made_ready(draft, Q2_END, "FY2024-Q1|cybersecurity", NOW, "t-pub")
    assert ready.state is ReviewState.READY
    assert ready.cut_off == Q2_END
    assert ready.packet.version == 2
    assert ready.revision == draft.revision + 1
    assert ready.previous_review_id == "FY2024-Q1|cybersecurity"
    done = held(ready, (), "quorum", NOW, "t-pub")
    amended = held(done, (), "quorum, amended", NOW, "t-admin")
    assert [(s.state, s.note) for s in amended.history] == [
        (ReviewState.DRAFT, None),
        (ReviewState.READY, None),
        (ReviewState.HELD, None),
        (ReviewState.HELD, "amended"),
    ]
    with pytest.raises(ReviewRuleBroken, match="make it ready"):
        held(draft, (), None, NOW, "t")


def test_only_a_drafts_or_a_failed_packet_is_rendered_again() -> None:
    rerender_allowed(_draft())
    ready = made_ready(_draft(), NOW, None, NOW, "t")
    with pytest.raises(ReviewRuleBroken, match="frozen"):
        rerender_allowed(ready)
    failed = ready.packet
    for _ in range(MAX_PACKET_ATTEMPTS):
        failed = packet_failed(failed, "boom", NOW, timedelta(seconds=1))
    rerender_allowed(ready.model_copy(update={"packet": failed}))


@given(st.integers(min_value=0, max_value=MAX_PACKET_ATTEMPTS + 2))
def test_a_packet_fails_for_good_after_the_last_attempt(tries: int) -> None:
    packet = _draft().packet
    for _ in range(tries):
        packet = packet_failed(packet, "typst: font missing", NOW, timedelta(seconds=10))
    if tries == 0:
        assert packet.status is PacketStatus.PENDING
        assert packet.error is None
    elif tries < MAX_PACKET_ATTEMPTS:
        assert packet.status is PacketStatus.PENDING
        assert packet.retry_at == NOW + timedelta(seconds=10) * 2 ** (tries - 1)
    else:
        assert packet.status is PacketStatus.FAILED
        assert packet.retry_at is None
        assert packet.error == "typst: font missing"


def test_titles_and_participants() -> None:
    assert default_title(2025, 2, "Cybersecurity QSMO") == (
        "FY2025 Q2 performance review — Cybersecurity QSMO"
    )
    assert default_title(2025, 2, None) == "FY2025 Q2 performance review — government-wide"
    assert clean_participants([" CFO ", "CX lead"]) == ("CFO", "CX lead")
    with pytest.raises(ReviewRuleBroken) as refused:
        clean_participants(["CFO", "  "])
    assert refused.value.field == "participants[1]"
