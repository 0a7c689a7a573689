"""Kafka client factories with the platform's delivery settings."""

import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from shared import topics
from shared.settings import PlatformSettings


def connection_options(platform: PlatformSettings) -> dict[str, Any]:
    """The security options of every Kafka client of a service (none for PLAINTEXT).

    Pass them to ``create_producer``/``create_consumer``/``ensure_topics`` as overrides.
    """
    protocol = platform.kafka_security_protocol
    options: dict[str, Any] = {}
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        cafile = str(platform.kafka_ssl_cafile) if platform.kafka_ssl_cafile else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    if protocol.startswith("SASL_"):
        password = platform.kafka_sasl_password
        options["sasl_mechanism"] = platform.kafka_sasl_mechanism
        options["sasl_plain_username"] = platform.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def create_producer(bootstrap: str, **overrides: Any) -> AIOKafkaProducer:
    """A producer that a send is durable once acknowledged: ``acks=all``, idempotent."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "compression_type": None,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 15_000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(
    bootstrap: str, *topic_names: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """A consumer that never commits on its own: the caller commits after durable effects.

    Its client id is ``qsmo-<group>`` (``qsmo-reader`` without a group), so ``make groups`` and
    the broker's logs tell the services' members apart.
    """
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "client_id": f"qsmo-{group_id or 'reader'}",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_poll_records": 2000,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topic_names, **options)


async def ensure_topics(
    bootstrap: str,
    partitions: int,
    names: tuple[str, ...] = topics.ALL_TOPICS,
    **overrides: Any,
) -> list[str]:
    """Create the platform's topics that do not exist yet; returns the names it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000, **overrides)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(name, num_partitions=partitions, replication_factor=1)
                        for name in missing
                    ]
                )
        return missing
    finally:
        await admin.close()
