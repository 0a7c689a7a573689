"""The domain core stays pure: no I/O library imports, no clock reads (STYLE.md)."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[3] / "shared" / "domain"
FORBIDDEN_MODULES = {
    "aiokafka",
    "pymongo",
    "bson",
    "motor",
    "fastapi",
    "starlette",
    "strawberry",
    "prometheus_client",
    "httpx",
    "uvicorn",
    "yaml",
    "requests",
    "socket",
    "subprocess",
}
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}


def _modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _clock_reads(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if (owner_name, node.attr) in CLOCK_READS:
            found.append(f"line {node.lineno}: {owner_name}.{node.attr}")
    return found


def test_the_domain_package_has_modules() -> None:
    assert len(_modules()) >= 6


@pytest.mark.parametrize("module", _modules(), ids=lambda p: p.name)
def test_module_imports_no_io_library(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    assert _imported_roots(tree) & FORBIDDEN_MODULES == set()


@pytest.mark.parametrize("module", _modules(), ids=lambda p: p.name)
def test_module_never_reads_the_clock(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    assert _clock_reads(tree) == []


@pytest.mark.parametrize(
    "source",
    [
        "import pymongo",
        "from aiokafka.structs import TopicPartition",
        "import yaml as y",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "import time\nx = time.time()",
    ],
)
def test_the_checker_catches_violations(source: str) -> None:
    tree = ast.parse(source)
    assert _imported_roots(tree) & FORBIDDEN_MODULES or _clock_reads(tree)
