"""The notification rules: a pure core (no I/O, no clock reads; ``now`` is an argument).

Every rule turns an input into *signals* about a **condition** (a rule applied to one subject,
named by a stable key such as ``status|FY2025|cybersecurity|measure|customer-satisfaction``):

* ``Breach`` — the condition holds (with a severity and a notification draft);
* ``Clear`` — it no longer holds.

``step`` folds a signal into the condition's state and returns the effects:

* a breach of a closed condition opens a new **episode** and raises one notification whose id
  is ``ntf_`` + SHA-256 of ``rule|key|episode|severity`` (so a replay raises the same id);
* a breach of an open condition is deduplicated, unless its severity is higher (AMBER → RED):
  that escalation raises one more notification in the same episode;
* a clear starts the **cooldown**: the condition resolves only after staying clear for
  ``cooldown`` (``settle``); a breach during the cooldown is a *flap*: suppressed and counted.

A draft with ``refresh`` set keeps the open episode's notification current: a breach of the
open condition with another message (``measure_stale``: the day count grew, or a newer last
event) rewrites the latest notification's message (``Updated``) instead of leaving the text
of the first breach standing.

Rules (see ``docs/notifications.md``): ``status_degraded`` and ``target_met`` from scorecard
transitions of open and recently closed periods (``signals.py``), ``restated`` for changes to
periods closed longer ago (``restated.py``), ``measure_stale`` from the newest data-quality
info, judged by the sweep, and ``dead_letter_surge`` from dead letters counted per QSMO in a
sliding window (``surges.py``).
"""

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.models import SEVERITY_RANK, Level, Notification, Severity

Rule = Literal[
    "status_degraded",
    "target_met",
    "measure_stale",
    "dead_letter_surge",
    "restated",
    "action_overdue",
]


class Draft(BaseModel):
    """A notification before it has an id and a time."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    severity: Severity
    qsmo: str | None
    dimension: str | None = None
    measure: str | None = None
    fiscal_year: int | None = None
    scorecard_id: str | None = None
    level: Level | None = None
    message: str
    links: dict[str, str] = Field(default_factory=dict)
    refresh: bool = False
    """Keep the open notification's message current on later breaches (not stored)."""


class Breach(BaseModel):
    """The condition ``key`` holds; ``draft`` is what to tell people if this is news."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["breach"] = "breach"
    key: str
    draft: Draft


class Clear(BaseModel):
    """The condition ``key`` no longer holds; ``follow_up`` is raised when it resolves."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["clear"] = "clear"
    key: str
    rule: Rule
    message: str
    follow_up: Draft | None = None


Signal = Breach | Clear


class Condition(BaseModel):
    """The state of one condition (stored; one document per key)."""

    model_config = ConfigDict(frozen=True)

    key: str
    rule: Rule
    open: bool = False
    episode: int = 0
    severity: Severity | None = None
    notification_ids: tuple[str, ...] = ()
    opened_at: datetime | None = None
    clearing_since: datetime | None = None
    clearing: Clear | None = None
    resolved_at: datetime | None = None
    suppressed: int = 0
    """Flaps suppressed over the condition's whole life."""
    episode_suppressed: int = 0
    message: str | None = None
    """The message of the episode's latest notification (kept current for ``refresh``)."""


class Raised(BaseModel):
    """Effect: a new notification (store it, publish it, deliver it)."""

    model_config = ConfigDict(frozen=True)

    notification: Notification


class Resolved(BaseModel):
    """Effect: the episode's notifications are resolved."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    notification_ids: tuple[str, ...]
    at: datetime
    message: str
    suppressed_flaps: int


class Suppressed(BaseModel):
    """Effect: a flap within the cooldown was suppressed (count it on the open notifications)."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    notification_ids: tuple[str, ...]
    suppressed_flaps: int


