"""The store with 1, 2 and 3 concurrent writers: FerretDB/SQLite against FerretDB/PostgreSQL.

Issue #21, item 3: is there a multi-writer store locally that several measures instances
could share? Each writer is a separate process with its own client, writing its own keys (as
separate measures instances own disjoint partitions), doing what the measures service's
repository does (``services/measures/repository.py``):

1. ``insert_many`` of KEYS new state documents (chunks of 1,000, unordered), then
2. BATCHES bulk writes of BATCH ``ReplaceOne(upsert=True)`` by ``_id`` into those KEYS keys
   (one ``update`` command of BATCH statements each, unordered).

All writers start each phase together; a figure is the writers' total over the wall time of
the phase. The two stores run in the same run: the stack's own FerretDB/SQLite (patched
build, ``bench.harness.private_stack``) and FerretDB 1.24.2 on a throw-away PostgreSQL 15
cluster with ``synchronous_commit=off`` (``deploy/local/ferretdb-pg``, variant
``patched``: the two fixes ported; QSMO_BENCH_STORE_PG_VARIANTS=unpatched,hold-fix,patched
measures the others too, each stalled phase counted as 0). Baseline: SQLite, 1 writer; the
last figures compare each store's 2 and 3 writers with its own 1 writer (the scaling).
docs/local-infra.md, "FerretDB on PostgreSQL, measured 2026-12-01", has the figures and the
decision.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from multiprocessing.synchronize import Barrier
from typing import Any

from bench.harness import REPO, Figure, private_stack, report

KEYS = int(os.environ.get("QSMO_BENCH_STORE_KEYS", "5000"))
BATCH = 50
BATCHES = int(os.environ.get("QSMO_BENCH_STORE_BATCHES", "120"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
WRITERS = (1, 2, 3)
PG_VARIANTS = os.environ.get("QSMO_BENCH_STORE_PG_VARIANTS", "patched").split(",")
STALL_S = float(os.environ.get("QSMO_BENCH_STORE_STALL_S", "120"))
"""A phase slower than this counts as stalled (0): unpatched FerretDB hangs on bulk updates."""
INSERT_CHUNK = 1000


def _pg_store() -> Any:
    """``deploy/local/ferretdb-pg/pg_store.py`` (its folder name is not a package name)."""
    path = REPO / "deploy" / "local" / "ferretdb-pg" / "pg_store.py"
    spec = importlib.util.spec_from_file_location("pg_store", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pg_store", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _document(writer: int, key: int, version: int) -> dict[str, Any]:
    """A period state document of the measures service's shape (documents.period_document)."""
    return {
        "_id": f"w{writer}|QSMO-{key % 97:03d}|measure-{key % 13}|day|2026-{key % 365:03d}|{key}",
        "qsmo": f"QSMO-{key % 97:03d}",
        "measure": f"measure-{key % 13}",
        "kind": "day",
        "label": f"2026-{key % 365:03d}",
        "start": datetime(2026, 1, 1, tzinfo=UTC),
        "end": datetime(2026, 1, 2, tzinfo=UTC),
        "fiscal_year": 2026,
        "fiscal_quarter": 2,
        "summary": {"count": version + 1, "sum": 1.5 * version, "latest": float(key)},
        "restated_count": 0,
        "applied_offset": version,
        "partition": writer,
        "last_ingested_at": datetime(2026, 1, 1, 12, tzinfo=UTC),
        "slice_kind": None,
        "slice_id": None,
    }


def _writer(url: str, database: str, writer: int, start: Barrier, results: Any, seed: int) -> None:
    """One writer process: the insert phase, then the upsert phase; reports both spans."""
    from pymongo import MongoClient, ReplaceOne
    from pymongo.errors import PyMongoError

    client: MongoClient[dict[str, Any]] = MongoClient(url, socketTimeoutMS=STALL_S * 1000)
    collection = client[database]["measure_periods"]
    rng = random.Random(seed)
    documents = [_document(writer, k, 0) for k in range(KEYS)]
    try:
        start.wait()
        began = time.perf_counter()
        for offset in range(0, KEYS, INSERT_CHUNK):
            collection.insert_many(documents[offset : offset + INSERT_CHUNK], ordered=False)
        results.put(("insert", writer, began, time.perf_counter(), KEYS))
        start.wait()
        began = time.perf_counter()
        for version in range(1, BATCHES + 1):
            keys = rng.sample(range(KEYS), BATCH)
            operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in
                          (_document(writer, k, version) for k in keys)]  # fmt: skip
            collection.bulk_write(operations, ordered=False)
        results.put(("upsert", writer, began, time.perf_counter(), BATCHES * BATCH))
    except PyMongoError as error:  # a stalled store: the parent reports the phase as stalled
        print(f"   writer {writer}: {type(error).__name__}: {error}"[:160], flush=True)
    finally:
        client.close()


