"""The QSMOs and providers events may name: the catalog's, with admins' run-time changes.

Admins add a QSMO (``addQsmo``) and add, update or retire providers (``addProvider``,
``updateProvider``, ``retireProvider``) through the gateway; each change is recorded in the
framework audit log in the store, the platform's record of framework changes. Ingest reads
the log's new entries every ``QSMO_INGEST_QSMO_REFRESH_S`` seconds, so events for a new QSMO
or provider are accepted (and a retired provider's refused) within that delay, without a
restart (a new QSMO's systems still need an API key allowed to publish for it). The store is
not on ingest's request path: when it cannot be read, ingest keeps what it knows, counts the
failure and tries again at the next interval.
"""

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import Counter, Gauge

from shared.domain.framework_changes import (
    PROVIDER_KINDS,
    FrameworkState,
    RecordedChange,
    provider_registry,
)
from shared.domain.providers import Provider, ProviderRegistry
from shared.framework_log import FrameworkLogReader
from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)


class QsmoDirectory:
    """Known QSMO ids and the provider registry; follows audit-log entries applied in order,
    each once."""

    def __init__(
        self,
        catalog_ids: Iterable[str],
        *,
        loaded: bool = False,
        providers: Iterable[Provider] = (),
    ) -> None:
        self._catalog = tuple(catalog_ids)
        self._added: tuple[str, ...] = ()
        self._catalog_providers = tuple(providers)
        self._provider_changes: tuple[RecordedChange, ...] = ()
        self.providers = ProviderRegistry(self._catalog_providers)
        """The catalog's providers with admins' additions, updates and retirements applied."""
        self.seq = 0
        """The last audit-log entry applied."""
        self.loaded = loaded
        """True once the audit log was read (or nothing is to be read): until then an
        unknown QSMO may be one added by an admin, so it is not a permanent error."""

    def ids(self) -> tuple[str, ...]:
        """The catalog's QSMO ids, then the added ones in order of addition."""
        return self._catalog + self._added

    @property
    def added(self) -> tuple[str, ...]:
        return self._added

    def apply(self, records: Iterable[RecordedChange]) -> None:
        """Take in the entries numbered above ``seq`` (others were applied already)."""
        for record in sorted(records, key=lambda r: r.seq):
            if record.seq <= self.seq:
                continue
            change = record.change
            if change.kind == "qsmo_added" and change.qsmo and change.qsmo not in self.ids():
                self._added = (*self._added, change.qsmo)
            elif change.kind in PROVIDER_KINDS:
                self._apply_provider_change(record)
            self.seq = record.seq

    def _apply_provider_change(self, record: RecordedChange) -> None:
        """Replay the provider changes with ``record``; one that cannot be applied is logged
        and left out (the gateway validates every change: that would be a damaged log)."""
        changes = (*self._provider_changes, record)
        try:
            registry = provider_registry(
                self._catalog_providers, FrameworkState(seq=record.seq, changes=changes)
            )
        except ValueError as error:
            log.error(
                "a provider change in the audit log cannot be applied; it is ignored",
                extra={"seq": record.seq, "error": str(error)},
            )
            return
        self._provider_changes, self.providers = changes, registry


class RefreshMetrics(Protocol):
    """What the refresher reports (``services.ingest.metrics.IngestMetrics`` has both)."""

    @property
    def added_qsmos(self) -> Gauge: ...

    @property
    def qsmo_refresh_failures(self) -> Counter: ...


class QsmoDirectoryRefresher:
    """Applies the audit log's new entries to a directory, now and every ``interval_s``."""

    def __init__(
        self,
        directory: QsmoDirectory,
        framework_log: FrameworkLogReader,
        metrics: RefreshMetrics,
        interval_s: float,
    ) -> None:
        self._directory = directory
        self._log = framework_log
        self._metrics = metrics
        self._interval_s = interval_s
        self.first_attempt = asyncio.Event()
        """Set once the first read succeeded or failed (start-up waits a little for it)."""

    async def refresh(self) -> None:
        """Read and apply the entries after the directory's ``seq``; raises if the read fails."""
        before, providers_before = self._directory.added, self._directory.providers
        self._directory.apply(await self._log.after(self._directory.seq))
        self._directory.loaded = True
        self._metrics.added_qsmos.set(len(self._directory.added))
        new = self._directory.added[len(before) :]
        if new:
            log.info("QSMOs added by admins are now accepted", extra={"qsmos": list(new)})
        if self._directory.providers is not providers_before:
            log.info("providers changed by admins are now in force")

    async def run(self) -> None:
        """Refresh until cancelled; a failed read is logged and retried at the next interval."""
        while True:
            try:
                await self.refresh()
            except Exception as error:
                raise_if_cancelled(error)  # a client library may have swallowed our cancellation
                self._metrics.qsmo_refresh_failures.inc()
                log.warning(
                    "could not read the framework audit log; QSMO and provider changes since "
                    "the last read are not in force yet",
                    extra={"error": repr(error)},
                )
            self.first_attempt.set()
            await asyncio.sleep(self._interval_s)
