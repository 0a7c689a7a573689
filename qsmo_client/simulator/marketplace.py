"""Who serves whom below each QSMO: providers, customer agencies and migrations (pure).

For every QSMO the customer agencies (``profiles.AGENCIES``) are shared among the QSMO's
providers — the catalog's, retired ones left out:

1. an agency whose own department runs one of the QSMO's providers uses it (DOI → Interior
   Business Center, USDA → National Finance Center);
2. every provider gets at least one customer agency, so every provider view has data;
3. the remaining agencies go to the providers in proportion to ``PROVIDER_VOLUME`` (highest
   averages, as seats by D'Hondt), so a few large federal providers carry most of the volume.

An agency sends ``SECONDARY_SHARE`` of its events through a second provider and the rest
through its main one; ``MIGRATIONS_PER_QSMO`` agencies of each QSMO move from their main
provider to another on a day between FY2024 and FY2026 (never leaving a provider without a
customer). Which agency goes where, and when, is drawn from the seed: the same seed gives the
same marketplace.
"""

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qsmo_client.simulator.profiles import (
    AGENCIES,
    FEDERAL_VOLUME,
    INDUSTRY_VOLUME,
    MIGRATIONS_PER_QSMO,
    PROVIDER_VOLUME,
    SECONDARY_SHARE,
    Feed,
)
from shared.domain.providers import Provider, ProviderKind

MIGRATIONS_FROM = datetime(2023, 10, 1, tzinfo=UTC)
"""Migrations happen on a day of FY2024 … FY2026 (1 October 2023 + up to three years)."""
MIGRATION_WINDOW_DAYS = 3 * 365


@dataclass(frozen=True)
class Migration:
    """``agency`` moves its ``qsmo`` services from provider ``source`` to ``target`` at ``at``."""

    qsmo: str
    agency: str
    source: str
    target: str
    at: datetime


def volume(provider: Provider) -> float:
    """A provider's relative volume weight (``PROVIDER_VOLUME``, else by kind)."""
    default = INDUSTRY_VOLUME if provider.kind is ProviderKind.INDUSTRY else FEDERAL_VOLUME
    return PROVIDER_VOLUME.get(provider.id, default)


@dataclass(frozen=True)
class QsmoMarketplace:
    """One QSMO's providers and, per customer agency, its main and second provider."""

    qsmo: str
    providers: tuple[str, ...]
    main: Mapping[str, str]
    """Agency → its main provider before any migration."""
    second: Mapping[str, str]
    migrations: tuple[Migration, ...]

    def main_provider(self, agency: str, at: datetime) -> str:
        """The provider ``agency`` mainly uses at ``at`` (after the migrations due by then)."""
        provider = self.main[agency]
        for migration in self.migrations:
            if migration.agency == agency and at >= migration.at:
                provider = migration.target
        return provider

    def provider_for(self, agency: str, at: datetime, rng: random.Random) -> str:
        """The provider of one of ``agency``'s events: mostly its main one."""
        if agency in self.second and rng.random() < SECONDARY_SHARE:
            return self.second[agency]
        return self.main_provider(agency, at)


class Marketplace:
    """Every QSMO's marketplace for a seed, built from the provider registry."""

    def __init__(
        self, seed: int, providers: Iterable[Provider], agencies: Sequence[str] = AGENCIES
    ) -> None:
        self.agencies = tuple(agencies)
        active = [p for p in providers if not p.retired]
        qsmos = sorted({qsmo for p in active for qsmo in p.qsmos})
        self._by_qsmo = {
            qsmo: _build(seed, qsmo, [p for p in active if p.serves(qsmo)], self.agencies)
            for qsmo in qsmos
        }

    def for_qsmo(self, qsmo: str) -> QsmoMarketplace | None:
        """``qsmo``'s marketplace; None when no (active) provider serves it."""
        return self._by_qsmo.get(qsmo)

    @property
    def migrations(self) -> list[Migration]:
        return [m for market in self._by_qsmo.values() for m in market.migrations]

    def names(
        self, qsmo: str, feed: Feed, at: datetime, rng: random.Random
    ) -> tuple[str | None, str | None]:
        """(agency, provider) of one event of ``feed``: each only if the feed names it
        (``Feed.reach``). A provider-only event still follows the agencies' volume: its
        provider is the one of an agency drawn for it."""
        if not (feed.with_agency or feed.with_provider):
            return None, None
        agency = rng.choice(self.agencies)
        market = self.for_qsmo(qsmo)
        provider = None
        if feed.with_provider and market is not None:
            provider = market.provider_for(agency, at, rng)
        return (agency if feed.with_agency else None), provider


def _build(
    seed: int, qsmo: str, providers: Sequence[Provider], agencies: Sequence[str]
) -> QsmoMarketplace:
    rng = random.Random(f"{seed}|{qsmo}|marketplace")
    weights = {p.id: volume(p) for p in providers}
    main = _share_agencies(providers, agencies, weights, rng)
    ids = tuple(p.id for p in providers)
    second: dict[str, str] = {}
    for agency in agencies:
        others = [p for p in ids if p != main[agency]]
        if others:
            second[agency] = rng.choices(others, weights=[weights[p] for p in others])[0]
    return QsmoMarketplace(qsmo, ids, main, second, _migrations(qsmo, main, weights, rng))


def _share_agencies(
    providers: Sequence[Provider],
    agencies: Sequence[str],
    weights: Mapping[str, float],
    rng: random.Random,
) -> dict[str, str]:
    """Agency → main provider: own department first, one customer each, then by weight."""
    main: dict[str, str] = {}
    for provider in providers:
        own = provider.parent_agency
        if own is not None and own in agencies and own not in main:
            main[own] = provider.id
    free = [a for a in agencies if a not in main]
    rng.shuffle(free)
    counts = {p.id: sum(1 for v in main.values() if v == p.id) for p in providers}
    for provider_id in sorted(counts, key=lambda p: -weights[p]):
        if counts[provider_id] == 0 and free:
            main[free.pop()] = provider_id
            counts[provider_id] = 1
    for agency in free:  # the highest average weight per customer gets the next agency
        provider_id = max(counts, key=lambda p: weights[p] / (counts[p] + 1))
        main[agency] = provider_id
        counts[provider_id] += 1
    return main


def _migrations(
    qsmo: str, main: Mapping[str, str], weights: Mapping[str, float], rng: random.Random
) -> tuple[Migration, ...]:
    """Agencies that move to another provider; none leaves its old provider without customers."""
    if len(weights) < 2:
        return ()
    customers = {p: sum(1 for v in main.values() if v == p) for p in weights}
    moved: list[Migration] = []
    candidates = sorted(main)
    rng.shuffle(candidates)
    for agency in candidates:
        if len(moved) == MIGRATIONS_PER_QSMO:
            break
        source = main[agency]
        if customers[source] < 2:
            continue
        others = [p for p in weights if p != source]
        target = rng.choices(others, weights=[weights[p] for p in others])[0]
        at = MIGRATIONS_FROM + timedelta(days=rng.randrange(MIGRATION_WINDOW_DAYS))
        customers[source] -= 1
        customers[target] += 1
        moved.append(Migration(qsmo, agency, source, target, at))
    return tuple(sorted(moved, key=lambda m: (m.at, m.agency)))