class Updated(BaseModel):
    """Effect: the open notification's message changed (its id and time stay)."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    notification_id: str
    message: str


Effect = Raised | Resolved | Suppressed | Updated


def notification_id(rule: str, key: str, episode: int, severity: str) -> str:
    """The stable id of the notification an episode raises at a severity (replays agree)."""
    digest = hashlib.sha256(f"{rule}|{key}|{episode}|{severity}".encode()).hexdigest()
    return f"ntf_{digest[:32]}"


def _notification(draft: Draft, key: str, episode: int, now: datetime) -> Notification:
    return Notification(
        id=notification_id(draft.rule, key, episode, draft.severity),
        state="raised",
        raised_at=now,
        **draft.model_dump(exclude={"refresh"}),
    )


def step(
    condition: Condition | None, signal: Signal, now: datetime, cooldown: timedelta
) -> tuple[Condition, list[Effect]]:
    """Fold one signal into a condition (None = never seen); returns the new state and effects.

    ``cooldown`` ≥ 0: how long a condition must stay clear before it resolves. With a zero
    cooldown a clear resolves at once and nothing is ever suppressed.
    """
    if condition is None:
        rule = signal.draft.rule if isinstance(signal, Breach) else signal.rule
        condition = Condition(key=signal.key, rule=rule)
    if isinstance(signal, Clear):
        if not condition.open:
            return condition, []
        since = condition.clearing_since or now
        return settle(
            condition.model_copy(update={"clearing_since": since, "clearing": signal}),
            now,
            cooldown,
        )
    return _breach(condition, signal.draft, now)


def _breach(condition: Condition, draft: Draft, now: datetime) -> tuple[Condition, list[Effect]]:
    effects: list[Effect] = []
    if not condition.open:
        episode = condition.episode + 1
        raised = _notification(draft, condition.key, episode, now)
        opened = condition.model_copy(
            update={
                "open": True,
                "episode": episode,
                "severity": draft.severity,
                "notification_ids": (raised.id,),
                "opened_at": now,
                "message": draft.message,
                "clearing_since": None,
                "clearing": None,
                "episode_suppressed": 0,
            }
        )
        return opened, [Raised(notification=raised)]
    if condition.clearing_since is not None:
        condition = condition.model_copy(
            update={
                "clearing_since": None,
                "clearing": None,
                "suppressed": condition.suppressed + 1,
                "episode_suppressed": condition.episode_suppressed + 1,
            }
        )
        effects.append(
            Suppressed(
                rule=condition.rule,
                notification_ids=condition.notification_ids,
                suppressed_flaps=condition.episode_suppressed,
            )
        )
    if SEVERITY_RANK[draft.severity] > SEVERITY_RANK[condition.severity or "info"]:
        raised = _notification(draft, condition.key, condition.episode, now)
        condition = condition.model_copy(
            update={
                "severity": draft.severity,
                "notification_ids": (*condition.notification_ids, raised.id),
                "message": draft.message,
            }
        )
        effects.append(Raised(notification=raised))
    elif draft.refresh and condition.notification_ids and draft.message != condition.message:
        condition = condition.model_copy(update={"message": draft.message})
        effects.append(
            Updated(
                rule=condition.rule,
                notification_id=condition.notification_ids[-1],
                message=draft.message,
            )
        )
    return condition, effects


def settle(
    condition: Condition, now: datetime, cooldown: timedelta
) -> tuple[Condition, list[Effect]]:
    """Resolve a clearing condition once it has been clear for ``cooldown`` (else no change)."""
    clearing, since = condition.clearing, condition.clearing_since
    if not condition.open or clearing is None or since is None or now - since < cooldown:
        return condition, []
    effects: list[Effect] = [
        Resolved(
            rule=condition.rule,
            notification_ids=condition.notification_ids,
            at=now,
            message=clearing.message,
            suppressed_flaps=condition.episode_suppressed,
        )
    ]
    if clearing.follow_up is not None:
        effects.append(
            Raised(
                notification=_notification(
                    clearing.follow_up, condition.key, condition.episode, now
                )
            )
        )
    closed = condition.model_copy(
        update={
            "open": False,
            "severity": None,
            "notification_ids": (),
            "message": None,
            "clearing_since": None,
            "clearing": None,
            "resolved_at": now,
        }
    )
    return closed, effects
