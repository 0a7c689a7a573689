"""GraphQL gateway latency at a steady 100 requests/s, against a bare strawberry baseline.

A private Kafka and FerretDB; events for every QSMO and FY2024 measure go through the real
measures and scorecard services (``python -m services.measures`` / ``services.scorecard``),
which are stopped once the scorecards exist so they do not compete for the CPU. Then the real
gateway (``python -m gateway``, as ``make up`` runs it) answers, per run:

* ``scorecard(fiscalYear, qsmo)`` — one QSMO's scorecard with every dimension and measure;
* ``scorecards(fiscalYear)`` — every QSMO side by side, same selection;
* the baseline: a bare strawberry app on the same uvicorn answering ``{ ping }`` (a constant).

Load is open-loop: request *i* is sent at ``start + i / 100 s`` whatever the answers, and its
latency counts from that scheduled instant (no coordinated omission). Medians of 3 runs of
``SECONDS`` seconds each; p50/p99 in milliseconds and the ratio of p50 to the baseline's.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.harness import REPO, Figure, private_stack, qsmo_stack, report
from shared import topics
from shared.catalog import load_catalog
from shared.codecs import encode
from shared.events import AcceptedEvent
from shared.kafka import create_producer

RUNS = 3
RATE = 100
SECONDS = 10
WARMUP = 200
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
SELECTION = """overallScore overallStatus phase version computedAt
  dimensions { id name score status weight measures { id name value target attainment status
    weight active baseline change dataQuality { eventCount restatedCount lastEventAt stale } } }"""
ONE = f'query One {{ scorecard(fiscalYear: 2024, qsmo: "cybersecurity") {{ {SELECTION} }} }}'
ALL = f"query All {{ scorecards(fiscalYear: 2024) {{ qsmoId {SELECTION} }} }}"
BARE = "query Bare { ping }"


def events() -> list[AcceptedEvent]:
    """Three events for every QSMO and every FY2024 measure of the default framework."""
    framework = load_catalog().framework()
    made: list[AcceptedEvent] = []
    for qsmo in QSMOS:
        for measure in framework.measures:
            top = measure.value_range.max or measure.default_target * 2
            for n in range(3):
                made.append(
                    AcceptedEvent(
                        event_id=f"bench-{qsmo}-{measure.id}-{n}",
                        qsmo=qsmo,
                        measure=measure.id,
                        value=round(min(top, measure.default_target * (0.8 + n / 10)), 2),
                        occurred_at=datetime(2024, 2 + n, 10, tzinfo=UTC),
                        ingested_at=datetime.now(UTC),
                        request_id=f"bench-{uuid.uuid4().hex[:8]}",
                    )
                )
    return made


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


async def wait_for_scorecards(client: httpx.AsyncClient, url: str, key: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        response = await client.post(
            url,
            json={"query": "{ scorecards(fiscalYear: 2024) { qsmoId measures { value } } }"},
            headers={"Authorization": f"Bearer {key}"},
        )
        cards = response.json().get("data", {}).get("scorecards") or []
        filled = [c for c in cards if sum(m["value"] is not None for m in c["measures"]) >= 13]
        if len(filled) == len(QSMOS):
            return
        await asyncio.sleep(1)
    raise RuntimeError("the scorecards were not built within 180 s; see the services' logs")


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
    url: str, query: str, headers: dict[str, str], seconds: float, rate: int = RATE
) -> list[float]:
    """Latencies (ms) of ``rate`` requests/s for ``seconds``, open loop, on fresh connections.

    A request's latency runs from its scheduled send time to the end of its answer.
    """
    async with RawHttpClient(url) as client:
        request = client.request(json.dumps({"query": query}).encode(), headers)
        latencies: list[float] = []
        failures: list[str] = []

        async def one(scheduled: float) -> None:
            status, answer = await client.send(request)
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


async def measure(stack: qsmo_stack.Stack) -> list[Figure]:
    keys = json.loads(stack.plaintext_keys_file.read_text())
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    gateway_url = f"http://127.0.0.1:{stack.ports['gateway']}/graphql"
    bare_port = qsmo_stack.free_port()
    bare_url = f"http://127.0.0.1:{bare_port}/graphql"
    bare = start_bare(bare_port)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_for_scorecards(client, gateway_url, keys["viewer"])
            stack.stop("measures")
            stack.stop("scorecard")
            await wait_http(client, bare_url.replace("/graphql", "/health"))
            for url, query, headers in (
                (gateway_url, ONE, viewer),
                (gateway_url, ALL, viewer),
                (bare_url, BARE, {}),
            ):
                await steady_load(url, query, headers, WARMUP / RATE)
            results: dict[str, list[list[float]]] = {"one": [], "all": [], "bare": []}
            for _ in range(RUNS):
                for name, url, query, headers in (
                    ("one", gateway_url, ONE, viewer),
                    ("all", gateway_url, ALL, viewer),
                    ("bare", bare_url, BARE, {}),
                ):
                    results[name].append(await steady_load(url, query, headers, SECONDS))
    finally:
        bare.terminate()
        bare.wait(10)
    p50 = {n: [percentile(r, 0.5) for r in runs] for n, runs in results.items()}
    p99 = {n: [percentile(r, 0.99) for r in runs] for n, runs in results.items()}
    lower = {"unit": "ms", "higher_is_better": False}
    return [
        Figure(
            "scorecard(fiscalYear, qsmo) p50 @100 req/s",
            runs=p50["one"],
            baseline_name="bare strawberry { ping } p50",
            baseline_runs=p50["bare"],
            **lower,
        ),
        Figure(
            "scorecard(fiscalYear, qsmo) p99 @100 req/s",
            runs=p99["one"],
            baseline_name="bare strawberry { ping } p99",
            baseline_runs=p99["bare"],
            **lower,
        ),
        Figure(
            "scorecards(fiscalYear) p50 @100 req/s",
            runs=p50["all"],
            baseline_name="bare strawberry { ping } p50",
            baseline_runs=p50["bare"],
            **lower,
        ),
        Figure(
            "scorecards(fiscalYear) p99 @100 req/s",
            runs=p99["all"],
            baseline_name="bare strawberry { ping } p99",
            baseline_runs=p99["bare"],
            **lower,
        ),
    ]


def main() -> None:
    with private_stack() as stack:
        stack.start_service("measures")
        stack.start_service("scorecard")
        asyncio.run(produce(stack.kafka_bootstrap, events()))
        stack.start_service("gateway")
        figures = asyncio.run(measure(stack))
    report("gateway_latency", figures)
    one_p99 = statistics.median(figures[1].runs)
    verdict = "meets" if one_p99 < 25 else "MISSES"
    print(f"  one scorecard p99 {one_p99:.1f} ms {verdict} the 25 ms aim")


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
