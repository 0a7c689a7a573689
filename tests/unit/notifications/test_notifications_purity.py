"""The notification rules stay pure: no I/O library imports, no clock reads (STYLE.md)."""

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[3] / "services" / "notifications"
PURE = [
    "rules.py",
    "signals.py",
    "surges.py",
    "delivery.py",
    "models.py",
    "restated.py",
    "digest.py",
    "reviews.py",
    "stakeholders.py",
]
FORBIDDEN = {
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
    "socket",
    "subprocess",
    "asyncio",
    "random",
    "time",
}
ALLOWED_LOCAL = {f"services.notifications.{name[:-3]}" for name in PURE}
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", PURE)
def test_pure_module_imports_no_io_and_reads_no_clock(name: str) -> None:
    tree = ast.parse((SERVICE / name).read_text(encoding="utf-8"))
    imports = _imports(tree)
    assert {i.split(".")[0] for i in imports} & FORBIDDEN == set()
    local = {i for i in imports if i.startswith("services.")}
    assert local <= ALLOWED_LOCAL, (
        f"{name} imports a non-pure service module: {local - ALLOWED_LOCAL}"
    )
    reads = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and (node.value.id, node.attr) in CLOCK_READS
    ]
    assert reads == []
