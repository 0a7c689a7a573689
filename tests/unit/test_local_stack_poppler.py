"""``ensure_poppler``: the tools when present; an install that fails says how to do it by hand."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import qsmo_stack
from qsmo_local import poppler


def test_present_tools_are_returned_without_installing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poppler.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    ran: list[Any] = []
    monkeypatch.setattr(poppler.subprocess, "run", lambda *a, **k: ran.append(a))
    assert qsmo_stack.ensure_poppler() == {t: f"/usr/bin/{t}" for t in qsmo_stack.POPPLER_TOOLS}
    assert ran == []


def test_a_failed_install_names_the_step_and_the_manual_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        poppler.shutil, "which", lambda tool: "/usr/bin/apt-get" if tool == "apt-get" else None
    )
    monkeypatch.setattr(poppler.os, "geteuid", lambda: 1000)
    steps: list[list[str]] = []

    def run(step: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        steps.append(step)
        return subprocess.CompletedProcess(
            step, 100, "", "E: Could not get lock /var/lib/dpkg/lock"
        )

    monkeypatch.setattr(poppler.subprocess, "run", run)
    with pytest.raises(qsmo_stack.StackError) as raised:
        qsmo_stack.ensure_poppler()
    assert steps[0][:3] == ["sudo", "-n", "/usr/bin/apt-get"]
    assert "DPkg::Lock::Timeout=300" in steps[0]
    message = str(raised.value)
    assert "exited 100" in message
    assert "Could not get lock" in message
    assert "sudo apt-get install poppler-utils" in message
