"""Pure rule: a surge of dead-lettered events for one QSMO within a sliding window.

Each QSMO keeps the times of its most recent dead letters (at most ``cap``); the condition
``dead-letters|<qsmo>`` is breached while ``threshold`` or more of them lie within the last
``window`` before ``now``, and clears when fewer do. Letters whose QSMO cannot be told (no
usable key, undecodable payload) are counted together under ``None``.
"""

import base64
import binascii
import json
import re
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from services.notifications.rules import Breach, Clear, Draft, Signal
from services.notifications.signals import Names, links
from shared.events import DeadLetter

_QSMO = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
UNATTRIBUTED = "_unattributed"


class SurgeWindow(BaseModel):
    """Recent dead-letter times of one QSMO, oldest first (stored)."""

    model_config = ConfigDict(frozen=True)

    qsmo: str | None
    times: tuple[datetime, ...] = ()
    last_reason: str | None = None

    @property
    def key(self) -> str:
        return self.qsmo or UNATTRIBUTED


def surge_cap(threshold: int) -> int:
    """How many letter times a window keeps: enough to count past the threshold."""
    return min(max(2 * threshold, 200), 5000)


def qsmo_of(letter: DeadLetter) -> str | None:
    """The QSMO a dead letter concerns: the key's ``<qsmo>|…`` part, else the payload's
    ``qsmo`` field; None when neither is a plausible QSMO id."""
    candidate: object = None
    if letter.key:
        candidate = letter.key.split("|", 1)[0]
    if not (isinstance(candidate, str) and _QSMO.match(candidate)):
        try:
            payload = json.loads(base64.b64decode(letter.payload_base64, validate=True))
        except (binascii.Error, ValueError):
            return None
        candidate = payload.get("qsmo") if isinstance(payload, dict) else None
    return candidate if isinstance(candidate, str) and _QSMO.match(candidate) else None


def record_letter(
    window: SurgeWindow | None, qsmo: str | None, at: datetime, reason: str, cap: int
) -> SurgeWindow:
    """The window with one more letter at ``at`` (kept sorted; the oldest beyond ``cap`` go)."""
    times = sorted((*(window.times if window else ()), at))[-cap:]
    return SurgeWindow(qsmo=qsmo, times=tuple(times), last_reason=reason[:300])


def prune(window: SurgeWindow, now: datetime, length: timedelta) -> SurgeWindow:
    """Forget letters that left the window (keeps the stored document small)."""
    kept = tuple(t for t in window.times if t > now - length)
    return window if kept == window.times else window.model_copy(update={"times": kept})


def count_in_window(window: SurgeWindow, now: datetime, length: timedelta) -> int:
    """Letters with ``now - length < time`` (later times, e.g. clock skew, count too)."""
    return sum(1 for t in window.times if t > now - length)


def surge_key(qsmo: str | None) -> str:
    return f"dead-letters|{qsmo or UNATTRIBUTED}"


def _minutes(length: timedelta) -> str:
    seconds = length.total_seconds()
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def surge_signal(
    window: SurgeWindow, now: datetime, threshold: int, length: timedelta, names: Names
) -> Signal:
    """Breach (critical) at ``threshold`` or more letters within ``length``; else a clear."""
    count = count_in_window(window, now, length)
    who = names.qsmo(window.qsmo) if window.qsmo else "an unidentifiable QSMO"
    key = surge_key(window.qsmo)
    span = _minutes(length)
    if count < threshold:
        return Clear(
            key=key,
            rule="dead_letter_surge",
            message=f"Dead letters for {who} are back below {threshold} in {span} ({count} now)",
        )
    at_least = "at least " if count >= len(window.times) and count >= surge_cap(threshold) else ""
    message = (
        f"{at_least}{count} events for {who} were dead-lettered within {span} "
        f"(threshold {threshold}); latest reason: {window.last_reason or 'unknown'}"
    )
    draft = Draft(
        rule="dead_letter_surge",
        severity="critical",
        qsmo=window.qsmo,
        message=message[0].upper() + message[1:],
        links=links(None, window.qsmo, None, None),
    )
    return Breach(key=key, draft=draft)
