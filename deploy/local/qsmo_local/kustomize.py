"""A pinned kustomize for the manifest tests (tests/ops/test_ops_k8s_manifests.py)."""

import os
import shutil

from .console import log
from .paths import CACHE, REPO
from .toolchain import require_tool, run_go

KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION = "v5.5.0"
KUSTOMIZE_BIN = CACHE / "kustomize" / f"kustomize-{KUSTOMIZE_VERSION}"


def ensure_kustomize() -> str:
    """A pinned kustomize built from the Go module proxy into the cache (once)."""
    if KUSTOMIZE_BIN.exists():
        return str(KUSTOMIZE_BIN)
    go = require_tool("go", "build kustomize (Go 1.24+)")
    log(f"building kustomize {KUSTOMIZE_VERSION} from the Go module proxy (first run only)")
    gobin = KUSTOMIZE_BIN.parent.resolve() / "gobin"
    shutil.rmtree(gobin, ignore_errors=True)
    run_go(
        go,
        ["install", f"{KUSTOMIZE_MODULE}@{KUSTOMIZE_VERSION}"],
        REPO,
        {**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
    )
    os.replace(gobin / "kustomize", KUSTOMIZE_BIN)
    shutil.rmtree(gobin, ignore_errors=True)
    return str(KUSTOMIZE_BIN)
