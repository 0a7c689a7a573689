"""The tiers below the QSMO: shared service providers and customer agencies (pure).

FRAMEWORK.md rev. 2, "Tiers below the QSMO". The catalog ships the providers of each QSMO's
marketplace and the CFO Act agencies (``shared/catalog/registry/``); admins add, update and
retire providers and set a provider's SLA targets through audited framework changes
(``provider_added``, ``provider_updated``, ``provider_retired``, ``sla_target``), folded by
``shared.domain.framework_changes``. ``ProviderRegistry`` is the catalog's providers with
those changes applied: what ingest validates events against and the gateway lists.

A **slice** (``Slice``) restricts a QSMO's (or, for agencies, the government-wide) values to
the events of one provider or one customer agency.
"""

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.domain.measures import CatalogModel, Identifier, Text

AgencyId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""An agency as events name it (``DOI``): 1–64 characters, as ``PerformanceEvent.agency``."""


class ProviderKind(StrEnum):
    """A federal shared service provider, or an industry (commercial) provider."""

    FEDERAL = "federal"
    INDUSTRY = "industry"


class Provider(CatalogModel):
    """A shared service provider offered on one or more QSMOs' marketplaces.

    ``retired_at``: set when an admin retired it; a retired provider keeps its history and
    accepts no new events.
    """

    id: Identifier
    name: Text
    kind: ProviderKind
    qsmos: tuple[Identifier, ...] = Field(min_length=1)
    services: tuple[Text, ...] = ()
    parent_agency: AgencyId | None = None
    retired_at: datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def serves(self, qsmo: str) -> bool:
        """True when ``qsmo``'s marketplace offers this provider."""
        return qsmo in self.qsmos


class Agency(CatalogModel):
    """A customer agency (the catalog's CFO Act agencies; others are known from events)."""

    id: AgencyId
    name: Text


SliceKind = Literal["provider", "agency"]


@dataclass(frozen=True)
class Slice:
    """One provider's or one customer agency's share of a QSMO's events."""

    kind: SliceKind
    id: str

    @property
    def label(self) -> str:
        """``provider:doi-ibc`` or ``agency:DOI``: how stored keys and caches name it."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, label: str) -> "Slice":
        """The slice named by ``label``; ValueError for anything else."""
        kind, _, ident = label.partition(":")
        if kind not in ("provider", "agency") or not ident:
            raise ValueError(f"slice {label!r} is not 'provider:<id>' or 'agency:<id>'")
        return cls(kind, ident)  # type: ignore[arg-type]


class ProviderRegistry:
    """Providers by id: the catalog's, with admins' additions, updates and retirements."""

    def __init__(self, providers: Iterable[Provider]) -> None:
        self._by_id: dict[str, Provider] = {p.id: p for p in providers}

    def get(self, provider_id: str) -> Provider | None:
        return self._by_id.get(provider_id)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._by_id

    def all(self, *, qsmo: str | None = None, include_retired: bool = True) -> list[Provider]:
        """Providers in id order, optionally only ``qsmo``'s and only those not retired."""
        return [
            p
            for _, p in sorted(self._by_id.items())
            if (qsmo is None or p.serves(qsmo)) and (include_retired or not p.retired)
        ]

    def did_you_mean(self, provider_id: str) -> str | None:
        """The closest known provider id to ``provider_id``, if one is close enough."""
        close = difflib.get_close_matches(provider_id.lower(), list(self._by_id), n=1, cutoff=0.6)
        return close[0] if close else None

    def with_provider(self, provider: Provider) -> "ProviderRegistry":
        return ProviderRegistry([*self._by_id.values(), provider])


def agencies_by_id(catalog_agencies: Iterable[Agency], seen: Iterable[str]) -> Mapping[str, Agency]:
    """The catalog's agencies plus those only seen in events (named by their id)."""
    known: dict[str, Agency] = {a.id: a for a in catalog_agencies}
    for agency_id in seen:
        known.setdefault(agency_id, Agency(id=agency_id, name=agency_id))
    return dict(sorted(known.items()))


__all__ = [
    "Agency",
    "AgencyId",
    "Provider",
    "ProviderKind",
    "ProviderRegistry",
    "Slice",
    "SliceKind",
    "agencies_by_id",
]
