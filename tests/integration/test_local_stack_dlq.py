"""`make dlq` (qsmo_stack.py dlq) against the real broker: the newest dead letters, decoded.

Dead letters are written as the measures service writes them (``DeadLetter`` JSON on the
topic); the command reads them back without a consumer group.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import qsmo_stack
from aiokafka import AIOKafkaProducer

from shared.codecs import encode
from shared.events import DeadLetter
from shared.kafka import ensure_topics

pytestmark = pytest.mark.infra
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _letter(n: int, payload: bytes, code: str) -> DeadLetter:
    return DeadLetter(
        reason=f"reason {n}",
        code=code,
        topic="qsmo.events.v1",
        partition=n % 2,
        offset=100 + n,
        key=f"key-{n}",
        payload_base64=base64.b64encode(payload).decode(),
        dead_lettered_at=START + timedelta(seconds=n),
    )


async def _publish(bootstrap: str, topic: str, letters: list[tuple[int, DeadLetter]]) -> None:
    await ensure_topics(bootstrap, 2, names=(topic,))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition, letter in letters:
            await producer.send_and_wait(topic, encode(letter), partition=partition)
        await producer.send_and_wait(topic, b"not json", partition=0)
    finally:
        await producer.stop()


def _dlq(stack: qsmo_stack.Stack, topic: str, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "deploy/local/qsmo_stack.py", "dlq", "--home", str(stack.home)]
    return subprocess.run(
        [*argv, "--topic", topic, *extra],
        cwd=qsmo_stack.REPO,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_dlq_prints_the_newest_letters_with_reason_and_original(
    stack: qsmo_stack.Stack, unique_topic: str
) -> None:
    letters = [
        (0, _letter(1, b'{"event_id": "e-1"}', "invalid")),
        (1, _letter(2, b"\xff\xfe", "undecodable")),
        (0, _letter(3, b'{"event_id": "e-3", "schema_version": 9}', "schema_version")),
    ]
    await _publish(stack.kafka_bootstrap, unique_topic, letters)

    result = await asyncio.to_thread(_dlq, stack, unique_topic, "--limit", "0", "--json")
    assert result.returncode == 0, result.stderr
    read: list[dict[str, Any]] = json.loads(result.stdout)

    codes = [letter["code"] for letter in read]
    # The record that is not a DeadLetter has no time, so it sorts first; the rest by time.
    assert codes == ["unreadable", "invalid", "undecodable", "schema_version"]
    by_code = {letter["code"]: letter for letter in read}
    assert by_code["invalid"]["original"] == '{"event_id": "e-1"}'
    assert by_code["invalid"]["source"] == "qsmo.events.v1/1@101"
    assert by_code["invalid"]["reason"] == "reason 1"
    assert by_code["undecodable"]["original"] == "base64:" + base64.b64encode(b"\xff\xfe").decode()
    assert "not a DeadLetter record" in by_code["unreadable"]["reason"]

    newest = await asyncio.to_thread(_dlq, stack, unique_topic, "--limit", "1")
    assert newest.returncode == 0, newest.stderr
    assert "schema_version" in newest.stdout
    assert "reason 3" in newest.stdout
    assert "invalid" not in newest.stdout


def test_dlq_without_a_stack_says_how_to_start_one(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "deploy/local/qsmo_stack.py", "dlq", "--home", str(tmp_path)],
        cwd=qsmo_stack.REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "start one with make up" in result.stderr
