"""An admin adds a QSMO (framework audit log in the real store); ingest, running, then
accepts that QSMO's events and publishes them to the real broker — no restart."""

import asyncio
from typing import Any

import httpx
import qsmo_stack
from ingest_kafka_support import PlainKeys, create_topic, event, in_process, read_topic

from gateway.framework_admin import FrameworkAdmin
from services.ingest.bootstrap import create_app
from services.ingest.settings import IngestSettings
from shared.events import AcceptedEvent
from shared.framework_log import MongoFrameworkLog
from shared.settings import PlatformSettings


async def test_events_of_a_qsmo_added_by_an_admin_are_accepted_without_a_restart(
    stack: qsmo_stack.Stack,
    mongo_db: Any,
    plain_keys: PlainKeys,
    kafka_bootstrap: str,
    unique_topic: str,
) -> None:
    await create_topic(kafka_bootstrap, unique_topic)
    platform = PlatformSettings(
        kafka_bootstrap=kafka_bootstrap,
        api_keys_file=stack.api_keys_file,
        mongo_url=stack.mongo_url,
        mongo_db=mongo_db.name,
    )
    app = create_app(IngestSettings(topic=unique_topic, qsmo_refresh_s=0.2), platform)
    admin = {"Authorization": f"Bearer {plain_keys.admin}"}
    body = event(event_id="travel-0001", qsmo="travel-management")
    async with in_process(app) as client:
        before = await client.post("/v1/events", json=body, headers=admin)
        assert before.status_code == 422, before.text
        assert before.json()["error"]["details"][0]["code"] == "unknown_qsmo"

        await FrameworkAdmin(MongoFrameworkLog(mongo_db)).add_qsmo(
            "travel-management", "Travel Management", "GSA", actor="admin", reason="new QSMO"
        )
        answer = await _first_accepted(client, body, admin)
        assert answer.json()["event_ids"] == ["travel-0001"]
    (record,) = await read_topic(kafka_bootstrap, unique_topic, expected=1)
    published = AcceptedEvent.model_validate_json(record.value)
    assert (published.event_id, published.qsmo) == ("travel-0001", "travel-management")


async def _first_accepted(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """POST until 202 (the directory refreshes every 0.2 s); every refusal is unknown_qsmo."""
    async with asyncio.timeout(20):
        while True:
            answer = await client.post("/v1/events", json=body, headers=headers)
            if answer.status_code == 202:
                return answer
            assert answer.status_code == 422, answer.text
            await asyncio.sleep(0.1)
