"""Start, stop and check the local QSMO platform without Docker.

Fetches Apache Kafka's jars from Maven Central and builds FerretDB (MongoDB wire protocol,
SQLite storage) from the Go module proxy into ``~/.cache/qsmo`` (once), then runs them and the
platform's services as background processes bound to 127.0.0.1, with their data and logs
under a *home* directory (``.local/`` for ``make up``; a temporary one for the test suite).

    python deploy/local/qsmo_stack.py up [--services all|none|ingest,measures]
    python deploy/local/qsmo_stack.py down | status | clean | prepare | keys
    python deploy/local/qsmo_stack.py groups [--group measures] [--json]
    python deploy/local/qsmo_stack.py dlq [--limit 20] [--json]
    python deploy/local/qsmo_stack.py token [--user dev-admin] [--resource urn:qsmo:api]
"""

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from .console import StackError, log
from .dead_letters import DLQ_TOPIC, dead_letters_json, format_dead_letters, read_dead_letters
from .ferretdb import ensure_ferretdb_binary
from .groups import describe_groups, format_groups, groups_json
from .kafka import ensure_kafka_jars
from .kustomize import ensure_kustomize
from .oidc_provider import AUDIENCE, DEV_USERS_FILE, ensure_oidc_provider
from .oidc_sign_in import SignInError, access_token, dev_users
from .paths import REPO
from .poppler import ensure_poppler
from .prometheus import ensure_prometheus
from .readiness import run_async
from .stack import (
    INFRASTRUCTURE,
    MAIL_SINK,
    PROVIDER_TOOLS_SIMULATOR,
    REVIEWS_SIMULATOR,
    SERVICES,
    Stack,
)

ALLOW_LOOPBACK_WEBHOOKS = {"QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS": "true"}
"""The local route's receivers run on this machine (loopback), which the SSRF guard refuses
by default. The notifications service delivers, the gateway checks a subscription's URL."""
WEBHOOK_CHECKERS = ("notifications", "gateway")


