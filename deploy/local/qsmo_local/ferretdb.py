"""FerretDB (MongoDB wire protocol, SQLite storage) built from the Go module proxy, patched.

docs/local-infra.md explains the wrapper in ``deploy/local/ferretdb`` and each patch.
"""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .console import StackError, log
from .paths import CACHE, LOCAL_DIR
from .toolchain import require_tool, run_go

FERRETDB_BIN = CACHE / "ferretdb" / "qsmo-ferretdb"
FERRETDB_SOURCE = LOCAL_DIR / "ferretdb"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_PATCHES: tuple[tuple[str, str, str], ...] = (
    # 1. FerretDB 1.24's SQLite backend pushes `{_id: <string>}` filters down as
    # `_ferretdb_sjson->'$._id' = ?`, but builds the _id index on `_ferretdb_sjson->"_id"`:
    # SQLite cannot use the index for the other spelling, so every lookup, update and delete
    # by _id scans the whole table (18 ms at 20k documents, growing). The patch makes the
    # query use the index's own expression (0.6 ms at any size). Same JSON value, semantics.
    (
        "internal/backends/sqlite/metadata/metadata.go",
        "IDColumn = DefaultColumn + \"->'$._id'\"",
        """IDColumn = DefaultColumn + `->"_id"`""",
    ),
    # 2-3. The `update` command defers closing each statement's query until the whole
    # command returns, so an update of N statements holds N of the 100 pooled SQLite
    # connections at once. Concurrent bulk updates (several measures instances) then take
    # all 100 and wait for each other forever: writes and listDatabases hang, ping answers.
    # The patch closes each statement's query as soon as that statement is done.
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
_WRAPPER_FILES = ("go.mod", "go.sum", "main.go")


def ferretdb_digest() -> str:
    """The build's inputs (the wrapper and the patches) as the hex SHA-256 of its stamp file."""
    inputs = b"".join((FERRETDB_SOURCE / name).read_bytes() for name in _WRAPPER_FILES)
    return hashlib.sha256(inputs + repr(FERRETDB_PATCHES).encode()).hexdigest()


def ensure_ferretdb_binary() -> None:
    """Build the FerretDB wrapper, with FERRETDB_PATCHES applied, into the cache (once)."""
    digest = ferretdb_digest()
    stamp = FERRETDB_BIN.with_suffix(".sha256")
    if FERRETDB_BIN.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    go = require_tool("go", "build FerretDB (Go 1.24+)")
    log(f"building FerretDB from the Go module proxy into {FERRETDB_BIN} (first run only)")
    work = FERRETDB_BIN.parent
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    patched = _patched_ferretdb_source(go, FERRETDB_SOURCE, work / "src", env)
    build = work / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    for name in _WRAPPER_FILES:
        shutil.copy(FERRETDB_SOURCE / name, build / name)
    run_go(go, ["mod", "edit", f"-replace={FERRETDB_MODULE}={patched}"], build, env)
    run_go(go, ["build", "-o", str(FERRETDB_BIN) + ".new", "."], build, env)
    os.replace(str(FERRETDB_BIN) + ".new", FERRETDB_BIN)  # atomic, even while the old one runs
    stamp.write_text(digest)


def _patched_ferretdb_source(go: str, wrapper: Path, target: Path, env: dict[str, str]) -> Path:
    words = (wrapper / "go.mod").read_text().split()
    version = words[words.index(FERRETDB_MODULE) + 1]
    info = json.loads(
        run_go(go, ["mod", "download", "-json", f"{FERRETDB_MODULE}@{version}"], wrapper, env)
    )
    if target.exists():
        subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)
        shutil.rmtree(target)
    shutil.copytree(info["Dir"], target)
    subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)  # the module cache is read-only
    for relative, before, after in FERRETDB_PATCHES:
        file = target / relative
        text = file.read_text()
        if text.count(before) != 1:
            raise StackError(f"a FerretDB patch no longer applies to {relative} ({version})")
        file.write_text(text.replace(before, after))
    return target
