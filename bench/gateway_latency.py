"""GraphQL gateway latency at a steady 100 requests/s, against a bare strawberry baseline.

A private Kafka and FerretDB; events for every QSMO and FY2024 measure go through the real
measures and scorecard services (``python -m services.measures`` / ``services.scorecard``),
which are stopped once the scorecards exist so they do not compete for the CPU. Then the real
gateway (``python -m gateway``, as ``make up`` runs it) answers, per run:

* ``scorecard(fiscalYear, qsmo)`` — one QSMO's scorecard with every dimension and measure;
* ``scorecards(fiscalYear)`` — every QSMO side by side, same selection;
* ``DashboardGrid`` — the dashboard grid's own query (``gateway/dashboard/static/app.js``);
* ``scorecard(fiscalYear, qsmo, provider)`` — a provider's slice scorecard, computed on read
  (rev. 2), same selection; and ``providerComparison`` of ``human-resources``' six providers
  with every measure (value, targets, status, quarterly trend), both against the one-scorecard
  query of the same run;
* the baseline: a bare strawberry app on the same uvicorn answering ``{ ping }`` (a constant).

Then the services start again and the **open** fiscal year is measured with live
invalidations: while ``TRICKLE_PER_S`` events a second go through measures and scorecard
(each new version is a ``ScorecardChanged`` that drops the gateway's cached grid of that
year), the open year's one-scorecard query, its ``DashboardGrid`` and the bare baseline run
again; the ``ScorecardChanged`` messages the gateway heard meanwhile are printed.
The grid lines carry the same-run ratio to the one-scorecard query (the issue's yardstick)
and to the bare baseline.

Load is open-loop: request *i* is sent at ``start + i / 100 s`` whatever the answers, and its
latency counts from that scheduled instant (no coordinated omission). Medians of 3 runs of
``SECONDS`` seconds each (``QSMO_BENCH_RUNS``, ``QSMO_BENCH_GATEWAY_SECONDS`` shorten a
trial run); p50/p99 in milliseconds and the ratio to the baseline's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.harness import REPO, Figure, private_stack, qsmo_stack, report
from shared import topics
from shared.catalog import load_catalog
from shared.codecs import encode
from shared.domain.fiscal import fiscal_year_of, fiscal_year_period
from shared.events import AcceptedEvent
from shared.kafka import create_producer

RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
RATE = 100
SECONDS = float(os.environ.get("QSMO_BENCH_GATEWAY_SECONDS", "10"))
WARMUP = 200
TRICKLE_PER_S = 2.0
CLOSED_YEAR = 2024
OPEN_YEAR = fiscal_year_of(datetime.now(UTC))
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
SELECTION = """overallScore overallStatus phase version computedAt
  dimensions { id name score status weight measures { id name value target attainment status
    weight active baseline change dataQuality { eventCount restatedCount lastEventAt stale } } }"""
ONE = f'query One {{ scorecard(fiscalYear: 2024, qsmo: "cybersecurity") {{ {SELECTION} }} }}'
TIER_QSMO = "human-resources"
TIER_PROVIDERS = ("doi-ibc", "dod-dfas", "keystone-hr-cloud", "opm-hrs", "treasury-arc", "usda-nfc")
TIER_AGENCIES = ("DOI", "USDA", "TREAS", "DOD", "OPM", "HHS", "DHS", "VA")
SLICE = (
    f'query Slice {{ scorecard(fiscalYear: 2024, qsmo: "{TIER_QSMO}", provider: "doi-ibc") '
    f"{{ {SELECTION} }} }}"
)
COMPARE = f"""query Compare {{ providerComparison(qsmo: "{TIER_QSMO}", fiscalYear: 2024) {{
  rows {{ provider {{ id name kind }} customerAgencies overallScore overallStatus
    measures {{ measureId value target annualTarget targetSource status trend lastYearValue }} }}
}} }}"""
ALL = f"query All {{ scorecards(fiscalYear: 2024) {{ qsmoId {SELECTION} }} }}"
BARE = "query Bare { ping }"


def dashboard_query(name: str) -> str:
    """The dashboard's own query ``name`` (``const NAME = `…`;`` in app.js, ``${CARD}`` filled)."""
    source = (REPO / "gateway" / "dashboard" / "static" / "app.js").read_text()
    consts = dict(re.findall(r"const (\w+) = `([^`]*)`;", source))
    return re.sub(r"\$\{(\w+)\}", lambda m: consts[m.group(1)], consts[name])


