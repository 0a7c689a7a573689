"""Where the time goes: the figures behind docs/local-infra.md, "FerretDB on PostgreSQL".

``.venv/bin/python deploy/local/ferretdb-pg/diagnose.py [sqlite|patched|unpatched|hold-fix]``
(default ``patched``; add ``sync`` for ``synchronous_commit=on``) runs 1 and then 3 writers of
``bench/store_backends.py`` against one store and prints, for each:

- upserts/s and inserts/s;
- the store's CPU per insert and per upsert (FerretDB plus, for PostgreSQL, the server's
  processes, from ``/proc``: a run without upserts is subtracted from one with them);
- how long the store's threads ran and waited for a CPU (``/proc/<pid>/task/*/schedstat``);
- for PostgreSQL, what FerretDB's connections were doing (``pg_stat_activity``, sampled every
  50 ms) and, at the end, EXPLAIN ANALYZE of an ``_id`` lookup as FerretDB 1.24 writes it
  (``_jsonb->'_id' @> …``) and as the index's own expression (``_jsonb->'_id' = …``).
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
TICK = os.sysconf("SC_CLK_TCK")
UPSERT_BATCHES = 120


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _processes(root: int) -> list[int]:
    """``root`` and its children (PostgreSQL's backends are the postmaster's children)."""
    found = [root]
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if int(_stat(int(name))[1]) == root:
                    found.append(int(name))
            except OSError:
                continue
    return found


def _cpu_s(pids: list[int]) -> float:
    """User plus system CPU of these processes and of their waited-for children, in seconds."""
    total = 0
    for pid in pids:
        try:
            total += sum(int(v) for v in _stat(pid)[11:15])
        except OSError:
            continue
    return total / TICK


def _schedstat_s(pids: list[int]) -> tuple[float, float]:
    """(ran, waited for a CPU) of every thread of these processes, in seconds."""
    ran = waited = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                values = Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()
            except OSError:
                continue
            ran, waited = ran + int(values[0]), waited + int(values[1])
    return ran / 1e9, waited / 1e9


@contextmanager
def _sampling(psql: Callable[[str], str] | None) -> Iterator[collections.Counter[str]]:
    """What FerretDB's PostgreSQL connections are doing, sampled until the block ends."""
    seen: collections.Counter[str] = collections.Counter()
    stop = threading.Event()

    def sample() -> None:
        query = (
            "SELECT coalesce(wait_event_type, 'CPU') || '/' || coalesce(wait_event, '-') || '/' "
            "|| replace(state, ' ', '_') FROM pg_stat_activity "
            "WHERE application_name = 'FerretDB' AND state <> 'idle'"
        )
        while psql and not stop.is_set():
            seen.update(psql(query).split())
            seen["(samples)"] += 1
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def _measure(url: str, store_pids: Callable[[], list[int]], psql: Any) -> None:
    from bench import store_backends

    for writers in (1, 3):
        cpu: dict[int, float] = {}
        rates: dict[str, float] = {}
        for batches in (0, UPSERT_BATCHES):
            store_backends.BATCHES = batches
            os.environ["QSMO_BENCH_STORE_BATCHES"] = str(batches)  # the writers' processes
            pids = store_pids()
            before, (ran0, waited0), started = _cpu_s(pids), _schedstat_s(pids), time.monotonic()
            with _sampling(psql if batches else None) as seen:
                rates = store_backends._measure(url, writers, 100 * writers + batches)
            pids = [p for p in store_pids() if p in pids]
            cpu[batches] = _cpu_s(pids) - before
            ran, waited = (a - b for a, b in zip(_schedstat_s(pids), (ran0, waited0), strict=True))
            wall = time.monotonic() - started
        inserts = writers * store_backends.KEYS
        upserts = writers * UPSERT_BATCHES * store_backends.BATCH
        print(
            f"{writers} writer(s): {rates['upsert']:,.0f} upserts/s, {rates['insert']:,.0f} "
            f"inserts/s; store CPU {1000 * cpu[0] / inserts:.3f} ms per insert, "
            f"{1000 * (cpu[UPSERT_BATCHES] - cpu[0]) / upserts:.3f} ms per upsert; its threads "
            f"ran {ran:.1f} s and waited for a CPU {waited:.1f} s in {wall:.1f} s"
        )
        if psql:
            print(f"   pg_stat_activity: {seen.most_common(8)}")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(REPO))
    from bench.harness import private_stack
    from bench.store_backends import _pg_store

    variant = sys.argv[1] if len(sys.argv) > 1 else "patched"
    if variant == "sqlite":
        with private_stack(kafka=False) as stack:
            pid = int((stack.home / "run" / "mongo.pid").read_text())
            _measure(stack.mongo_url, lambda: [pid], None)
        return
    pg = _pg_store()
    settings = {"synchronous_commit": "on"} if "sync" in sys.argv[2:] else {}
    with pg.postgres_cluster(settings) as cluster, pg.ferretdb(variant, cluster) as url:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        ferretdb = next(
            int(p)
            for p in os.listdir("/proc")
            if p.isdigit()
            and str(cluster.root) in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
            and "qsmo-ferretdb-pg" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
        )
        _measure(url, lambda: [ferretdb, *_processes(postmaster)], cluster.psql)
        schema = "backends_3w_420_" + str(os.getpid())
        table = cluster.psql(
            f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' "
            "AND tablename LIKE 'measure_periods%'"
        ).strip()
        key = cluster.psql(f'SELECT _jsonb->\'_id\' FROM "{schema}"."{table}" LIMIT 1').strip()
        for operator in ("@>", "="):
            plan = cluster.psql(
                f'EXPLAIN ANALYZE SELECT _jsonb FROM "{schema}"."{table}" '
                f"WHERE _jsonb->'_id' {operator} '{key}'"
            )
            print(f"EXPLAIN ANALYZE, _jsonb->'_id' {operator} …:\n{plan}")
        print(
            "pg_stat_user_tables (seq_scan, idx_scan, n_tup_upd): "
            + cluster.psql(
                "SELECT seq_scan, idx_scan, n_tup_upd FROM pg_stat_user_tables "
                f"WHERE schemaname = '{schema}' AND relname = '{table}'"
            ).strip()
        )


if __name__ == "__main__":
    main()
