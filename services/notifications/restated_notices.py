"""The day's ``restated`` notifications of a batch, read against the stored state.

``restatements`` applies ``restated.py``'s pure rule to the long-closed scorecards of a
batch: it loads their snapshots and any ``restated`` notification already raised today for
the same (QSMO, fiscal year), and returns the notifications to store (new or extended) and
the snapshots to store after them (rule state is written after notifications).
"""

from collections.abc import Sequence
from datetime import datetime

from services.notifications.models import Notification
from services.notifications.ports import NotificationStore
from services.notifications.restated import (
    ClosedSnapshot,
    changed_measures,
    is_long_closed,
    restated_id,
    restated_notification,
    snapshot_of,
)
from services.notifications.signals import Names
from shared.events import ScorecardChanged


async def restatements(
    store: NotificationStore,
    scorecards: Sequence[ScorecardChanged],
    now: datetime,
    names: Names,
) -> tuple[list[Notification], list[ClosedSnapshot]]:
    """``(notifications, snapshots)`` for the batch's scorecards of long-closed years."""
    closed = [m for m in scorecards if is_long_closed(m, now)]
    if not closed:
        return [], []
    snapshots = await store.load_snapshots({m.scorecard_id for m in closed})
    stored: dict[str, Notification | None] = {}
    changed: dict[str, Notification] = {}
    for message in closed:
        measures = changed_measures(snapshots.get(message.scorecard_id), message)
        snapshots[message.scorecard_id] = snapshot_of(message)
        if message.cause != "restatement" or not measures or message.qsmo is None:
            continue
        identifier = restated_id(message.qsmo, message.fiscal_year, now.date())
        if identifier not in stored:
            found = await store.load_notifications([identifier])
            stored[identifier] = found[0] if found else None
        base = changed.get(identifier) or stored[identifier]
        changed[identifier] = restated_notification(base, message, measures, now, names)
    seen = {m.scorecard_id for m in closed}
    return list(changed.values()), [s for k, s in snapshots.items() if k in seen]
