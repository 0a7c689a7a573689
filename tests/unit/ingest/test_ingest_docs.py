"""Every example of docs/ingest.md, run against the ingest app (in-memory publisher).

The request examples are sent and must be accepted; each documented answer is produced by the
request it describes and must match, field by field (``…`` in the docs abridges a text: the
parts around it must match; request ids are random and not compared).
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from ingest_support import IngestHarness, event, events

from services.ingest.ports import PublishUnavailableError
from shared.events import AcceptedEvent

DOC = Path(__file__).resolve().parents[3] / "docs" / "ingest.md"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), re.M | re.S)


def documented_answers(block: int = 0) -> dict[str, tuple[int, dict[str, str], Any, bool]]:
    """``HTTP/1.1`` examples by id: status, headers, JSON body, whether it is a CSV answer."""
    answers = {}
    for chunk in code_blocks("http")[block].strip().split("\n\n"):
        status_line, *rest = chunk.splitlines()
        headers = dict(line.split(": ", 1) for line in rest if not line.startswith(("{", " ")))
        body = json.loads("\n".join(line for line in rest if line.startswith(("{", " "))))
        status = int(status_line.split()[1])
        code = body.get("error", {}).get("code", "accepted")
        csv = status_line.endswith("(POST /v1/events:csv)")
        answers[f"{status}-{code}{'-csv' if csv else ''}"] = (status, headers, body, csv)
    return answers


ANSWERS = documented_answers()


def assert_matches(documented: Any, actual: Any, where: str = "body") -> None:
    """``actual`` is what ``documented`` shows; ``…`` stands for any text."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), where
        assert set(documented) == set(actual), where
        for key in documented.keys() - {"request_id"}:
            assert_matches(documented[key], actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), where
        assert len(documented) == len(actual), where
        for index, (doc, got) in enumerate(zip(documented, actual, strict=True)):
            assert_matches(doc, got, f"{where}[{index}]")
    elif isinstance(documented, str) and "…" in documented:
        pattern = ".*".join(re.escape(part) for part in documented.split("…"))
        assert re.fullmatch(pattern, actual, re.S), f"{where}: {actual!r}"
    else:
        assert documented == actual, f"{where}: {actual!r}"


async def test_the_json_event_example_is_accepted(harness: IngestHarness) -> None:
    document = json.loads(code_blocks("json")[0])
    response = await harness.post(document)
    assert response.status_code == 202, response.text
    assert response.json()["event_ids"] == [document["event_id"]]


