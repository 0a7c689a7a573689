"""Background processes of one stack home: pid files, logs, stopping by process group.

Each component runs in its own session (process group) with its output in
``<home>/logs/<name>.log`` and its pid in ``<home>/run/<name>.pid``. A pid counts as ours only
while the process carries ``QSMO_STACK_HOME=<home>`` in its environment, so a reused pid is
never signalled.
"""

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .console import StackError
from .paths import HOME_MARKER, REPO


def pid_is_ours(pid: int, home: Path) -> bool:
    """True when ``pid`` runs and was started by this stack home (guards against pid reuse)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    return f"{HOME_MARKER}={home}".encode() in environ.split(b"\0")


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


@dataclass
class ProcessSupervisor:
    """Starts, finds and stops the named background processes of ``home``."""

    home: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    die_with_parent: bool = False
    """Test stacks: the kernel SIGKILLs every child when the test process dies."""

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def pid_file(self, name: str) -> Path:
        return self.home / "run" / f"{name}.pid"

    def spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        if self.running(name):
            raise StackError(f"{name} is already running (pid file {self.pid_file(name)})")
        log_file = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, HOME_MARKER: str(self.home), **(env or {})},
            cwd=cwd or REPO,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        log_file.close()
        self.pid_file(name).write_text(str(process.pid))
        self.processes[name] = process
        return process

    def pid(self, name: str) -> int | None:
        pid_file = self.pid_file(name)
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text().strip() or 0)
        return pid if pid and pid_is_ours(pid, self.home) else None

    def running(self, name: str) -> bool:
        return self.pid(name) is not None

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 20) -> None:
        """Signal a component's process group and wait until it is gone (SIGKILL after timeout)."""
        process = self.processes.pop(name, None)
        pid = process.pid if process is not None else self.pid(name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            if not self._wait_gone(pid, process, timeout_s):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                self._wait_gone(pid, process, 30)
        self.pid_file(name).unlink(missing_ok=True)

    def _wait_gone(
        self, pid: int, process: subprocess.Popen[bytes] | None, timeout_s: float
    ) -> bool:
        if process is not None:  # our own child: wait() also reaps it
            try:
                process.wait(timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while pid_is_ours(pid, self.home):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def kill(self, name: str) -> None:
        """SIGKILL a component: the crash a fault-injection test wants."""
        self.stop(name, signal.SIGKILL, timeout_s=10)
