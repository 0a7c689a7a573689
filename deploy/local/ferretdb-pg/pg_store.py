"""FerretDB 1.24.2 on PostgreSQL 15, for measuring it against the stack's FerretDB/SQLite.

Not part of ``make up``: ``bench/store_backends.py`` uses it, and README.md beside this file
says what was measured. Three pieces:

- ``ensure_binary(variant)`` builds the wrapper in this directory (``main.go``, handler
  ``postgresql``) against FerretDB 1.24.2 from the Go module cache, with the variant's patches
  (``VARIANTS``), into ``~/.cache/qsmo-ferretdb-pg/<variant>/`` (``QSMO_FERRETDB_PG_CACHE``).
  The stack's own cache (``~/.cache/qsmo``) is not touched.
- ``postgres_cluster()`` runs a throw-away PostgreSQL cluster: ``initdb`` into a temporary
  directory, ``pg_ctl start`` on a free port, listening only on a unix socket in that
  directory, with ``SETTINGS`` (``synchronous_commit=off`` among them). PostgreSQL refuses to
  run as root, so under root the cluster runs as Debian's ``postgres`` user.
- ``ferretdb(variant, cluster)`` runs FerretDB on a free port against that cluster.

Run ``python deploy/local/ferretdb-pg/pg_store.py [variant]`` for a FerretDB/PostgreSQL on a
free port until Ctrl-C (it prints the MongoDB URL and the psql command).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("QSMO_FERRETDB_PG_CACHE", Path.home() / ".cache" / "qsmo-ferretdb-pg"))
MODULE = "github.com/FerretDB/FerretDB"
WRAPPER_FILES = ("go.mod", "go.sum", "main.go")
POSTGRES_VERSION = "15"

# The connection-hold fix: the same two replacements as the SQLite build's patches 2-3
# (deploy/local/qsmo_local/ferretdb.py). The handler is shared by both backends: `update`
# defers closing each statement's query to the end of the command, so a command of N
# statements holds N pooled connections (PostgreSQL pool: 50) plus one for each statement's
# UPDATE transaction; 50 statements need 51 and the command waits forever.
HOLD_FIX = (
    (
        "internal/handler/msg_update.go",
        "\t\tcloser := iterator.NewMultiCloser()\n\t\tdefer closer.Close()\n",
        "\t\tcloser := iterator.NewMultiCloser()\n",
    ),
    (
        "internal/handler/msg_update.go",
        '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n',
        '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n'
        "\t\tcloser.Close() // qsmo patch: free this statement's connection now\n",
    ),
)
# The _id lookup fix. The PostgreSQL backend pushes `{_id: <string>}` down as
# `_jsonb->$1 @> $2` ($1 = '_id'), but the _id index is a btree on `(_jsonb->'_id')`: a btree
# serves `=`, not `@>`, and the key is a parameter, so every find/update/delete by _id scans
# the table (EXPLAIN: Seq Scan). The patch writes the index's own expression with `=`; for a
# string, ObjectID or date _id (never an array), `@>` and `=` select the same rows, and the
# handler filters the rows again anyway.
ID_FIX = (
    (
        "internal/backends/postgresql/query.go",
        "\tcase string, types.ObjectID, time.Time:\n\t\t// merge with the case below?\n",
        "\tcase string, types.ObjectID, time.Time:\n"
        '\t\tif k == "_id" && operator == "->" { // qsmo patch: what the _id index serves\n'
        '\t\t\tfilter = metadata.IDColumn + " = " + p.Next()\n'
        "\t\t\targs = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))\n"
        "\n"
        "\t\t\tbreak\n"
        "\t\t}\n"
        "\n"
        "\t\t// merge with the case below?\n",
    ),
)
VARIANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "unpatched": (),
    "hold-fix": HOLD_FIX,
    "patched": HOLD_FIX + ID_FIX,
}

# PostgreSQL settings of the measured cluster (the defaults are for a shared server).
SETTINGS: dict[str, str] = {
    # A commit returns before its WAL reaches the disk; the WAL writer flushes within
    # 3 × wal_writer_delay (600 ms). A crash of PostgreSQL or the machine may lose the writes
    # acknowledged in that window; it never corrupts the database. FerretDB commits each
    # update statement on its own, so this removes one fsync per statement.
    "synchronous_commit": "off",
    "shared_buffers": "256MB",
    "wal_buffers": "16MB",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    "max_connections": "200",
    "listen_addresses": "''",
}


@dataclass(frozen=True)
class Cluster:
    """A running PostgreSQL cluster: its directories, port and owner."""

    root: Path
    port: int
    user: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "ferretdb", pool_max_conns: int = 50) -> str:
        """A pgx URL over the unix socket (FerretDB's default pool is 50 connections)."""
        return (
            f"postgres://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"
            f"&pool_max_conns={pool_max_conns}"
        )

    def psql(self, sql: str, database: str = "ferretdb") -> str:
        """Run one statement with psql (as the cluster's owner) and return its output."""
        command = [
            _bin("psql"), "-X", "-q", "-A", "-t", "-h", str(self.socket_dir), "-p",
            str(self.port), "-U", self.user, "-d", database, "-c", sql,
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _bin(name: str) -> str:
    path = Path(f"/usr/lib/postgresql/{POSTGRES_VERSION}/bin/{name}")
    if not path.exists():
        raise SystemExit(
            f"{path} is missing: install Debian's PostgreSQL {POSTGRES_VERSION} "
            f"(sudo apt-get install postgresql-{POSTGRES_VERSION})"
        )
    return str(path)


def _as_owner(command: list[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command]


@contextmanager
def postgres_cluster(settings: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A fresh PostgreSQL cluster in a temporary directory, stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="qsmo-pg-"))
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root, free_port(), user)
    options = " ".join(
        f"-c {k}={v}"
        for k, v in {**SETTINGS, **(settings or {}), "unix_socket_directories": str(root)}.items()
    )
    initdb = [_bin("initdb"), "-D", str(cluster.data), "-U", user, "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"]  # fmt: skip
    subprocess.run(_as_owner(initdb), check=True, capture_output=True)
    start = [_bin("pg_ctl"), "-D", str(cluster.data), "-l", str(root / "postgres.log"), "-w",
             "-o", f"-p {cluster.port} {options}", "start"]  # fmt: skip
    subprocess.run(_as_owner(start), check=True, capture_output=True)
    try:
        cluster.psql("CREATE DATABASE ferretdb", database="postgres")
        yield cluster
    finally:
        stop = [_bin("pg_ctl"), "-D", str(cluster.data), "-m", "fast", "-w", "stop"]
        subprocess.run(_as_owner(stop), check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _digest(patches: tuple[tuple[str, str, str], ...]) -> str:
    inputs = b"".join((HERE / name).read_bytes() for name in WRAPPER_FILES)
    return hashlib.sha256(inputs + repr(patches).encode()).hexdigest()


def ensure_binary(variant: str) -> Path:
    """The wrapper built with the variant's patches (once; again when an input changes)."""
    patches = VARIANTS[variant]
    work = CACHE / variant
    binary = work / "qsmo-ferretdb-pg"
    stamp = work / "qsmo-ferretdb-pg.sha256"
    digest = _digest(patches)
    if binary.exists() and stamp.exists() and stamp.read_text() == digest:
        return binary
    go = shutil.which("go") or sys.exit("go is not on PATH (FerretDB is built with Go 1.24+)")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    print(f"[ferretdb-pg] building the {variant} variant into {binary}", file=sys.stderr)
    words = (HERE / "go.mod").read_text().split()
    version = words[words.index(MODULE) + 1]
    info = json.loads(_go(go, ["mod", "download", "-json", f"{MODULE}@{version}"], HERE, env))
    source = work / "src"
    if source.exists():
        subprocess.run(["chmod", "-R", "u+w", str(source)], check=True)
        shutil.rmtree(source)
    shutil.copytree(info["Dir"], source)
    subprocess.run(["chmod", "-R", "u+w", str(source)], check=True)  # the module cache is read-only
    for relative, before, after in patches:
        file = source / relative
        text = file.read_text()
        if text.count(before) != 1:
            raise SystemExit(f"a FerretDB patch no longer applies to {relative} ({version})")
        file.write_text(text.replace(before, after))
    build = work / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    for name in WRAPPER_FILES:
        shutil.copy(HERE / name, build / name)
    _go(go, ["mod", "edit", f"-replace={MODULE}={source}"], build, env)
    _go(go, ["build", "-o", str(binary), "."], build, env)
    stamp.write_text(digest)
    return binary


def _go(go: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run([go, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"go {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@contextmanager
def ferretdb(variant: str, cluster: Cluster, timeout_s: float = 60) -> Iterator[str]:
    """FerretDB (the variant) on a free port against ``cluster``; yields its MongoDB URL."""
    binary = ensure_binary(variant)
    port = free_port()
    log = open(cluster.root / f"ferretdb-{variant}-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(binary), f"-listen=127.0.0.1:{port}", f"-postgresql-url={cluster.url()}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"mongodb://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, timeout_s)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    from pymongo import MongoClient

    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"FerretDB exited with {process.returncode}")
        client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            client.close()


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "patched"
    with postgres_cluster() as running, ferretdb(chosen, running) as mongo_url:
        print(f"FerretDB ({chosen}) on {mongo_url}")
        print(f"psql -h {running.socket_dir} -p {running.port} -U {running.user} ferretdb")
        with suppress(KeyboardInterrupt):
            signal.pause()