async def test_the_csv_example_is_accepted(harness: IngestHarness) -> None:
    response = await harness.client.post(
        "/v1/events:csv",
        content=code_blocks("csv")[0].encode(),
        headers=harness.keys.auth() | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["event_ids"] == ["cyber-0001", "cyber-0002"]
    assert harness.publisher.published[0].attributes == {"survey": "FY24-Q3", "responses": 37}


async def test_the_error_shape_is_the_shape_of_every_error(harness: IngestHarness) -> None:
    shape = json.loads(code_blocks("json")[1])
    response = await harness.post({"events": [event(), event(event_id="c-2", value=9)]})
    error = response.json()["error"]
    assert set(error) == set(shape["error"])
    assert set(error["details"][0]) == set(shape["error"]["details"][0])


async def test_the_examples_use_each_event_id_for_one_observation_only() -> None:
    """A second, different event under a used id would be ignored downstream."""
    seen: dict[str, dict[str, Any]] = {}
    provider_events = [e for r in provider_requests() for e in r.get("events", [r])]
    requests = [json.loads(code_blocks("json")[0]), *curl_events(), *provider_events]
    for document in requests:
        first = seen.setdefault(document["event_id"], document)
        assert first == document, f"event_id {document['event_id']} names two observations"


def curl_events() -> list[dict[str, Any]]:
    payload = re.search(r"-d '(.*?)'", code_blocks("bash")[0], re.S)
    assert payload is not None
    documents: list[dict[str, Any]] = json.loads(payload.group(1))["events"]
    return documents


def provider_requests() -> list[dict[str, Any]]:
    """The bodies of the curl commands of *Providers and customer agencies*."""
    script = code_blocks("bash")[1]
    return [json.loads(body) for body in re.findall(r"-d '(.*?)'", script, re.S)]


async def test_the_provider_examples_get_the_documented_answers(harness: IngestHarness) -> None:
    script = code_blocks("bash")[1]
    assert '["publishers"]["financial-management"]' in script
    assert script.count("http://127.0.0.1:8001/v1/events ") == 2
    batch, typo = provider_requests()
    accepted = await harness.post(batch, qsmo="financial-management")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["event_ids"] == [e["event_id"] for e in batch["events"]]
    published = harness.publisher.published
    assert [(e.agency, e.provider) for e in published] == [("DOI", "doi-ibc"), ("USDA", "usda-nfc")]
    ((status, _, body, _),) = documented_answers(1).values()
    refused = await harness.post(typo, qsmo="financial-management")
    assert refused.status_code == status
    assert_matches(body, refused.json())
    assert len(harness.publisher.published) == 2


async def test_the_curl_example_is_accepted(harness: IngestHarness) -> None:
    script = code_blocks("bash")[0]
    assert "http://127.0.0.1:8001/v1/events " in script
    assert "-H 'Content-Type: application/json'" in script
    assert '/v1/events:csv -H "Authorization: Bearer $KEY"' in script
    assert "-H 'Content-Type: text/csv' --data-binary @events.csv" in script
    response = await harness.post({"events": curl_events()})
    assert response.status_code == 202, response.text


def test_the_curl_examples_key_lookup_reads_the_development_keys_file(tmp_path: Path) -> None:
    lookup = re.search(r"KEY=\$\((python3 -c .*)\)\n", code_blocks("bash")[0])
    assert lookup is not None
    keys = {"admin": "a", "viewer": "v", "publishers": {"cybersecurity": "the-key"}}
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "api-keys.json").write_text(json.dumps(keys))
    argv = shlex.split(lookup.group(1))
    found = subprocess.run(
        [sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "the-key"


async def answer_of(harness: IngestHarness, example: str) -> httpx.Response:
    """Send the request the documented answer ``example`` describes."""
    post, auth = harness.client.post, harness.keys.auth()
    json_type = {"Content-Type": "application/json"}
    if example == "202-accepted":
        ids = ["cyber-2024-05-01-0001", "cyber-2024-05-01-0002"]
        return await harness.post({"events": [event(event_id=i) for i in ids]})
    if example == "401-unauthorized":
        return await post("/v1/events", json=event())
    if example == "403-forbidden":
        return await harness.post({"events": [event(event_id="g-1", qsmo="grants-management")]})
    if example == "413-payload_too_large":
        return await harness.post({"events": events(1001)})
    if example == "415-unsupported_media_type":
        return await post(
            "/v1/events", content=b"{}", headers=auth | {"Content-Type": "text/plain"}
        )
    if example == "422-invalid_events":
        no_offset = event(event_id="b", occurred_at="2024-05-01T12:00:00", valeu=4)
        batch = [event(event_id="a", value=7), no_offset, event(event_id="c"), event(event_id="a")]
        return await harness.post({"events": batch})
    if example == "422-invalid_events-csv":
        csv = "event_id,qsmo,measure,value,occurred_at\n" + "\n".join(
            f'{i},cybersecurity,customer-satisfaction,"{v}",2024-05-01T12:00:00Z'
            for i, v in (("c-1", "4"), ("c-2", "4,5"))
        )
        return await post(
            "/v1/events:csv", content=csv, headers=auth | {"Content-Type": "text/csv"}
        )
    if example == "422-invalid_request":
        return await post("/v1/events", content=b"{", headers=auth | json_type)
    if example == "429-rate_limited":
        for batch in range(5):  # the burst: 5000 events
            await harness.post({"events": events(1000, source=f"burst-{batch}")})
        return await harness.post({"events": events(1000)})
    assert example == "503-unavailable", f"no request for the documented answer {example}"

    async def no_acknowledgement(accepted: list[AcceptedEvent]) -> None:
        raise PublishUnavailableError("no acknowledgement within 5 s")

    harness.publisher.publish = no_acknowledgement  # type: ignore[method-assign]
    return await harness.post(event())


def test_every_status_of_the_answers_table_has_an_example() -> None:
    table = re.findall(r"^\| `(\d{3})` \| (?:`(\w+)`|—) \|", DOC.read_text(), re.M)
    documented = {(int(status), code or "accepted") for status, code in table}
    shown = {
        (status, body.get("error", {}).get("code", "accepted"))
        for status, _, body, _ in ANSWERS.values()
    }
    assert documented - {(500, "internal_error")} == shown


@pytest.mark.parametrize("example", ANSWERS.keys())
async def test_each_documented_answer_is_what_its_request_gets(
    harness: IngestHarness, example: str
) -> None:
    status, headers, body, _ = ANSWERS[example]
    response = await answer_of(harness, example)
    assert response.status_code == status, response.text
    for name, value in headers.items():
        assert response.headers[name] == value, name
    assert_matches(body, response.json())
