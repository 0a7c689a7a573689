"""``Stack``: the infrastructure and platform services of one home directory.

``make up`` uses ``.local/`` on the development ports; the test suite and the benchmarks use a
temporary home on free ports (``Stack.with_free_ports``).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .console import StackError, log
from .ferretdb import FERRETDB_BIN, ensure_ferretdb_binary
from .kafka import broker_jvm, ensure_kafka_jars, format_storage, kafka_answers, write_broker_config
from .oidc_provider import (
    ensure_oidc_provider,
    issuer_url,
    prepare_server,
    providers_setting,
    server_env,
)
from .paths import HOME_MARKER, REPO
from .ports import DEV_PORTS, free_port, port_open, with_new_ports
from .processes import ProcessSupervisor
from .prometheus import ensure_prometheus, render_prometheus_config
from .readiness import http_ok, run_async, wait_until

# Python services in start order: (name, module run with `python -m`).
SERVICES = (
    ("ingest", "services.ingest"),
    ("measures", "services.measures"),
    ("scorecard", "services.scorecard"),
    ("notifications", "services.notifications"),
    ("gateway", "gateway"),
)
INFRASTRUCTURE = ("mongo", "kafka", "prometheus", "oidc")


PROVIDER_TOOLS_SIMULATOR = "provider-tools-simulator"
REVIEWS_SIMULATOR = "reviews-simulator"
MAIL_SINK = "mail-sink"
MAIL_SINK_USER = "qsmo-local"


@dataclass
class Stack(ProcessSupervisor):
    """One running (or to-be-run) set of infrastructure and services under ``home``."""

    ports: dict[str, int] = field(default_factory=dict)

    # --- state on disk -----------------------------------------------------------------
    def save_ports(self) -> None:
        (self.home / "ports.json").write_text(json.dumps(self.ports, indent=2))

    @classmethod
    def at(cls, home: Path, ports: dict[str, int] | None = None) -> Stack:
        home = home.resolve()
        saved = home / "ports.json"
        if ports is None:
            ports = with_new_ports(json.loads(saved.read_text()) if saved.exists() else {})
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
        if "QSMO_OIDC_PROVIDERS" not in os.environ and self.running("oidc"):
            env["QSMO_OIDC_PROVIDERS"] = providers_setting(self.ports["oidc"])
        env.update(extra or {})
        return env

    # --- infrastructure ---------------------------------------------------------------------
    def start_kafka(self, timeout_s: float = 90) -> None:
        ensure_kafka_jars()
        data = self.home / "data" / "kafka"
        config = self.home / "run" / "server.properties"
        write_broker_config(config, self.ports, data)
        jvm = broker_jvm()
        format_storage(jvm, config, data)
        self.spawn("kafka", [*jvm, "kafka.Kafka", str(config)])
        wait_until(
            self.kafka_ready, timeout_s, f"Kafka on {self.kafka_bootstrap}", self.logs / "kafka.log"
        )

    def kafka_ready(self) -> bool:
        if not self.running("kafka") or not port_open(self.ports["kafka"]):
            return False
        return run_async(lambda: kafka_answers(self.kafka_bootstrap))

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

    @property
    def oidc_issuer(self) -> str:
        """The local OpenID provider's issuer (``start_oidc``)."""
        return issuer_url(self.ports["oidc"])

    @property
    def oidc_redirect_uri(self) -> str:
        """Where the dashboard client's sign-in returns: the stack's gateway (the dashboard)."""
        return f"http://127.0.0.1:{self.ports['gateway']}/"

    def start_oidc(self, timeout_s: float = 60) -> None:
        """Run the local OpenID provider (npm's oidc-provider, deploy/local/oidc/server.mjs)
        with the development users; its signing keys stay in ``<home>/data/oidc``."""
        installed = ensure_oidc_provider()
        script = prepare_server(installed, self.home / "run" / "oidc")
        env = server_env(self.ports["oidc"], self.home / "data" / "oidc", [self.oidc_redirect_uri])
        self.spawn("oidc", ["node", str(script)], env=env, cwd=script.parent)
        discovery = f"{self.oidc_issuer}/.well-known/openid-configuration"
        wait_until(
            lambda: self.running("oidc") and http_ok(discovery),
            timeout_s,
            f"the OpenID provider on {self.oidc_issuer}",
            self.logs / "oidc.log",
        )

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
        """Write development keys on first run (and when the plaintext file predates provider
        keys); True when new ones were made."""
        if (
            self.api_keys_file.exists()
            and self.plaintext_keys_file.exists()
            and "providers" in json.loads(self.plaintext_keys_file.read_text())
        ):
            return False
        from shared.api_keys import generate_development_keys
        from shared.catalog import load_catalog

        catalog = load_catalog()
        qsmos = [qsmo.id for qsmo in catalog.qsmos]
        providers = [provider.id for provider in catalog.providers]
        plaintext, key_file = generate_development_keys(qsmos, providers)
        self.plaintext_keys_file.write_text(json.dumps(plaintext, indent=2) + "\n")
        self.plaintext_keys_file.chmod(0o600)
        self.api_keys_file.write_text(key_file.model_dump_json(indent=2) + "\n")
        return True

    # --- the local SMTP sink ----------------------------------------------------------------------
    @property
    def mail_directory(self) -> Path:
        """Where the sink writes every message it receives (``.eml`` files)."""
        return self.home / "mail"

    @property
    def mail_tls_directory(self) -> Path:
        return self.home / "mail-tls"

    def mail_password(self) -> str:
        """The sink's login password, made once per home (only this machine knows it)."""
        path = self.mail_tls_directory / "password"
        if not path.exists():
            import secrets

            self.mail_tls_directory.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path.read_text().strip()

    def start_mail_sink(self, timeout_s: float = 30) -> None:
        """Run the SMTP sink (``mail_sink.py``: aiosmtpd, STARTTLS and AUTH) on the ``smtp``
        port; the notifications service sends review emails to it (``mail_env``)."""
        port = self.ports["smtp"]
        argv = [
            sys.executable,
            "-m",
            "qsmo_local.mail_sink",
            f"--port={port}",
            f"--directory={self.mail_directory}",
            f"--tls-directory={self.mail_tls_directory}",
            f"--username={MAIL_SINK_USER}",
        ]
        env = {"QSMO_MAIL_SINK_PASSWORD": self.mail_password()}
        self.spawn(MAIL_SINK, argv, env=env, cwd=REPO / "deploy" / "local")
        wait_until(
            lambda: self.running(MAIL_SINK) and port_open(port),
            timeout_s,
            f"the SMTP sink on port {port}",
            self.logs / f"{MAIL_SINK}.log",
        )

    def mail_env(self) -> dict[str, str]:
        """The notifications service's settings for sending through the sink."""
        return {
            "QSMO_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "QSMO_NOTIFICATIONS_SMTP_PORT": str(self.ports["smtp"]),
            "QSMO_NOTIFICATIONS_SMTP_USERNAME": MAIL_SINK_USER,
            "QSMO_NOTIFICATIONS_SMTP_PASSWORD": self.mail_password(),
            "QSMO_NOTIFICATIONS_SMTP_CA_FILE": str(self.mail_tls_directory / "cert.pem"),
            "QSMO_NOTIFICATIONS_SMTP_FROM": "QSMO Performance Platform <qsmo-platform@localhost>",
            "QSMO_NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{self.ports['gateway']}",
        }

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

    def start_provider_tools_simulator(self) -> None:
        """Play the provider tools' year once through the gateway in the background (log:
        provider-tools-simulator.log): self-assessments and data calls submitted and accepted,
        a survey wave imported and closed. Running it again changes nothing."""
        if self.running(PROVIDER_TOOLS_SIMULATOR):
            return
        argv = [
            sys.executable,
            "-m",
            "qsmo_client.simulator.provider_tools",
            "--keys-file",
            str(self.plaintext_keys_file),
            "--gateway-url",
            f"http://127.0.0.1:{self.ports['gateway']}",
        ]
        self.spawn(PROVIDER_TOOLS_SIMULATOR, argv, env=self.service_env())
        log(
            "provider-tools simulator started: self-assessments, data calls and a survey wave "
            f"(log {self.logs / (PROVIDER_TOOLS_SIMULATOR + '.log')})"
        )

    def start_reviews_simulator(self) -> None:
        """Play the quarterly reviews once in the background (log: reviews-simulator.log): it
        waits until the simulator's history of the reviewed years is scored, then creates,
        readies and holds each QSMO's and the government-wide review of the last four ended
        quarters. Running it again changes nothing."""
        if self.running(REVIEWS_SIMULATOR):
            return
        argv = [
            sys.executable,
            "-m",
            "qsmo_client.simulator.reviews",
            "--keys-file",
            str(self.plaintext_keys_file),
            "--gateway-url",
            f"http://127.0.0.1:{self.ports['gateway']}",
        ]
        self.spawn(REVIEWS_SIMULATOR, argv, env=self.service_env())
        log(
            "reviews simulator started: the last four quarters' reviews once the history is in "
            f"(log {self.logs / (REVIEWS_SIMULATOR + '.log')})"
        )

    def up(
        self, services: list[str], env_by_service: dict[str, dict[str, str]] | None = None
    ) -> None:
        """Start what is not running yet; ``env_by_service`` adds variables to a service's env."""
        self.ensure_api_keys()
        starters = (
            ("mongo", self.start_mongo),
            ("kafka", self.start_kafka),
            ("oidc", self.start_oidc),
            ("prometheus", self.start_prometheus),
        )
        for name, starter in starters:
            if self.running(name):
                log(f"{name} already running")
            else:
                starter()
        self.create_topics()
        notifications_env = (env_by_service or {}).get("notifications", {})
        uses_sink = notifications_env.get("QSMO_NOTIFICATIONS_SMTP_PORT") == str(self.ports["smtp"])
        if "notifications" in services and uses_sink:
            if self.running(MAIL_SINK):
                log("mail sink already running")
            else:
                self.start_mail_sink()
        for name in services:
            if not self.running(name):
                self.start_service(name, (env_by_service or {}).get(name))

    def down(self) -> None:
        names = [path.stem for path in (self.home / "run").glob("*.pid")]
        # The simulator first (it feeds ingest), then services (they flush to Kafka and the
        # store), then the infrastructure.
        simulators = ("simulator", PROVIDER_TOOLS_SIMULATOR, REVIEWS_SIMULATOR, MAIL_SINK)
        for name in sorted(names, key=lambda n: (n in INFRASTRUCTURE, n not in simulators)):
            self.stop(name)
