"""The scorecard service's pure modules import no I/O library and never read the clock."""

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[3] / "services" / "scorecard"
PURE = ["domain.py", "judging.py", "inputs.py", "changes.py", "views.py", "slices.py"]
FORBIDDEN = {
    "aiokafka",
    "pymongo",
    "bson",
    "fastapi",
    "starlette",
    "prometheus_client",
    "httpx",
    "uvicorn",
}
CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}
IMPURE_SIBLINGS = {
    "repository",
    "consumer",
    "bootstrap",
    "app",
    "publisher",
    "read_model",
    "metrics",
}


@pytest.mark.parametrize("name", PURE)
def test_pure_module(name: str) -> None:
    tree = ast.parse((SERVICE / name).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) not in CLOCK, f"{name}:{node.lineno} reads the clock"
    assert {m.split(".")[0] for m in imported} & FORBIDDEN == set()
    assert {
        m.rsplit(".", 1)[-1] for m in imported if m.startswith("services.")
    } & IMPURE_SIBLINGS == set()