def _create_collection(url: str, database: str) -> None:
    """The collection and its _id index exist before timing, as the service's do."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(url, socketTimeoutMS=STALL_S * 1000)
    try:
        client[database].create_collection("measure_periods")
    finally:
        client.close()


def _measure(url: str, writers: int, run: int) -> dict[str, float]:
    """Ops/s of each phase with ``writers`` concurrent writer processes (0 if it stalled)."""
    database = f"backends_{writers}w_{run}_{os.getpid()}"
    _create_collection(url, database)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(target=_writer, args=(url, database, w, start, results, run * 10 + w))
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    spans: dict[str, list[tuple[float, float, int]]] = {"insert": [], "upsert": []}
    deadline = time.monotonic() + STALL_S + 30  # spawning, then the insert phase
    try:
        while sum(len(s) for s in spans.values()) < 2 * writers:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (not any(p.is_alive() for p in processes) and results.empty()):
                break
            try:
                phase, _writer_id, began, ended, count = results.get(timeout=min(remaining, 1))
            except Exception:
                continue
            spans[phase].append((began, ended, count))
            if phase == "insert" and len(spans[phase]) == writers:
                deadline = time.monotonic() + STALL_S + 5  # the upsert phase
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
    rates: dict[str, float] = {}
    for phase, done in spans.items():
        if len(done) < writers or max(e for _, e, _ in done) - min(b for b, _, _ in done) > STALL_S:
            rates[phase] = 0.0
            print(
                f"   {writers} writer(s): {phase} phase stalled (> {STALL_S:.0f} s) or a writer failed"
            )
            continue
        wall = max(e for _, e, _ in done) - min(b for b, _, _ in done)
        rates[phase] = sum(c for _, _, c in done) / wall
    return rates


@contextmanager
def _sqlite() -> Iterator[str]:
    with private_stack(kafka=False) as stack:
        yield stack.mongo_url


@contextmanager
def _postgresql(variant: str) -> Iterator[str]:
    pg = _pg_store()
    with pg.postgres_cluster() as cluster, pg.ferretdb(variant, cluster) as url:
        yield url


def main() -> None:
    # A SIGTERM (e.g. a timeout) unwinds the context managers, so no cluster is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backends: dict[str, Callable[[], AbstractContextManager[str]]] = {"SQLite": _sqlite}
    for variant in PG_VARIANTS:
        label = "PostgreSQL" if variant == "patched" else f"PostgreSQL ({variant})"
        backends[label] = partial(_postgresql, variant)
    rates: dict[tuple[str, str, int], list[float]] = {}
    for run in range(RUNS):
        for label, backend in backends.items():
            with ExitStack() as store:
                url = store.enter_context(backend())
                for writers in WRITERS:
                    measured = _measure(url, writers, run)
                    print(f"   run {run + 1}, FerretDB/{label}, {writers} writer(s): {measured}")
                    for phase, rate in measured.items():
                        rates.setdefault((label, phase, writers), []).append(rate)
                    if 0.0 in measured.values():
                        # A stalled FerretDB keeps its pooled connections: start a fresh one.
                        store.close()
                        url = store.enter_context(backend())
    figures: list[Figure] = []
    for phase, unit, what in (
        ("upsert", "upserts/s", f"bulk ReplaceOne of {BATCH} by _id into {KEYS:,} keys"),
        ("insert", "inserts/s", f"insert_many of {KEYS:,} new documents"),
    ):
        baseline = rates[("SQLite", phase, 1)]
        for label in backends:
            for writers in WRITERS:
                figures.append(
                    Figure(
                        f"FerretDB/{label}, {writers} writer(s): {what}",
                        unit,
                        rates[(label, phase, writers)],
                        baseline_name="FerretDB/SQLite, 1 writer",
                        baseline_runs=baseline,
                    )
                )
    # The scaling itself: each store's 2 and 3 writers against its own 1 writer.
    for label in backends:
        for writers in WRITERS[1:]:
            figures.append(
                Figure(
                    f"Scaling of FerretDB/{label}: {writers} writers against its own 1 writer",
                    "upserts/s",
                    rates[(label, "upsert", writers)],
                    baseline_name=f"FerretDB/{label}, 1 writer",
                    baseline_runs=rates[(label, "upsert", 1)],
                )
            )
    report("store_backends", figures)


if __name__ == "__main__":
    main()
