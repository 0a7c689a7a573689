"""The publisher can be vendored (stdlib + httpx only), and the simulator's generator is pure
(no clock reads, no I/O): time and seed are arguments."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "qsmo_client"
VENDORABLE = ("__init__.py", "events.py", "retry.py", "publisher.py", "files.py", "push_cli.py")
PURE = ("profiles.py", "model.py", "history.py", "live.py")
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


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("name", VENDORABLE)
def test_the_publisher_needs_only_the_standard_library_and_httpx(name: str) -> None:
    foreign = (
        imported_roots(PACKAGE / name) - set(sys.stdlib_module_names) - {"httpx", "qsmo_client"}
    )
    assert not foreign, f"{name} imports {foreign}: a QSMO system could not vendor the client"


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
