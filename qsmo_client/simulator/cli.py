"""``qsmo-sim``: realistic event feeds for the QSMOs, sent through the ingest API.

    qsmo-sim                                  # backfill FY2022 → now, then a live trickle
    qsmo-sim --backfill-only --since FY2025   # just history, from 1 October 2024
    qsmo-sim --qsmos cybersecurity --rate 1 --seed 7

It uses each QSMO's publisher key from the development keys file (``.local/api-keys.json``)
and the publisher client, so it behaves like a QSMO system: batches, retries, stable ids.
The same seed sends the same history, so running it again counts nothing twice.
"""

import argparse
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from qsmo_client.events import Event
from qsmo_client.publisher import DEFAULT_INGEST_URL, AuthenticationError, Publisher, PublishReport
from qsmo_client.simulator.history import Delivery, generate_history
from qsmo_client.simulator.keys import KeysFileError, publisher_keys
from qsmo_client.simulator.live import LiveTrickle
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.model import FY2022_START
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_quarter_of

DEFAULT_SEED = 2022
DEFAULT_RATE = 0.2
DEFAULT_KEYS_FILE = Path(".local/api-keys.json")
TICK_S = 2.0
LIVE_SUMMARY_EVERY_S = 60.0

Clock = Callable[[], datetime]


class SimulationError(Exception):
    """The simulation cannot go on; the message says why."""


def parse_since(text: str) -> datetime:
    """``2024-05-01`` or ``FY2024`` (1 October 2023), as a UTC instant."""
    if text.upper().startswith("FY"):
        return datetime(int(text[2:]) - 1, 10, 1, tzinfo=UTC)
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="qsmo-sim",
        description="Send simulated QSMO performance events (history, then live) to ingest.",
    )
    parser.add_argument(
        "--ingest-url", default=os.environ.get("QSMO_INGEST_URL", DEFAULT_INGEST_URL)
    )
    parser.add_argument("--keys-file", type=Path, default=DEFAULT_KEYS_FILE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--qsmos", default="all", help="comma-separated QSMO ids, or all")
    parser.add_argument(
        "--since", type=parse_since, default=FY2022_START, help="YYYY-MM-DD or FY2024"
    )
    parser.add_argument("--backfill-only", action="store_true", help="stop after the history")
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help="live survey/snapshot events per second (counts and dollars keep their real pace)",
    )
    parser.add_argument("--wait-s", type=float, default=120.0, help="how long to wait for ingest")
    args = parser.parse_args(argv)
    if args.rate < 0:
        parser.error("--rate must be ≥ 0")
    return args


@dataclass
class Totals:
    """What has been sent so far."""

    events: int = 0
    late: int = 0
    retries: int = 0
    """Events sent twice on purpose, as a retrying QSMO system would (same ``event_id``)."""
    requests: int = 0
    http_retries: int = 0
    """Requests the publisher sent again (ingest answered 429 or 5xx, or did not answer)."""

    def add(self, report: PublishReport) -> None:
        self.requests += report.requests
        self.http_retries += report.retries


def wait_for_ingest(url: str, deadline_s: float, transport: httpx.BaseTransport | None) -> None:
    """Poll ingest's ``/readyz`` until it answers 200; SimulationError at the deadline."""
    deadline = time.monotonic() + deadline_s
    last = "no answer"
    with httpx.Client(base_url=url, transport=transport, timeout=2.0) as http:
        while True:
            try:
                response = http.get("/readyz")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.TransportError as error:
                last = type(error).__name__
            if time.monotonic() >= deadline:
                raise SimulationError(
                    f"ingest at {url} is not ready after {deadline_s:.0f} s ({last})"
                )
            time.sleep(0.5)


def publish_all(
    publishers: Mapping[str, Publisher], events: Iterable[Event], totals: Totals
) -> None:
    """Send events QSMO by QSMO (each with its own key), in order."""
    by_qsmo: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_qsmo[event.qsmo].append(event)
    for qsmo, batch in by_qsmo.items():
        report = publishers[qsmo].publish(batch)
        totals.add(report)
        if not report.ok:
            details = "; ".join(str(p) for p in report.problems[:5])
            raise SimulationError(f"{qsmo}: {report.stopped or details}")


