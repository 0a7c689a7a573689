"""``QSMO_KAFKA_SECURITY_*`` against a real broker listener that requires SASL/PLAIN.

The local broker has a second listener (``SASL_PLAINTEXT``, one user); the services' clients,
configured only through ``PlatformSettings`` and ``shared.kafka.connection_options``, must
create topics, produce and consume through it, and be refused with a wrong password.
"""

import asyncio

import pytest
import qsmo_stack
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from shared.kafka import connection_options, create_consumer, create_producer, ensure_topics
from shared.settings import PlatformSettings


def sasl_settings(stack: qsmo_stack.Stack, password: str) -> PlatformSettings:
    return PlatformSettings(
        kafka_bootstrap=stack.kafka_sasl_bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username=qsmo_stack.LOCAL_SASL_USER,
        kafka_sasl_password=password,  # type: ignore[arg-type]
    )


async def test_clients_create_produce_and_consume_over_sasl(
    stack: qsmo_stack.Stack, unique_topic: str
) -> None:
    platform = sasl_settings(stack, qsmo_stack.LOCAL_SASL_PASSWORD)
    options = connection_options(platform)
    created = await ensure_topics(platform.kafka_bootstrap, 2, (unique_topic,), **options)
    assert created == [unique_topic]
    producer = create_producer(platform.kafka_bootstrap, **options)
    await producer.start()
    try:
        await producer.send_and_wait(unique_topic, b"over-sasl", key=b"k")
    finally:
        await producer.stop()
    consumer = create_consumer(platform.kafka_bootstrap, unique_topic, group_id=None, **options)
    await consumer.start()
    try:
        received: list[bytes] = []
        async with asyncio.timeout(30):
            while not received:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    received.extend(r.value for r in records)
    finally:
        await consumer.stop()
    assert received == [b"over-sasl"]


async def test_a_wrong_password_is_refused(stack: qsmo_stack.Stack) -> None:
    platform = sasl_settings(stack, "not-the-password")
    producer = create_producer(platform.kafka_bootstrap, **connection_options(platform))
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()


def test_sasl_without_credentials_is_refused_naming_the_settings() -> None:
    with pytest.raises(ValidationError) as refused:
        PlatformSettings(kafka_security_protocol="SASL_SSL")
    assert "QSMO_KAFKA_SASL_USERNAME and QSMO_KAFKA_SASL_PASSWORD" in str(refused.value)


def test_plaintext_needs_no_options_and_ssl_gets_a_context() -> None:
    assert connection_options(PlatformSettings()) == {}
    options = connection_options(PlatformSettings(kafka_security_protocol="SSL"))
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"


def test_sasl_credentials_with_a_protocol_that_ignores_them_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        PlatformSettings(kafka_sasl_username="svc", kafka_sasl_password="pw")  # type: ignore[arg-type]
    assert "QSMO_KAFKA_SECURITY_PROTOCOL=PLAINTEXT would not use them" in str(refused.value)
