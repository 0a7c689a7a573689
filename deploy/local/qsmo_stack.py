"""Start, stop and check the local QSMO platform without Docker.

Fetches Apache Kafka's jars from Maven Central and builds FerretDB (MongoDB wire protocol,
SQLite storage) from the Go module proxy into ``~/.cache/qsmo`` (once), then runs them and the
platform's services as background processes bound to 127.0.0.1, with their data and logs
under a *home* directory (``.local/`` for ``make up``; a temporary one for the test suite).

    python deploy/local/qsmo_stack.py up [--services all|none|ingest,measures]
    python deploy/local/qsmo_stack.py down | status | clean

The test suite imports this module (``tests/conftest.py``) to run its own stack on free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
LOCAL_DIR = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("QSMO_CACHE_DIR", Path.home() / ".cache" / "qsmo"))
KAFKA_LIB = CACHE / "kafka" / "lib"
FERRETDB_BIN = CACHE / "ferretdb" / "qsmo-ferretdb"
HOME_MARKER = "QSMO_STACK_HOME"

DEV_PORTS = {
    "kafka": 9092,
    "kafka-controller": 9093,
    "kafka-sasl": 9094,
    "mongo": 27017,
    "prometheus": 9090,
    "gateway": 8000,
    "ingest": 8001,
    "measures": 8002,
    "scorecard": 8003,
    "notifications": 8004,
}
# The local broker's SASL/PLAIN listener (port "kafka-sasl") accepts this one user; for tests
# of the clients' security settings only: the services use the plaintext listener.
LOCAL_SASL_USER = "qsmo-local"
LOCAL_SASL_PASSWORD = "qsmo-local-sasl"
# Python services in start order: (name, module run with `python -m`).
SERVICES = (
    ("ingest", "services.ingest"),
    ("measures", "services.measures"),
    ("scorecard", "services.scorecard"),
    ("notifications", "services.notifications"),
    ("gateway", "gateway"),
)


class StackError(RuntimeError):
    """A prerequisite is missing or a component did not start; the message says what to do."""


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


# ---------------------------------------------------------------- prerequisites and builds


def require_tool(tool: str, why: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StackError(
            f"'{tool}' is not on PATH; it is needed to {why}. Install it (see README.md)."
        )
    return path


def ensure_kafka_jars() -> None:
    """Copy Kafka and its log4j binding from Maven Central into the cache (once)."""
    pom = LOCAL_DIR / "kafka" / "pom.xml"
    stamp = KAFKA_LIB / ".pom-sha256"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
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
        str(pom),
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


FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_PATCHES: tuple[tuple[str, str, str], ...] = (
    # 1. FerretDB 1.24's SQLite backend pushes `{_id: <string>}` filters down as
    # `_ferretdb_sjson->'$._id' = ?`, but builds the _id index on `_ferretdb_sjson->"_id"`:
    # SQLite cannot use the index for the other spelling, so every lookup, update and delete
    # by _id scans the whole table (18 ms at 20k documents, growing). The patch makes the
    # query use the index's own expression (0.6 ms at any size). Same JSON value, semantics.
    (
        "internal/backends/sqlite/metadata/metadata.go",
        "IDColumn = DefaultColumn + \"->'$._id'\"",
        """IDColumn = DefaultColumn + `->"_id"`""",
    ),
    # 2-3. The `update` command defers closing each statement's query until the whole
    # command returns, so an update of N statements holds N of the 100 pooled SQLite
    # connections at once. Concurrent bulk updates (several measures instances) then take
    # all 100 and wait for each other forever: writes and listDatabases hang, ping answers.
    # The patch closes each statement's query as soon as that statement is done.
    (
        "internal/handler/msg_update.go",
        "\t\tcloser := iterator.NewMultiCloser()\n\t\tdefer closer.Close()\n",
        "\t\tcloser := iterator.NewMultiCloser()\n",
    ),
    (
        "internal/handler/msg_update.go",
        '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n',
        '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n'
        "\t\tcloser.Close() // qsmo patch: free this statement's connection now\n",
    ),
)


def ensure_ferretdb_binary() -> None:
    """Build the FerretDB wrapper, with FERRETDB_PATCHES applied, into the cache (once)."""
    source = LOCAL_DIR / "ferretdb"
    inputs = b"".join((source / name).read_bytes() for name in ("go.mod", "go.sum", "main.go"))
    digest = hashlib.sha256(inputs + repr(FERRETDB_PATCHES).encode()).hexdigest()
    stamp = FERRETDB_BIN.with_suffix(".sha256")
    if FERRETDB_BIN.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    go = require_tool("go", "build FerretDB (Go 1.24+)")
    log(f"building FerretDB from the Go module proxy into {FERRETDB_BIN} (first run only)")
    work = FERRETDB_BIN.parent
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    patched = _patched_ferretdb_source(go, source, work / "src", env)
    build = work / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    for name in ("go.mod", "go.sum", "main.go"):
        shutil.copy(source / name, build / name)
    _go(go, ["mod", "edit", f"-replace={FERRETDB_MODULE}={patched}"], build, env)
    _go(go, ["build", "-o", str(FERRETDB_BIN) + ".new", "."], build, env)
    os.replace(str(FERRETDB_BIN) + ".new", FERRETDB_BIN)  # atomic, even while the old one runs
    stamp.write_text(digest)


def _patched_ferretdb_source(go: str, wrapper: Path, target: Path, env: dict[str, str]) -> Path:
    words = (wrapper / "go.mod").read_text().split()
    version = words[words.index(FERRETDB_MODULE) + 1]
    info = json.loads(
        _go(go, ["mod", "download", "-json", f"{FERRETDB_MODULE}@{version}"], wrapper, env)
    )
    if target.exists():
        subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)
        shutil.rmtree(target)
    shutil.copytree(info["Dir"], target)
    subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)  # the module cache is read-only
    for relative, before, after in FERRETDB_PATCHES:
        file = target / relative
        text = file.read_text()
        if text.count(before) != 1:
            raise StackError(f"a FerretDB patch no longer applies to {relative} ({version})")
        file.write_text(text.replace(before, after))
    return target


def _go(go: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [go, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackError(f"go {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION = "v5.5.0"
KUSTOMIZE_BIN = CACHE / "kustomize" / f"kustomize-{KUSTOMIZE_VERSION}"


def ensure_prometheus() -> str:
    """The ``prometheus`` binary; installs Debian's package (with ``promtool``) when missing."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        apt = require_tool("apt-get", "install Prometheus (Debian's 'prometheus' package)")
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        log("installing Debian's prometheus package (prometheus + promtool; first run only)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait_lock = ["-o", "DPkg::Lock::Timeout=300"]
        steps = (
            [*sudo, apt, "-q", *wait_lock, "update"],
            [
                *sudo,
                apt,
                "-y",
                "-q",
                *wait_lock,
                "install",
                "--no-install-recommends",
                "prometheus",
            ],
        )
        for step in steps:
            result = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise StackError(
                    f"could not install Prometheus ({' '.join(step)} exited {result.returncode}):\n"
                    f"{result.stderr[-2000:]}\nInstall it yourself: sudo apt-get install prometheus"
                )
    return require_tool("prometheus", "collect the services' metrics")


def ensure_kustomize() -> str:
    """A pinned kustomize built from the Go module proxy into the cache (once)."""
    if KUSTOMIZE_BIN.exists():
        return str(KUSTOMIZE_BIN)
    go = require_tool("go", "build kustomize (Go 1.24+)")
    log(f"building kustomize {KUSTOMIZE_VERSION} from the Go module proxy (first run only)")
    gobin = KUSTOMIZE_BIN.parent.resolve() / "gobin"
    shutil.rmtree(gobin, ignore_errors=True)
    _go(
        go,
        ["install", f"{KUSTOMIZE_MODULE}@{KUSTOMIZE_VERSION}"],
        REPO,
        {**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
    )
    os.replace(gobin / "kustomize", KUSTOMIZE_BIN)
    shutil.rmtree(gobin, ignore_errors=True)
    return str(KUSTOMIZE_BIN)


def render_prometheus_config(targets: dict[str, int], scrape_interval: str | None = None) -> str:
    """deploy/prometheus/prometheus.yml with each job scraping ``127.0.0.1:<targets[job]>``.

    Jobs missing from ``targets`` are dropped; the rule files are referenced by absolute path,
    so the rendered file may live anywhere (the stack writes it under ``<home>/run``).
    """
    import yaml

    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in config["rule_files"]]
    if scrape_interval:
        config["global"].update(
            scrape_interval=scrape_interval, evaluation_interval=scrape_interval
        )
        config["global"].pop("scrape_timeout", None)
    jobs = [job for job in config["scrape_configs"] if job["job_name"] in targets]
    for job in jobs:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{targets[job['job_name']]}"]}]
    config["scrape_configs"] = jobs
    return str(yaml.safe_dump(config, sort_keys=False))


# ---------------------------------------------------------------- processes


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, never one this process handed out before.

    The kernel may give the same free port to two ``bind(0)`` calls in a row (seen: the
    gateway and scorecard of one test lane got one port), so ports are remembered.
    """
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _with_new_ports(saved: dict[str, int]) -> dict[str, int]:
    """A home's saved ports plus those added to the stack since: their defaults for a home on
    the default ports (``make up``), free ones for a home on other ports (no collision with
    a default stack running beside it)."""
    on_defaults = all(DEV_PORTS.get(name) == port for name, port in saved.items())
    added = {
        name: (port if on_defaults else free_port())
        for name, port in DEV_PORTS.items()
        if name not in saved
    }
    return {**saved, **added}


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.3)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def pid_is_ours(pid: int, home: Path) -> bool:
    """True when ``pid`` runs and was started by this stack home (guards against pid reuse)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    return f"{HOME_MARKER}={home}".encode() in environ.split(b"\0")


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str, log_file: Path | None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = ""
    if log_file and log_file.exists():
        tail = (
            "\n--- last lines of "
            + str(log_file)
            + " ---\n"
            + "\n".join(log_file.read_text(errors="replace").splitlines()[-25:])
        )
    raise StackError(f"{what} did not become ready within {timeout_s:.0f} s{tail}")


@dataclass
class Stack:
    """One running (or to-be-run) set of infrastructure and services under ``home``."""

    home: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    die_with_parent: bool = False
    """Test stacks: the kernel SIGKILLs every child when the test process dies."""

    # --- state on disk -----------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def pid_file(self, name: str) -> Path:
        return self.home / "run" / f"{name}.pid"

    def save_ports(self) -> None:
        (self.home / "ports.json").write_text(json.dumps(self.ports, indent=2))

    @classmethod
    def at(cls, home: Path, ports: dict[str, int] | None = None) -> Stack:
        home = home.resolve()
        saved = home / "ports.json"
        if ports is None:
            ports = _with_new_ports(json.loads(saved.read_text()) if saved.exists() else {})
        stack = cls(home=home, ports=ports)
        for sub in ("logs", "run", "data"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        stack.save_ports()
        return stack

    @classmethod
    def with_free_ports(cls, home: Path) -> Stack:
        return cls.at(home, {name: free_port() for name in DEV_PORTS})

    # --- environment ---------------------------------------------------------------------
    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['kafka']}"

    @property
    def kafka_sasl_bootstrap(self) -> str:
        """The SASL_PLAINTEXT listener (user ``LOCAL_SASL_USER``)."""
        return f"127.0.0.1:{self.ports['kafka-sasl']}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ports['mongo']}"

    @property
    def api_keys_file(self) -> Path:
        return self.home / "api-keys.hashed.json"

    @property
    def plaintext_keys_file(self) -> Path:
        return self.home / "api-keys.json"

    def service_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Environment of a platform service started by this stack."""
        env = {
            **os.environ,
            HOME_MARKER: str(self.home),
            "QSMO_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "QSMO_MONGO_URL": self.mongo_url,
            "QSMO_API_KEYS_FILE": str(self.api_keys_file),
            "PYTHONUNBUFFERED": "1",
        }
        for name, _module in SERVICES:
            env[f"QSMO_{name.upper()}_PORT"] = str(self.ports[name])
        env.update(extra or {})
        return env

    # --- generic process control ----------------------------------------------------------
    def spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        if self.running(name):
            raise StackError(f"{name} is already running (pid file {self.pid_file(name)})")
        log_file = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, HOME_MARKER: str(self.home), **(env or {})},
            cwd=cwd or REPO,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        log_file.close()
        self.pid_file(name).write_text(str(process.pid))
        self.processes[name] = process
        return process

    def pid(self, name: str) -> int | None:
        pid_file = self.pid_file(name)
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text().strip() or 0)
        return pid if pid and pid_is_ours(pid, self.home) else None

    def running(self, name: str) -> bool:
        return self.pid(name) is not None

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 20) -> None:
        """Signal a component's process group and wait until it is gone (SIGKILL after timeout)."""
        process = self.processes.pop(name, None)
        pid = process.pid if process is not None else self.pid(name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            if not self._wait_gone(pid, process, timeout_s):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                self._wait_gone(pid, process, 30)
        self.pid_file(name).unlink(missing_ok=True)

    def _wait_gone(
        self, pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float
    ) -> bool:
        if process is not None:  # our own child: wait() also reaps it
            try:
                process.wait(timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while pid_is_ours(pid, self.home):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def kill(self, name: str) -> None:
        """SIGKILL a component: the crash a fault-injection test wants."""
        self.stop(name, signal.SIGKILL, timeout_s=10)

    # --- infrastructure ---------------------------------------------------------------------
    def start_kafka(self, timeout_s: float = 90) -> None:
        ensure_kafka_jars()
        java = require_tool("java", "run the Kafka broker (Java 17+)")
        data = self.home / "data" / "kafka"
        config = self.home / "run" / "server.properties"
        template = (LOCAL_DIR / "kafka" / "server.properties.template").read_text()
        config.write_text(
            template.format(
                port=self.ports["kafka"],
                controller_port=self.ports["kafka-controller"],
                sasl_port=self.ports["kafka-sasl"],
                sasl_user=LOCAL_SASL_USER,
                sasl_password=LOCAL_SASL_PASSWORD,
                data_dir=data,
                partitions=os.environ.get("QSMO_TOPIC_PARTITIONS", "6"),
            )
        )
        classpath = f"{KAFKA_LIB}/*"
        jvm = [
            java,
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOCAL_DIR / 'kafka' / 'log4j2.properties'}",
            "-cp",
            classpath,
        ]
        if not (data / "meta.properties").exists():
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
            result = subprocess.run(
                [
                    *jvm,
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    cluster_id,
                    "-c",
                    str(config),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise StackError(
                    f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}"
                )
        self.spawn("kafka", [*jvm, "kafka.Kafka", str(config)])
        wait_until(
            self.kafka_ready, timeout_s, f"Kafka on {self.kafka_bootstrap}", self.logs / "kafka.log"
        )

    def kafka_ready(self) -> bool:
        if not self.running("kafka") or not port_open(self.ports["kafka"]):
            return False
        return run_async(lambda: _kafka_answers(self.kafka_bootstrap))

    def create_topics(self) -> None:
        from shared.kafka import ensure_topics

        partitions = int(os.environ.get("QSMO_TOPIC_PARTITIONS", "6"))
        created = run_async(lambda: ensure_topics(self.kafka_bootstrap, partitions))
        if created:
            log(f"created topics {', '.join(created)} ({partitions} partitions each)")

    def start_mongo(self, timeout_s: float = 60) -> None:
        ensure_ferretdb_binary()
        data = self.home / "data" / "ferretdb"
        self.spawn(
            "mongo",
            [str(FERRETDB_BIN), f"-listen=127.0.0.1:{self.ports['mongo']}", f"-data={data}"],
        )
        wait_until(
            self.mongo_ready, timeout_s, f"FerretDB on {self.mongo_url}", self.logs / "mongo.log"
        )

    def mongo_ready(self) -> bool:
        if not self.running("mongo") or not port_open(self.ports["mongo"]):
            return False
        from pymongo import MongoClient

        client: MongoClient[dict[str, object]] = MongoClient(
            self.mongo_url, serverSelectionTimeoutMS=1000
        )
        try:
            client.admin.command("ping")
            return True
        except Exception:
            return False
        finally:
            client.close()

    def start_prometheus(
        self,
        targets: dict[str, int] | None = None,
        scrape_interval: str | None = None,
        instance: str = "",
        port: int | None = None,
        timeout_s: float = 60,
    ) -> None:
        """Run Prometheus scraping ``targets`` (job → port; default: this stack's services)."""
        binary = ensure_prometheus()
        label = f"prometheus{instance}"
        port = port or self.ports["prometheus"]
        if port_open(port):
            raise StackError(
                f"port {port} is taken, so Prometheus cannot listen there (Debian's own "
                "prometheus.service? `systemctl disable --now prometheus`)"
            )
        targets = targets or {name: self.ports[name] for name in self.existing_services()}
        config = self.home / "run" / f"{label}.yml"
        config.write_text(render_prometheus_config(targets, scrape_interval))
        data = self.home / "data" / label
        self.spawn(
            label,
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=15d",
            ],
        )
        wait_until(
            lambda: self.running(label) and http_ok(f"http://127.0.0.1:{port}/-/ready"),
            timeout_s,
            f"Prometheus on port {port}",
            self.logs / f"{label}.log",
        )

    def ensure_api_keys(self) -> bool:
        """Write development keys on first run; True when new ones were made."""
        if self.api_keys_file.exists() and self.plaintext_keys_file.exists():
            return False
        from shared.api_keys import generate_development_keys
        from shared.catalog import load_catalog

        qsmos = [qsmo.id for qsmo in load_catalog().qsmos]
        plaintext, key_file = generate_development_keys(qsmos)
        self.plaintext_keys_file.write_text(json.dumps(plaintext, indent=2) + "\n")
        self.plaintext_keys_file.chmod(0o600)
        self.api_keys_file.write_text(key_file.model_dump_json(indent=2) + "\n")
        return True

    # --- services -----------------------------------------------------------------------------
    def start_service(
        self,
        name: str,
        extra_env: dict[str, str] | None = None,
        instance: str = "",
        timeout_s: float = 60,
        wait: bool = True,
    ) -> None:
        """Start ``python -m <module>`` for a service and wait for its ``/readyz``."""
        module = dict(SERVICES)[name]
        label = f"{name}{instance}"
        env = self.service_env(extra_env)
        self.spawn(label, [sys.executable, "-m", module], env=env)
        if wait:
            port = int(env[f"QSMO_{name.upper()}_PORT"])
            wait_until(
                lambda: self.running(label) and http_ok(f"http://127.0.0.1:{port}/readyz"),
                timeout_s,
                f"{label} on port {port}",
                self.logs / f"{label}.log",
            )

    def existing_services(self) -> list[str]:
        return [
            name
            for name, module in SERVICES
            if (REPO / module.replace(".", "/") / "__main__.py").exists()
        ]

    def start_simulator(self, extra_args: list[str] | None = None) -> None:
        """Run ``qsmo-sim`` against this stack's ingest in the background (log: simulator.log):
        a short history backfill, then a live trickle, with the development publisher keys."""
        if self.running("simulator"):
            log("simulator already running")
            return
        argv = [
            sys.executable,
            "-m",
            "qsmo_client.simulator",
            "--keys-file",
            str(self.plaintext_keys_file),
            "--ingest-url",
            f"http://127.0.0.1:{self.ports['ingest']}",
            *(extra_args or []),
        ]
        self.spawn("simulator", argv, env=self.service_env())
        log(
            f"simulator started: history first, then live events (log {self.logs / 'simulator.log'})"
        )

    def up(self, services: list[str]) -> None:
        self.ensure_api_keys()
        starters = (
            ("mongo", self.start_mongo),
            ("kafka", self.start_kafka),
            ("prometheus", self.start_prometheus),
        )
        for name, starter in starters:
            if self.running(name):
                log(f"{name} already running")
            else:
                starter()
        self.create_topics()
        for name in services:
            if not self.running(name):
                self.start_service(name)

    def down(self) -> None:
        names = [path.stem for path in (self.home / "run").glob("*.pid")]
        infra = {"kafka", "mongo", "prometheus"}
        # The simulator first (it feeds ingest), then services (they flush to Kafka and the
        # store), then the infrastructure.
        for name in sorted(names, key=lambda n: (n in infra, n != "simulator")):
            self.stop(name)


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion, also when called from inside a running event loop
    (a test fixture): then on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


async def _kafka_answers(bootstrap: str) -> bool:
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


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except Exception:
        return False


# ---------------------------------------------------------------- command line


def print_summary(stack: Stack, services: list[str]) -> None:
    log("the QSMO platform is running:")
    print(f"  Kafka      {stack.kafka_bootstrap}")
    print(
        f"  MongoDB    {stack.mongo_url}  (FerretDB 1.24, SQLite in {stack.home / 'data' / 'ferretdb'})"
    )
    urls = {"gateway": "/graphql", "ingest": "/docs"}
    for name in services:
        print(f"  {name:<10} http://127.0.0.1:{stack.ports[name]}{urls.get(name, '/metrics')}")
    print(
        f"  Prometheus http://127.0.0.1:{stack.ports['prometheus']}  (rules: deploy/prometheus/rules)"
    )
    print(
        f"  API keys   {stack.plaintext_keys_file}  (development keys; hashes in {stack.api_keys_file.name})"
    )
    if "gateway" in services:
        print(
            f"  dashboard  http://127.0.0.1:{stack.ports['gateway']}/  (paste the viewer key from the keys file)"
        )
    if stack.running("simulator"):
        print(
            f"  simulator  sending events to ingest (log {stack.logs / 'simulator.log'}; "
            "make up SIMULATE=0 starts without it)"
        )
    print(f"  logs       {stack.logs}/")
    print("  stop with  make down")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status", "clean", "prepare", "keys"])
    parser.add_argument("--home", type=Path, default=REPO / ".local")
    parser.add_argument("--services", default="all", help="all, none, or a comma-separated list")
    args = parser.parse_args(argv)
    stack = Stack.at(args.home)
    try:
        if args.command == "keys":
            made = stack.ensure_api_keys()
            log(
                f"{'wrote new' if made else 'kept the'} development keys in {stack.plaintext_keys_file}"
            )
        elif args.command == "prepare":
            ensure_kafka_jars()
            ensure_ferretdb_binary()
            ensure_prometheus()
            ensure_kustomize()
        elif args.command == "up":
            available = stack.existing_services()
            wanted = (
                available
                if args.services == "all"
                else []
                if args.services == "none"
                else [name for name in args.services.split(",") if name]
            )
            unknown = set(wanted) - set(available)
            if unknown:
                raise StackError(f"unknown or not yet built services: {', '.join(sorted(unknown))}")
            stack.up(wanted)
            if os.environ.get("SIMULATE", "1") != "0" and "ingest" in wanted:
                stack.start_simulator()
            print_summary(stack, wanted)
        elif args.command == "down":
            stack.down()
            log("stopped")
        elif args.command == "status":
            for name in ["mongo", "kafka", "prometheus", *(n for n, _ in SERVICES), "simulator"]:
                print(
                    f"{name:<14} {'running pid ' + str(stack.pid(name)) if stack.running(name) else 'stopped'}"
                )
        elif args.command == "clean":
            stack.down()
            shutil.rmtree(stack.home, ignore_errors=True)
            log(f"deleted {stack.home}")
    except StackError as error:
        print(f"[stack] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
