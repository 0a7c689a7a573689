"""Profile the measures handler's Python share: ``process_batch`` with the in-memory adapters.

Runs ``process_batch`` over EVENTS sparse-backfill events (``bench.workload.backfill_events``)
in batches of 2,000 records, the records built up front (no Kafka), with the collector settings
of a measures process (``--default-collector``: CPython's), and prints events/s.
``--cprofile FILE`` also writes a cProfile dump; for a flame graph run it under py-spy
(see README.md in this folder):

    .venv/bin/py-spy record --format flamegraph -o bench/profiles/measures-handler-after.svg \
        -- .venv/bin/python bench/profiles/profile_measures.py --events 40000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from contextlib import nullcontext

from bench.measures_throughput import BATCH, handler_records, run_handler, service_collector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--cprofile", type=Path, help="write a cProfile dump here")
    parser.add_argument("--default-collector", action="store_true", help="CPython's gc settings")
    args = parser.parse_args()
    records = handler_records(args.events)
    profiler = cProfile.Profile() if args.cprofile else None
    with nullcontext() if args.default_collector else service_collector():
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        asyncio.run(run_handler(records))
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.cprofile)
        seconds = time.perf_counter() - started
    print(f"{args.events:,} events in batches of {BATCH:,}: {args.events / seconds:,.0f} events/s")


if __name__ == "__main__":
    main()
