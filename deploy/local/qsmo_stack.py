"""The local QSMO platform without Docker: the command line of ``make up``, ``make down``,
``make groups``, ``make dlq`` … and the names the test suite and the benchmarks import.

    python deploy/local/qsmo_stack.py up [--services all|none|ingest,measures]
    python deploy/local/qsmo_stack.py down | status | clean | prepare | keys
    python deploy/local/qsmo_stack.py groups [--group measures] [--json]
    python deploy/local/qsmo_stack.py dlq [--limit 20] [--json]

The code lives in the ``qsmo_local`` package beside this file, one concern per module (its
``__init__`` lists them); docs/local-infra.md describes what runs.
"""

import sys

from qsmo_local.cli import local_route_env, main
from qsmo_local.console import StackError, log
from qsmo_local.ferretdb import FERRETDB_BIN, FERRETDB_PATCHES, ensure_ferretdb_binary
from qsmo_local.groups import GroupLag, PartitionLag, describe_groups, format_groups
from qsmo_local.kafka import KAFKA_LIB, LOCAL_SASL_PASSWORD, LOCAL_SASL_USER, ensure_kafka_jars
from qsmo_local.kustomize import ensure_kustomize
from qsmo_local.paths import CACHE, REPO
from qsmo_local.poppler import POPPLER_TOOLS, ensure_poppler
from qsmo_local.ports import DEV_PORTS, free_port, port_open
from qsmo_local.ports import with_new_ports as _with_new_ports
from qsmo_local.prometheus import ensure_prometheus, render_prometheus_config
from qsmo_local.readiness import http_ok, run_async, wait_until
from qsmo_local.stack import SERVICES, Stack

__all__ = [
    "CACHE",
    "DEV_PORTS",
    "FERRETDB_BIN",
    "FERRETDB_PATCHES",
    "KAFKA_LIB",
    "LOCAL_SASL_PASSWORD",
    "LOCAL_SASL_USER",
    "POPPLER_TOOLS",
    "REPO",
    "SERVICES",
    "GroupLag",
    "PartitionLag",
    "Stack",
    "StackError",
    "_with_new_ports",
    "describe_groups",
    "ensure_ferretdb_binary",
    "ensure_kafka_jars",
    "ensure_kustomize",
    "ensure_poppler",
    "ensure_prometheus",
    "format_groups",
    "free_port",
    "http_ok",
    "local_route_env",
    "log",
    "main",
    "port_open",
    "render_prometheus_config",
    "run_async",
    "wait_until",
]

if __name__ == "__main__":
    sys.exit(main())