GRID = dashboard_query("GRID")
"""The dashboard grid's query, read from the page so the bench measures what people run."""
ONE_OPEN = ONE.replace(f"fiscalYear: {CLOSED_YEAR}", f"fiscalYear: {OPEN_YEAR}")
Request = tuple[str, dict[str, object] | None]
"""A query and its variables."""


def event(qsmo: str, measure_id: str, n: int, occurred_at: datetime) -> AcceptedEvent:
    measure = load_catalog().framework().measure(measure_id)
    top = measure.value_range.max or measure.default_target * 2
    return AcceptedEvent(
        event_id=f"bench-{qsmo}-{measure.id}-{occurred_at.year}-{n}",
        qsmo=qsmo,
        measure=measure.id,
        value=round(min(top, measure.default_target * (0.8 + n % 5 / 10)), 2),
        occurred_at=occurred_at,
        ingested_at=datetime.now(UTC),
        request_id=f"bench-{uuid.uuid4().hex[:8]}",
    )


def tier_events(fiscal_year: int = CLOSED_YEAR) -> list[AcceptedEvent]:
    """Two events per provider of ``TIER_QSMO`` and measure in ``fiscal_year``, each naming a
    customer agency (the slices ``SLICE`` and ``COMPARE`` read)."""
    start = fiscal_year_period(fiscal_year).start
    made = []
    for p, provider in enumerate(TIER_PROVIDERS):
        for measure in load_catalog().framework().measures:
            for n in range(2):
                base = event(TIER_QSMO, measure.id, n, start + timedelta(days=40 + 90 * n + p))
                made.append(
                    base.model_copy(
                        update={
                            "event_id": f"{base.event_id}-{provider}",
                            "provider": provider,
                            "agency": TIER_AGENCIES[(p + n) % len(TIER_AGENCIES)],
                        }
                    )
                )
    return made


def events(fiscal_year: int = CLOSED_YEAR) -> list[AcceptedEvent]:
    """Three events for every QSMO and every measure of the default framework in
    ``fiscal_year`` (in the past when that year is still open)."""
    start = fiscal_year_period(fiscal_year).start
    latest = datetime.now(UTC) - timedelta(hours=1)
    return [
        event(qsmo, measure.id, n, min(start + timedelta(days=120 + 30 * n), latest))
        for qsmo in QSMOS
        for measure in load_catalog().framework().measures
        for n in range(3)
    ]


async def trickle(bootstrap: str, stop: asyncio.Event) -> int:
    """``TRICKLE_PER_S`` events a second for the open year until ``stop``; how many."""
    producer = create_producer(bootstrap, linger_ms=0)
    await producer.start()
    measures = [m.id for m in load_catalog().framework().measures]
    pairs = itertools.cycle([(q, m) for m in measures for q in QSMOS])
    sent = 0
    try:
        while not stop.is_set():
            qsmo, measure = next(pairs)
            made = event(qsmo, measure, 1000 + sent, datetime.now(UTC) - timedelta(minutes=1))
            key = topics.event_key(qsmo, measure)
            await producer.send_and_wait(topics.EVENTS, encode(made), key=key)
            sent += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / TRICKLE_PER_S)
    finally:
        await producer.stop()
    return sent


async def produce(bootstrap: str, batch: list[AcceptedEvent]) -> None:
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        futures = [
            await producer.send(topics.EVENTS, encode(e), key=topics.event_key(e.qsmo, e.measure))
            for e in batch
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def wait_for_scorecards(
    client: httpx.AsyncClient, url: str, key: str, fiscal_year: int = CLOSED_YEAR
) -> None:
    query = f"{{ scorecards(fiscalYear: {fiscal_year}) {{ qsmoId measures {{ value }} }} }}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        response = await client.post(
            url,
            json={"query": query},
            headers={"Authorization": f"Bearer {key}"},
        )
        cards = response.json().get("data", {}).get("scorecards") or []
        filled = [c for c in cards if sum(m["value"] is not None for m in c["measures"]) >= 13]
        if len(filled) == len(QSMOS):
            return
        await asyncio.sleep(1)
    raise RuntimeError(
        f"the FY{fiscal_year} scorecards were not built within 180 s; see the services' logs"
    )


