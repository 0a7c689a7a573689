"""Admin framework changes folded into the state scoring uses (pure).

The audit log is a sequence of ``FrameworkChanged`` records numbered 1, 2, 3 … (``seq``);
``fold`` replays it into ``Overrides`` (with providers' SLA targets) and the QSMOs added at
run time; ``provider_registry`` replays the provider changes onto the catalog's providers.
``affected_owners`` says which scorecards a change can alter.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from shared.domain.catalog import Qsmo
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.providers import Provider, ProviderRegistry
from shared.events import GOVERNMENT, FrameworkChanged

T = TypeVar("T")


@dataclass(frozen=True)
class RecordedChange:
    """A framework change and its position in the audit log (1-based)."""

    seq: int
    change: FrameworkChanged


@dataclass(frozen=True)
class FrameworkState:
    """Every change up to ``seq`` applied: the overrides and the QSMOs added by admins."""

    seq: int = 0
    overrides: Overrides = NO_OVERRIDES
    added_qsmos: tuple[Qsmo, ...] = ()
    changes: tuple[RecordedChange, ...] = field(default=(), repr=False)

    def changes_after(self, seq: int) -> tuple[RecordedChange, ...]:
        """The recorded changes with a sequence number above ``seq``."""
        return tuple(r for r in self.changes if r.seq > seq)


def _with(overrides: Overrides, **changed: Any) -> Overrides:
    return replace(overrides, **changed)


def apply_change(state: FrameworkState, recorded: RecordedChange) -> FrameworkState:
    """``state`` with one more change; changes at or below ``state.seq`` are ignored.

    Raises ValueError for a change that lacks the fields its ``kind`` needs.
    """
    if recorded.seq <= state.seq:
        return state
    change, overrides = recorded.change, state.overrides
    added = state.added_qsmos
    if change.kind == "target":
        value, measure = _required(change.value, "value"), _required(change.measure, "measure")
        if change.qsmo is None:
            overrides = _with(overrides, targets={**overrides.targets, measure: value})
        else:
            qsmo_targets = {**overrides.qsmo_targets, (change.qsmo, measure): value}
            overrides = _with(overrides, qsmo_targets=qsmo_targets)
    elif change.kind == "weight":
        value = _required(change.value, "value")
        if change.measure is not None:
            weights = {**overrides.measure_weights, change.measure: value}
            overrides = _with(overrides, measure_weights=weights)
        else:
            dimension = _required(change.dimension, "dimension")
            weights = {**overrides.dimension_weights, dimension: value}
            overrides = _with(overrides, dimension_weights=weights)
    elif change.kind == "baseline":
        key = (change.qsmo, _required(change.measure, "measure"))
        baselines = {**overrides.baselines, key: _required(change.value, "value")}
        overrides = _with(overrides, baselines=baselines)
    elif change.kind == "dimension_adopted":
        adopted = {
            **overrides.adopted_dimensions,
            _required(change.dimension, "dimension"): _required(change.phase, "phase"),
        }
        overrides = _with(overrides, adopted_dimensions=adopted)
    elif change.kind == "sla_target":
        key = (_required(change.provider, "provider"), _required(change.measure, "measure"))
        sla_targets = {**overrides.sla_targets, key: _required(change.value, "value")}
        overrides = _with(overrides, sla_targets=sla_targets)
    elif change.kind in PROVIDER_KINDS:
        _required(change.provider, "provider")  # applied by ``provider_registry``
    else:
        qsmo = Qsmo(
            id=_required(change.qsmo, "qsmo"),
            name=change.details.get("name", ""),
            lead_agency=change.details.get("lead_agency", ""),
        )
        added = (*added, qsmo)
    return FrameworkState(recorded.seq, overrides, added, (*state.changes, recorded))


def qsmo_added_times(
    catalog_qsmo_ids: Iterable[str], state: FrameworkState
) -> dict[str, datetime | None]:
    """QSMO id → when an admin added it (None for a catalog QSMO; the first addition wins):
    the participants of government-wide ``sum`` targets (``shared.domain.targets``)."""
    added: dict[str, datetime | None] = dict.fromkeys(catalog_qsmo_ids)
    for recorded in state.changes:
        change = recorded.change
        if change.kind == "qsmo_added" and change.qsmo is not None:
            added.setdefault(change.qsmo, change.changed_at)
    return added


PROVIDER_KINDS = ("provider_added", "provider_updated", "provider_retired")

LIST_SEPARATOR = "|"
"""How ``details`` joins a provider's ``qsmos`` and ``services``."""


def provider_details(provider: Provider) -> dict[str, str]:
    """A provider as the ``details`` of a ``provider_added`` / ``provider_updated`` change."""
    details = {
        "name": provider.name,
        "kind": provider.kind.value,
        "qsmos": LIST_SEPARATOR.join(provider.qsmos),
        "services": LIST_SEPARATOR.join(provider.services),
    }
    if provider.parent_agency is not None:
        details["parent_agency"] = provider.parent_agency
    return details


def provider_registry(
    catalog_providers: Iterable[Provider], state: FrameworkState
) -> ProviderRegistry:
    """The catalog's providers with every provider change in ``state`` applied in order.

    ``provider_added`` adds one (an id already known is left as it is: the first wins);
    ``provider_updated`` replaces the fields its ``details`` name; ``provider_retired`` sets
    ``retired_at`` to the change's time (a retired provider stays listed, with its history).
    """
    providers: dict[str, Provider] = {p.id: p for p in catalog_providers}
    for recorded in state.changes:
        change = recorded.change
        if change.kind not in PROVIDER_KINDS or change.provider is None:
            continue
        current = providers.get(change.provider)
        if change.kind == "provider_added" and current is None:
            providers[change.provider] = Provider.model_validate(
                {"id": change.provider, **_provider_fields(change.details)}
            )
        elif change.kind == "provider_updated" and current is not None:
            providers[change.provider] = Provider.model_validate(
                {**current.model_dump(), **_provider_fields(change.details)}
            )
        elif change.kind == "provider_retired" and current is not None and not current.retired:
            providers[change.provider] = current.model_copy(
                update={"retired_at": change.changed_at}
            )
    return ProviderRegistry(providers.values())


def _provider_fields(details: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        k: v for k, v in details.items() if k in ("name", "kind", "parent_agency")
    }
    for name in ("qsmos", "services"):
        if name in details:
            fields[name] = tuple(v for v in details[name].split(LIST_SEPARATOR) if v)
    return fields


def _required(value: T | None, name: str) -> T:
    if value is None:
        raise ValueError(f"framework change lacks {name}")
    return value


def fold(records: Iterable[RecordedChange], state: FrameworkState | None = None) -> FrameworkState:
    """``state`` (default: no changes) with ``records`` applied in sequence order."""
    current = state or FrameworkState()
    for recorded in sorted(records, key=lambda r: r.seq):
        current = apply_change(current, recorded)
    return current


def affected_owners(change: FrameworkChanged) -> frozenset[str] | None:
    """The scorecard owners a change can alter; None: every owner.

    A per-QSMO target or baseline touches that QSMO only; a government-wide baseline only the
    government-wide scorecards; a new QSMO only its own (it may have data already).
    """
    if change.kind in ("target", "baseline") and change.qsmo is not None:
        return frozenset({change.qsmo})
    if change.kind == "baseline":
        return frozenset({GOVERNMENT})
    if change.kind == "qsmo_added" and change.qsmo is not None:
        return frozenset({change.qsmo})
    if change.kind in (*PROVIDER_KINDS, "sla_target"):
        return frozenset()  # slices are computed on read: no stored scorecard changes
    return None
