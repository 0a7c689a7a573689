"""Apache Kafka (KRaft, one node): its jars from Maven Central, its config and storage.

docs/local-infra.md describes the broker's settings and listeners.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .console import StackError, log
from .paths import CACHE, LOCAL_DIR
from .toolchain import require_tool

KAFKA_LIB = CACHE / "kafka" / "lib"
KAFKA_POM = LOCAL_DIR / "kafka" / "pom.xml"
# The local broker's SASL/PLAIN listener (port "kafka-sasl") accepts this one user; for tests
# of the clients' security settings only: the services use the plaintext listener.
LOCAL_SASL_USER = "qsmo-local"
LOCAL_SASL_PASSWORD = "qsmo-local-sasl"


def kafka_jars_digest() -> str:
    """The hex SHA-256 of the pom: the stamp that says the cached jars are current."""
    return hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()


def ensure_kafka_jars() -> None:
    """Copy Kafka and its log4j binding from Maven Central into the cache (once)."""
    stamp = KAFKA_LIB / ".pom-sha256"
    digest = kafka_jars_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    require_tool("java", "run the Kafka broker (Java 17+)")
    mvn = require_tool("mvn", "fetch the Kafka jars from Maven Central")
    log(f"fetching Kafka jars from Maven Central into {KAFKA_LIB} (first run only)")
    if KAFKA_LIB.exists():
        shutil.rmtree(KAFKA_LIB)
    KAFKA_LIB.mkdir(parents=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(KAFKA_POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={KAFKA_LIB}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(
            f"Maven could not fetch Kafka:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    stamp.write_text(digest)


def write_broker_config(config: Path, ports: dict[str, int], data: Path) -> None:
    """``server.properties.template`` filled with the stack's ports and data directory."""
    template = (LOCAL_DIR / "kafka" / "server.properties.template").read_text()
    config.write_text(
        template.format(
            port=ports["kafka"],
            controller_port=ports["kafka-controller"],
            sasl_port=ports["kafka-sasl"],
            sasl_user=LOCAL_SASL_USER,
            sasl_password=LOCAL_SASL_PASSWORD,
            data_dir=data,
            partitions=os.environ.get("QSMO_TOPIC_PARTITIONS", "6"),
        )
    )


def broker_jvm() -> list[str]:
    """``java`` with the broker's heap, logging and the cached jars on the class path."""
    java = require_tool("java", "run the Kafka broker (Java 17+)")
    return [
        java,
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOCAL_DIR / 'kafka' / 'log4j2.properties'}",
        "-cp",
        f"{KAFKA_LIB}/*",
    ]


def format_storage(jvm: list[str], config: Path, data: Path) -> None:
    """Format the broker's storage once (a new cluster id); kept across restarts."""
    if (data / "meta.properties").exists():
        return
    cluster_id = (
        subprocess.run(
            [*jvm, "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    storage_format = ["format", "--standalone", "-t", cluster_id, "-c", str(config)]
    result = subprocess.run(
        [*jvm, "kafka.tools.StorageTool", *storage_format],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")


async def kafka_answers(bootstrap: str) -> bool:
    """True when an admin client can list the broker's topics (readiness, not a log line)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()