def send_backfill(
    deliveries: Sequence[Delivery],
    publishers: Mapping[str, Publisher],
    out: TextIO,
    stop: threading.Event,
) -> Totals:
    """Send the history wave by wave (one fiscal quarter of arrivals at a time, so late events
    come after their period was reported), printing progress after each wave."""
    totals = Totals()
    waves: dict[tuple[int, int], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        waves[fiscal_quarter_of(delivery.arrival)].append(delivery)
    started = time.monotonic()
    for (fiscal_year, quarter), wave in sorted(waves.items()):
        if stop.is_set():
            break
        publish_all(publishers, (d.event for d in wave), totals)
        totals.events += len(wave)
        totals.late += sum(1 for d in wave if d.late and not d.retry)
        totals.retries += sum(1 for d in wave if d.retry)
        share = 100 * totals.events / len(deliveries)
        print(
            f"backfill: FY{fiscal_year} Q{quarter} sent — {totals.events}/{len(deliveries)} "
            f"events ({share:.0f}%), {time.monotonic() - started:.1f} s",
            file=out,
            flush=True,
        )
    return totals


def run_live(
    trickle: LiveTrickle,
    publishers: Mapping[str, Publisher],
    rate: float,
    clock: Clock,
    stop: threading.Event,
    out: TextIO,
) -> Totals:
    """Send a tick's events every ``TICK_S`` seconds until ``stop`` is set."""
    totals = Totals()
    last = clock()
    summary_at = time.monotonic() + LIVE_SUMMARY_EVERY_S
    while not stop.wait(TICK_S):
        now = clock()
        events = trickle.tick(now, (now - last).total_seconds(), rate)
        last = now
        try:
            publish_all(publishers, events, totals)
        except SimulationError as error:  # live: say so and go on with the next tick
            print(f"live: not sent: {error}", file=out, flush=True)
            continue
        totals.events += len(events)
        if time.monotonic() >= summary_at:
            summary_at += LIVE_SUMMARY_EVERY_S
            print(
                f"live: {totals.events} events sent ({totals.requests} requests)",
                file=out,
                flush=True,
            )
    return totals


def run(
    args: argparse.Namespace,
    *,
    out: TextIO = sys.stdout,
    clock: Clock = lambda: datetime.now(UTC),
    stop: threading.Event | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """The whole simulation; returns the exit status."""
    stop = stop or threading.Event()
    catalog = load_catalog()
    keys = publisher_keys(args.keys_file, catalog.qsmo_ids, args.qsmos)
    framework = catalog.framework()
    wait_for_ingest(args.ingest_url, args.wait_s, transport)
    publishers = {
        qsmo: Publisher(key, args.ingest_url, transport=transport) for qsmo, key in keys.items()
    }
    marketplace = Marketplace(args.seed, catalog.providers)
    try:
        now = clock()
        deliveries = generate_history(
            args.seed, list(keys), args.since, now, framework, marketplace
        )
        providers = {d.event.provider for d in deliveries} - {None}
        print(
            f"backfill: {len(deliveries)} events for {', '.join(keys)} since "
            f"{args.since:%Y-%m-%d} (seed {args.seed}), naming {len(providers)} providers and "
            f"{len(marketplace.agencies)} agencies → {args.ingest_url}",
            file=out,
            flush=True,
        )
        totals = send_backfill(deliveries, publishers, out, stop)
        print(
            f"backfill done: {totals.events} events ({totals.late} late, {totals.retries} sent "
            f"twice by a retrying client) in {totals.requests} requests "
            f"({totals.http_retries} sent again after ingest pushed back)",
            file=out,
            flush=True,
        )
        if args.backfill_only or stop.is_set():
            return 0
        print(f"live: about {args.rate:g} survey/snapshot events per second", file=out, flush=True)
        trickle = LiveTrickle(args.seed, list(keys), now, framework, marketplace)
        run_live(trickle, publishers, args.rate, clock, stop, out)
        return 0
    finally:
        for publisher in publishers.values():
            publisher.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run(args, stop=stop)
    except (KeysFileError, AuthenticationError) as error:
        print(f"qsmo-sim: {error}", file=sys.stderr)
        return 2
    except SimulationError as error:
        print(f"qsmo-sim: {error}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