class RawHttpClient:
    """A minimal HTTP/1.1 keep-alive client, so the load generator spends little CPU.

    ``connections`` sockets are opened up front; a request waits for a free one.
    """

    def __init__(self, url: str, connections: int = 48) -> None:
        parts = httpx.URL(url)
        self.host, self.port, self.path = parts.host, parts.port or 80, parts.path
        self.size = connections
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def __aenter__(self) -> RawHttpClient:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.free.empty():
            _, writer = self.free.get_nowait()
            writer.close()

    def request(self, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        reader, writer = await self.free.get()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            return status, await reader.readexactly(length)
        finally:
            self.free.put_nowait((reader, writer))


async def steady_load(
    url: str, request: Request, headers: dict[str, str], seconds: float, rate: int = RATE
) -> list[float]:
    """Latencies (ms) of ``rate`` requests/s for ``seconds``, open loop, on fresh connections.

    A request's latency runs from its scheduled send time to the end of its answer.
    """
    async with RawHttpClient(url) as client:
        query, variables = request
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        raw = client.request(body, headers)
        latencies: list[float] = []
        failures: list[str] = []

        async def one(scheduled: float) -> None:
            status, answer = await client.send(raw)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            if status != 200 or b'"errors"' in answer:
                failures.append(answer[:200].decode(errors="replace"))

        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(int(rate * seconds)):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_bare(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.gateway_latency", "--bare", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_http(client: httpx.AsyncClient, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await client.get(url)).status_code < 500:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within 60 s")


Target = tuple[str, Request, dict[str, str]]
"""Where a load goes: URL, request, headers."""


async def rounds(targets: dict[str, Target]) -> dict[str, list[list[float]]]:
    """A warm-up of each target, then ``RUNS`` rounds taking the targets in turn."""
    for url, request, headers in targets.values():
        await steady_load(url, request, headers, WARMUP / RATE)
    results: dict[str, list[list[float]]] = {name: [] for name in targets}
    for _ in range(RUNS):
        for name, (url, request, headers) in targets.items():
            results[name].append(await steady_load(url, request, headers, SECONDS))
    return results


async def scorecard_messages_heard(client: httpx.AsyncClient, gateway_url: str) -> float:
    """The gateway's count of ``ScorecardChanged`` messages its live feed delivered."""
    text = (await client.get(gateway_url.replace("/graphql", "/metrics"))).text
    prefix = 'qsmo_gateway_live_messages_total{kind="scorecards",result="delivered"}'
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


@dataclass
class Measured:
    closed: dict[str, list[list[float]]]
    opened: dict[str, list[list[float]]]
    events_sent: int = 0
    changes_heard: float = 0.0


async def measure(stack: qsmo_stack.Stack) -> Measured:
    keys = json.loads(stack.plaintext_keys_file.read_text())
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    gateway_url = f"http://127.0.0.1:{stack.ports['gateway']}/graphql"
    bare_port = qsmo_stack.free_port()
    bare_url = f"http://127.0.0.1:{bare_port}/graphql"
    bare = start_bare(bare_port)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for year in (CLOSED_YEAR, OPEN_YEAR):
                await wait_for_scorecards(client, gateway_url, keys["viewer"], year)
            stack.stop("measures")
            stack.stop("scorecard")
            await wait_http(client, bare_url.replace("/graphql", "/health"))
            closed = await rounds(
                {
                    "one": (gateway_url, (ONE, None), viewer),
                    "all": (gateway_url, (ALL, None), viewer),
                    "grid": (gateway_url, (GRID, {"fy": CLOSED_YEAR}), viewer),
                    "slice": (gateway_url, (SLICE, None), viewer),
                    "compare": (gateway_url, (COMPARE, None), viewer),
                    "bare": (bare_url, (BARE, None), {}),
                }
            )
            stack.start_service("measures")
            stack.start_service("scorecard")
            heard = await scorecard_messages_heard(client, gateway_url)
            stop = asyncio.Event()
            trickling = asyncio.create_task(trickle(stack.kafka_bootstrap, stop))
            try:
                opened = await rounds(
                    {
                        "one": (gateway_url, (ONE_OPEN, None), viewer),
                        "grid": (gateway_url, (GRID, {"fy": OPEN_YEAR}), viewer),
                        "bare": (bare_url, (BARE, None), {}),
                    }
                )
            finally:
                stop.set()
                sent = await trickling
            heard = await scorecard_messages_heard(client, gateway_url) - heard
    finally:
        bare.terminate()
        bare.wait(10)
    return Measured(closed, opened, sent, heard)


def _percentiles(results: dict[str, list[list[float]]], fraction: float) -> dict[str, list[float]]:
    return {name: [percentile(r, fraction) for r in runs] for name, runs in results.items()}


def figures(measured: Measured) -> list[Figure]:
    """The original four lines, then the dashboard grid's, closed year and open year."""
    lower: dict[str, Any] = {"unit": "ms", "higher_is_better": False}
    closed = {q: _percentiles(measured.closed, f) for q, f in (("p50", 0.5), ("p99", 0.99))}
    opened = {q: _percentiles(measured.opened, f) for q, f in (("p50", 0.5), ("p99", 0.99))}
    made: list[Figure] = []
    for name, label in (("one", "scorecard(fiscalYear, qsmo)"), ("all", "scorecards(fiscalYear)")):
        for q in ("p50", "p99"):
            made.append(
                Figure(
                    f"{label} {q} @100 req/s",
                    runs=closed[q][name],
                    baseline_name=f"bare strawberry {{ ping }} {q}",
                    baseline_runs=closed[q]["bare"],
                    **lower,
                )
            )
    for figures_of, grid_name, one_name in (
        (closed, f"DashboardGrid FY{CLOSED_YEAR}", "scorecard(fiscalYear, qsmo)"),
        (
            opened,
            f"DashboardGrid open FY{OPEN_YEAR} with live invalidations",
            f"scorecard(FY{OPEN_YEAR}, qsmo) same trickle",
        ),
    ):
        for q in ("p50", "p99"):
            made.append(
                Figure(
                    f"{grid_name} {q} @100 req/s",
                    runs=figures_of[q]["grid"],
                    baseline_name=f"{one_name} {q}",
                    baseline_runs=figures_of[q]["one"],
                    **lower,
                )
            )
        made.append(
            Figure(
                f"{grid_name} p99 @100 req/s vs bare",
                runs=figures_of["p99"]["grid"],
                baseline_name="bare strawberry { ping } p99",
                baseline_runs=figures_of["p99"]["bare"],
                **lower,
            )
        )
    for name, label in (
        ("slice", "slice scorecard(fiscalYear, qsmo, provider)"),
        ("compare", f"providerComparison ({len(TIER_PROVIDERS)} providers, all measures)"),
    ):
        for q in ("p50", "p99"):
            made.append(
                Figure(
                    f"{label} {q} @100 req/s",
                    runs=closed[q][name],
                    baseline_name=f"scorecard(fiscalYear, qsmo) {q}",
                    baseline_runs=closed[q]["one"],
                    **lower,
                )
            )
    return made


def main() -> None:
    with private_stack() as stack:
        stack.start_service("measures")
        stack.start_service("scorecard")
        batch = events(CLOSED_YEAR) + events(OPEN_YEAR) + tier_events(CLOSED_YEAR)
        asyncio.run(produce(stack.kafka_bootstrap, batch))
        stack.start_service("gateway")
        measured = asyncio.run(measure(stack))
    made = figures(measured)
    report("gateway_latency", made)
    print(
        f"  open year: {measured.events_sent} events trickled in, the gateway heard "
        f"{measured.changes_heard:.0f} ScorecardChanged while measuring"
    )
    verdicts = (
        ("one scorecard", "scorecard(fiscalYear, qsmo) p99"),
        (
            "DashboardGrid (open year)",
            f"DashboardGrid open FY{OPEN_YEAR} with live invalidations p99",
        ),
        ("slice scorecard", "slice scorecard(fiscalYear, qsmo, provider) p99"),
        ("providerComparison", "providerComparison (6 providers, all measures) p99"),
    )
    for name, prefix in verdicts:
        figure = next(f for f in made if f.name.startswith(prefix))
        p99 = statistics.median(figure.runs)
        verdict = "meets" if p99 < 25 else "MISSES"
        print(f"  {name} p99 {p99:.1f} ms {verdict} the 25 ms aim")


def serve_bare(port: int) -> None:
    """The baseline: strawberry on FastAPI and uvicorn, one constant field, nothing else.

    Served as ``python -m gateway`` serves the gateway (startup objects frozen out of the
    garbage collector, no log config): without that, gen-2 collections every few seconds
    gave the bare app a p99 of 20-50 ms, slower than the real gateway.
    """
    import gc

    import strawberry
    import uvicorn
    from fastapi import FastAPI
    from strawberry.fastapi import GraphQLRouter

    @strawberry.type
    class Query:
        @strawberry.field
        def ping(self) -> str:
            return "pong"

    app = FastAPI()
    app.include_router(GraphQLRouter(strawberry.Schema(Query)), prefix="/graphql")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    gc.collect()
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        serve_bare(int(sys.argv[2]))
    else:
        main()
