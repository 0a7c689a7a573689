"""The real gateway over data that went through ingest → measures → scorecard."""

import asyncio
import json
from typing import Any

import pytest
from gateway_pipeline_support import Pipeline, eventually
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")


async def test_scorecards_and_values_come_from_the_pipeline(pipeline: Pipeline) -> None:
    data = await pipeline.data(
        """{ cyber: scorecard(fiscalYear: 2024, qsmo: "cybersecurity") {
               id phase overallStatus qsmo { name }
               measure(id: "customer-satisfaction") { value target attainment status
                 dataQuality { eventCount lastEventAt reportingFrequencyDays } } }
             value: measureValue(qsmo: "cybersecurity", measure: "customer-satisfaction",
               fiscalYear: 2024) { value count sum min max latestAt target attainment status
               period { label } }
             q2: measureValue(qsmo: "cybersecurity", measure: "customer-satisfaction",
               fiscalYear: 2024, fiscalQuarter: 2) { value count }
             cards: scorecards(fiscalYear: 2024) { qsmoId } }"""
    )
    cyber = data["cyber"]
    assert cyber["id"] == "FY2024|cybersecurity"
    assert cyber["phase"] == 3
    assert cyber["qsmo"] == {"name": "Cybersecurity Services QSMO"}
    satisfaction = cyber["measure"]
    assert satisfaction["value"] == pytest.approx(4.2)
    assert satisfaction["target"] == 4.0
    assert satisfaction["status"] == "GREEN"
    assert satisfaction["dataQuality"]["eventCount"] == 2
    value = data["value"]
    assert value["value"] == pytest.approx(4.2)
    assert value["count"] == 2
    assert (value["min"], value["max"], value["sum"]) == (4.0, 4.4, pytest.approx(8.4))
    assert value["latestAt"].startswith("2024-02-15T10:00:00")
    assert value["period"] == {"label": "FY2024"}
    assert data["q2"] == {"value": pytest.approx(4.2), "count": 2}  # Jan and Feb are Q2
    assert [c["qsmoId"] for c in data["cards"]][:2] == ["cybersecurity", "grants-management"]

    async def government_wide() -> Any:
        found = await pipeline.data(
            '{ scorecard(fiscalYear: 2024) { governmentWide measure(id: "customer-satisfaction") '
            "{ value } } }"
        )
        card = found["scorecard"]
        return card if card and card["measure"]["value"] == pytest.approx(3.8) else None

    card = await eventually(government_wide, 30, "the government-wide scorecard")
    assert card["governmentWide"] is True  # pooled mean (4.4 + 4.0 + 3.0) / 3


async def _open(pipeline: Pipeline, payload: dict[str, Any]) -> ClientConnection:
    url = pipeline.lane.url("gateway", "/graphql").replace("http://", "ws://")
    socket = await connect(url, subprotocols=[PROTOCOL], open_timeout=10)
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def _active_subscriptions(pipeline: Pipeline) -> float:
    text = (await pipeline.http.get(pipeline.lane.url("gateway", "/metrics"))).text
    for line in text.splitlines():
        if line.startswith('qsmo_gateway_active_subscriptions{subscription="scorecardChanged"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_subscription_hears_a_change_made_through_ingest(pipeline: Pipeline) -> None:
    socket = await _open(
        pipeline, {"Authorization": pipeline.keys.bearer("viewer")["Authorization"]}
    )
    try:
        ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ack["type"] == "connection_ack"
        assert ack["payload"]["role"] == "viewer"
        query = """subscription { scorecardChanged(qsmo: "human-resources", fiscalYear: 2024) {
            scorecardId version cause overallStatus
            scorecard { measure(id: "customer-engagement") { value status } } } }"""
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await eventually(
            lambda: _active_subscriptions(pipeline), 10, "the subscription to register"
        )
        await pipeline.send("human-resources", "customer-engagement", 12, "2024-04-01T09:00:00Z")
        message = json.loads(await asyncio.wait_for(socket.recv(), 60))
        assert message["type"] == "next", message
        event = message["payload"]["data"]["scorecardChanged"]
        assert event["scorecardId"] == "FY2024|human-resources"
        assert event["cause"] == "NEW_DATA"
        assert event["scorecard"]["measure"] == {"value": 12.0, "status": "RED"}
        await socket.send(json.dumps({"id": "1", "type": "complete"}))
    finally:
        await socket.close()


@pytest.mark.parametrize("payload", [{}, {"Authorization": "Bearer not-a-key"}])
async def test_a_websocket_without_a_valid_key_is_refused(
    pipeline: Pipeline, payload: dict[str, str]
) -> None:
    socket = await _open(pipeline, payload)
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "{ framework { dimensions { measures { dimension { measures { dimension { measures "
            "{ dimension { measures { dimension { measures { id } } } } } } } } } } } }",
            "QUERY_TOO_DEEP",
        ),
        ("{ " + " ".join(f"q{i}: qsmos {{ id }}" for i in range(40)) + " }", "TOO_MANY_ALIASES"),
        ("{ " + " ".join("__typename" for _ in range(4000)) + " }", "QUERY_TOO_LARGE"),
        (
            "{ qsmos { ...F12 } } fragment F0 on Qsmo { id name leadAgency } "
            + " ".join(
                f"fragment F{n} on Qsmo {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 13)
            ),
            "QUERY_TOO_COMPLEX",
        ),
        ("{ auditLog(first: 1000) { nodes { id } } }", "BAD_USER_INPUT"),
    ],
    ids=["depth", "aliases", "tokens", "fragment-bomb", "page-size"],
)
async def test_abusive_queries_are_refused(pipeline: Pipeline, query: str, code: str) -> None:
    body = await pipeline.graphql(query)
    assert body.get("data") is None
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes[0] == code, codes  # a very deep query may also be too complex
    assert "Traceback" not in json.dumps(body)


async def test_health_readiness_and_metrics(pipeline: Pipeline) -> None:
    http, lane = pipeline.http, pipeline.lane
    assert (await http.get(lane.url("gateway", "/healthz"))).status_code == 200
    ready = (await http.get(lane.url("gateway", "/readyz"))).json()
    assert ready == {"status": "ready", "failures": {}}
    await pipeline.graphql("query Probe { viewer { keyId } }")
    metrics = (await http.get(lane.url("gateway", "/metrics"))).text
    assert 'qsmo_gateway_request_duration_seconds_count{operation="Probe",outcome="ok"' in metrics
    page = await http.get(lane.url("gateway", "/graphql"), headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
