"""Poppler's command-line tools (``pdftoppm``, ``pdftotext``, ``pdfinfo``) for the tests that
read rendered review packets: Debian's ``poppler-utils`` package, installed like Prometheus."""

import os
import shutil
import subprocess

from .console import StackError, log
from .toolchain import require_tool

POPPLER_TOOLS = ("pdftoppm", "pdftotext", "pdfinfo")


def ensure_poppler() -> dict[str, str]:
    """Each of ``POPPLER_TOOLS`` → its path; installs Debian's ``poppler-utils`` when one is
    missing (apt-get, through ``sudo -n`` unless root; waits up to 5 minutes for the dpkg
    lock). Raises ``StackError`` saying what failed and how to install it by hand."""
    if not all(shutil.which(tool) for tool in POPPLER_TOOLS):
        apt = require_tool("apt-get", "install Poppler's PDF tools (Debian's 'poppler-utils')")
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        log("installing Debian's poppler-utils package (pdftoppm, pdftotext; first run only)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait_lock = ["-o", "DPkg::Lock::Timeout=300"]
        install = ["install", "--no-install-recommends", "poppler-utils"]
        steps = (
            [*sudo, apt, "-q", *wait_lock, "update"],
            [*sudo, apt, "-y", "-q", *wait_lock, *install],
        )
        for step in steps:
            try:
                result = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
            except OSError as error:  # no sudo on this machine
                raise StackError(_advice(f"{' '.join(step)} could not run: {error}")) from None
            if result.returncode != 0:
                raise StackError(
                    _advice(
                        f"{' '.join(step)} exited {result.returncode}:\n{result.stderr[-2000:]}"
                    )
                )
    return {tool: require_tool(tool, "read rendered review packets") for tool in POPPLER_TOOLS}


def _advice(what: str) -> str:
    return (
        f"could not install Poppler's PDF tools ({what})\n"
        "Install them yourself: sudo apt-get install poppler-utils"
    )
