"""Tools the stack needs on PATH, and running ``go`` for the builds."""

import shutil
import subprocess
from pathlib import Path

from .console import StackError


def require_tool(tool: str, why: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StackError(
            f"'{tool}' is not on PATH; it is needed to {why}. Install it (see README.md)."
        )
    return path


def run_go(go: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """``go <args>``'s standard output; a failure raises with the end of its error output."""
    result = subprocess.run(
        [go, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackError(f"go {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout
