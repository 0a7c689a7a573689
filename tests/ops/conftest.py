"""Tools the operations tests need. Missing ones are installed the way `make test` does
(`qsmo_stack.py prepare`): promtool from Debian's prometheus package, kustomize from the Go
module proxy. A tool that cannot be had is a test failure, never a skip."""

from __future__ import annotations

import shutil

import pytest
import qsmo_stack


@pytest.fixture(scope="session")
def promtool() -> str:
    if shutil.which("promtool") is None:
        qsmo_stack.ensure_prometheus()
    path = shutil.which("promtool")
    assert path is not None, "promtool is still missing after installing Debian's prometheus"
    return path


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    return qsmo_stack.ensure_prometheus()


@pytest.fixture(scope="session")
def kustomize() -> str:
    return qsmo_stack.ensure_kustomize()
