"""The publisher can be vendored (stdlib + httpx, and ``shared/csv_events.py`` for CSV files),
the client imports no service, and the simulator's generator is pure (no clock reads, no I/O):
time and seed are arguments."""

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "qsmo_client"
VENDORABLE = ("__init__.py", "events.py", "retry.py", "publisher.py", "files.py", "push_cli.py")
PURE = (
    "profiles.py",
    "model.py",
    "history.py",
    "live.py",
    "marketplace.py",
    "provider_tools_data.py",
)
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "sleep"),
}
IO_MODULES = {"httpx", "socket", "subprocess", "os", "pathlib", "threading"}


SHARED_FOR_VENDORING = "shared.csv_events"
"""The one platform module the vendorable client needs (the CSV reader ingest uses too)."""


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


@pytest.mark.parametrize("name", VENDORABLE)
def test_the_publisher_needs_only_the_standard_library_and_httpx(name: str) -> None:
    modules = imported_modules(PACKAGE / name)
    platform = {m for m in modules if m.split(".")[0] == "shared"}
    foreign = (
        {m.split(".")[0] for m in modules - platform}
        - set(sys.stdlib_module_names)
        - {"httpx", "qsmo_client"}
    )
    assert not foreign, f"{name} imports {foreign}: a QSMO system could not vendor the client"
    assert platform <= {SHARED_FOR_VENDORING}, (
        f"{name} imports {platform}: only {SHARED_FOR_VENDORING} may be vendored with the client"
    )


def test_the_shared_csv_reader_needs_only_the_standard_library() -> None:
    path = REPO / (SHARED_FOR_VENDORING.replace(".", "/") + ".py")
    foreign = imported_roots(path) - set(sys.stdlib_module_names)
    assert not foreign, f"{path.name} imports {foreign}: the client could not vendor it"


def test_the_client_imports_no_service() -> None:
    found = {
        f"{path.relative_to(REPO)}: {module}"
        for path in PACKAGE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in ("services", "gateway")
    }
    assert not found, f"the client reaches into services: {sorted(found)}"


@pytest.mark.parametrize("name", PURE)
def test_the_generator_reads_no_clock_and_does_no_io(name: str) -> None:
    path = PACKAGE / "simulator" / name
    assert not imported_roots(path) & IO_MODULES
    tree = ast.parse(path.read_text())
    reads = [
        f"line {node.lineno}: {getattr(node.value, 'id', '?')}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and (getattr(node.value, "id", None), node.attr) in CLOCK_READS
    ]
    assert not reads, f"{name} reads the clock: {reads}"