def local_route_env(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Variables ``up`` adds to each service's environment: loopback webhooks, unless the
    caller runs the stack as production (the services refuse the switch there) or set the
    switch themselves."""
    if environ.get("QSMO_ENVIRONMENT", "development") == "production":
        return {}
    if any(name in environ for name in ALLOW_LOOPBACK_WEBHOOKS):
        return {}
    return {name: dict(ALLOW_LOOPBACK_WEBHOOKS) for name in WEBHOOK_CHECKERS}


def with_mail_sink(
    stack: Stack, environ: Mapping[str, str], env_by_service: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Point the notifications service at the local SMTP sink (which ``up`` then starts),
    unless the stack runs as production or the caller named an SMTP server themselves."""
    if environ.get("QSMO_ENVIRONMENT", "development") == "production":
        return env_by_service
    if "QSMO_NOTIFICATIONS_SMTP_HOST" in environ:
        return env_by_service
    notifications = {**env_by_service.get("notifications", {}), **stack.mail_env()}
    return {**env_by_service, "notifications": notifications}


def print_summary(stack: Stack, services: list[str], loopback_webhooks: bool) -> None:
    log("the QSMO platform is running:")
    print(f"  Kafka      {stack.kafka_bootstrap}  (consumer lag: make groups)")
    ferretdb = stack.home / "data" / "ferretdb"
    print(f"  MongoDB    {stack.mongo_url}  (FerretDB 1.24, SQLite in {ferretdb})")
    urls = {"gateway": "/graphql", "ingest": "/docs"}
    for name in services:
        print(f"  {name:<10} http://127.0.0.1:{stack.ports[name]}{urls.get(name, '/metrics')}")
    prometheus = f"http://127.0.0.1:{stack.ports['prometheus']}"
    print(f"  Prometheus {prometheus}  (alerts: {prometheus}/classic/alerts)")
    print(
        f"  API keys   {stack.plaintext_keys_file}  (development keys; hashes in {stack.api_keys_file.name})"
    )
    if "gateway" in services:
        how = "Sign in as a development user, or paste" if stack.running("oidc") else "paste"
        print(
            f"  dashboard  http://127.0.0.1:{stack.ports['gateway']}/  ({how} the viewer key from the keys file)"
        )
    if stack.running("oidc"):
        print(
            f"  sign-in    {stack.oidc_issuer}  (development OpenID provider; users and their "
            f"password: {DEV_USERS_FILE.relative_to(REPO)})"
        )
    if loopback_webhooks and "notifications" in services:
        print(
            "  webhooks   loopback and private receivers allowed (local route only: "
            "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS=true; production refuses it)"
        )
    if stack.running(MAIL_SINK):
        print(
            f"  mail       SMTP sink 127.0.0.1:{stack.ports['smtp']} (STARTTLS, login); review "
            f"emails are kept as .eml files in {stack.mail_directory}/"
        )
    if stack.running("simulator"):
        print(
            f"  simulator  sending events to ingest (log {stack.logs / 'simulator.log'}; "
            "make up SIMULATE=0 starts without it)"
        )
    if stack.running(PROVIDER_TOOLS_SIMULATOR):
        log_file = stack.logs / f"{PROVIDER_TOOLS_SIMULATOR}.log"
        print(
            f"  provider tools  a year of self-assessments, data calls and a survey (log {log_file})"
        )
    if stack.running(REVIEWS_SIMULATOR):
        log_file = stack.logs / f"{REVIEWS_SIMULATOR}.log"
        print(f"  reviews    the last four quarters' reviews, held, with packets (log {log_file})")
    print(f"  logs       {stack.logs}/")
    print("  stop with  make down")


def up(stack: Stack, services_arg: str) -> None:
    available = stack.existing_services()
    if services_arg == "all":
        wanted = available
    elif services_arg == "none":
        wanted = []
    else:
        wanted = [name for name in services_arg.split(",") if name]
    unknown = set(wanted) - set(available)
    if unknown:
        raise StackError(f"unknown or not yet built services: {', '.join(sorted(unknown))}")
    env_by_service = local_route_env(os.environ)
    stack.up(wanted, with_mail_sink(stack, os.environ, env_by_service))
    if os.environ.get("SIMULATE", "1") != "0" and "ingest" in wanted:
        stack.start_simulator()
    if os.environ.get("SIMULATE", "1") != "0" and "gateway" in wanted:
        stack.start_provider_tools_simulator()
    if os.environ.get("SIMULATE", "1") != "0" and {"ingest", "gateway"} <= set(wanted):
        stack.start_reviews_simulator()
    print_summary(stack, wanted, loopback_webhooks=bool(env_by_service))


def stack_bootstrap(home: Path, bootstrap: str | None) -> str:
    """``bootstrap`` if given, else the Kafka of the stack in ``home`` (its saved ports)."""
    if bootstrap is not None:
        return bootstrap
    ports_file = home.resolve() / "ports.json"
    if not ports_file.exists():
        raise StackError(f"no stack in {home} ({ports_file} is missing): start one with make up")
    return f"127.0.0.1:{json.loads(ports_file.read_text())['kafka']}"


def groups(home: Path, bootstrap: str | None, names: list[str], as_json: bool) -> None:
    """Print the consumer groups of the stack in ``home`` (its saved ports) or of ``bootstrap``."""
    bootstrap = stack_bootstrap(home, bootstrap)
    # aiokafka logs each refused connection; the StackError below says it once, with the fix.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    described = run_async(lambda: describe_groups(bootstrap, names or None))
    print((groups_json if as_json else format_groups)(described), end="")


def dlq(home: Path, bootstrap: str | None, limit: int, as_json: bool, topic: str) -> None:
    """Print the newest dead letters (reason, code, original bytes) of the stack's broker."""
    bootstrap = stack_bootstrap(home, bootstrap)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    letters = run_async(lambda: read_dead_letters(bootstrap, limit, topic))
    print((dead_letters_json if as_json else format_dead_letters)(letters), end="")


def prepare() -> None:
    ensure_kafka_jars()
    ensure_ferretdb_binary()
    ensure_oidc_provider()
    ensure_prometheus()
    ensure_poppler()
    ensure_kustomize()


def token(stack: Stack, user: str, resource: str) -> str:
    """An access token for a development user, signed in through the local provider's login
    page (the dashboard client's code flow with PKCE), for ``curl -H "Authorization: Bearer …"``."""
    if not stack.running("oidc"):
        raise StackError(f"the local OpenID provider of {stack.home} is not running: make up")
    if user not in dev_users():
        known = ", ".join(dev_users())
        raise StackError(f"no development user {user!r}; the users are: {known}")
    try:
        return run_async(
            lambda: access_token(stack.oidc_issuer, user, stack.oidc_redirect_uri, resource)
        )
    except SignInError as error:
        raise StackError(f"signing in as {user} failed: {error}") from None


def status(stack: Stack) -> None:
    others = ("simulator", PROVIDER_TOOLS_SIMULATOR, REVIEWS_SIMULATOR, MAIL_SINK)
    for name in [*INFRASTRUCTURE, *(n for n, _ in SERVICES), *others]:
        pid = stack.pid(name)
        print(f"{name:<14} {'stopped' if pid is None else f'running pid {pid}'}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = ["up", "down", "status", "clean", "prepare", "keys", "groups", "dlq", "token"]
    parser.add_argument("command", choices=commands)
    parser.add_argument("--home", type=Path, default=REPO / ".local")
    parser.add_argument("--services", default="all", help="all, none, or a comma-separated list")
    parser.add_argument(
        "--group", action="append", default=[], help="groups: only this group (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="groups, dlq: JSON instead of text")
    parser.add_argument(
        "--bootstrap", help="groups, dlq: this Kafka bootstrap (host:port) instead of the stack's"
    )
    parser.add_argument("--limit", type=int, default=20, help="dlq: the newest N (0: all)")
    parser.add_argument("--topic", default=DLQ_TOPIC, help="dlq: the dead-letter topic")
    parser.add_argument(
        "--user", default="dev-viewer", help="token: the development user (dev-users.json)"
    )
    parser.add_argument("--resource", default=AUDIENCE, help="token: the audience asked for")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        if args.command == "groups":
            groups(args.home, args.bootstrap, args.group, args.json)
            return 0
        if args.command == "dlq":
            dlq(args.home, args.bootstrap, args.limit, args.json, args.topic)
            return 0
        stack = Stack.at(args.home)
        if args.command == "keys":
            made = stack.ensure_api_keys()
            log(
                f"{'wrote new' if made else 'kept the'} development keys in {stack.plaintext_keys_file}"
            )
        elif args.command == "token":
            print(token(stack, args.user, args.resource))
        elif args.command == "prepare":
            prepare()
        elif args.command == "up":
            up(stack, args.services)
        elif args.command == "down":
            stack.down()
            log("stopped")
        elif args.command == "status":
            status(stack)
        elif args.command == "clean":
            stack.down()
            shutil.rmtree(stack.home, ignore_errors=True)
            log(f"deleted {stack.home}")
    except StackError as error:
        print(f"[stack] error: {error}", file=sys.stderr)
        return 1
    return 0
