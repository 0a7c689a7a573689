"""The local OpenID provider: npm's ``oidc-provider`` (pinned by ``deploy/local/oidc``'s
lockfile) installed into the cache, and the stack's instance of ``server.mjs``.

``npm ci`` runs once per lockfile: its packages land in ``~/.cache/qsmo/oidc-provider/<hash>``
(the hash of ``package.json`` and ``package-lock.json``), like the other fetched tools. Each
stack runs ``server.mjs`` from ``<home>/run/oidc`` beside a link to those packages, with its
signing keys in ``<home>/data/oidc`` (made at the first start, kept across restarts).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .console import StackError, log
from .paths import CACHE, LOCAL_DIR
from .toolchain import require_tool

OIDC_SOURCE = LOCAL_DIR / "oidc"
OIDC_CACHE = CACHE / "oidc-provider"
LOCKED_FILES = ("package.json", "package-lock.json")
SERVED_FILES = ("server.mjs",)
DEV_USERS_FILE = OIDC_SOURCE / "dev-users.json"
AUDIENCE = "urn:qsmo:api"
"""The resource (``aud``) the local provider issues the platform's access tokens for."""
DASHBOARD_CLIENT = "qsmo-dashboard"
DASHBOARD_SCOPE = "openid profile groups"
"""What the dashboard asks for; server.mjs issues the dashboard client refresh tokens that
live as long as the person's session at the provider (no ``offline_access`` needed)."""
MINIMUM_NODE = (20, 19)
"""URL.parse, which oidc-provider 9 uses; oidc-provider itself asks for Node 22 LTS and warns
(but runs) on Node 20, the version Debian ships."""


def lock_digest() -> str:
    """The hash of the package files: a new lockfile is a new cache directory."""
    digest = hashlib.sha256()
    for name in LOCKED_FILES:
        digest.update((OIDC_SOURCE / name).read_bytes())
    return digest.hexdigest()[:16]


def pinned_version() -> str:
    """The oidc-provider version the lockfile pins."""
    lock = json.loads((OIDC_SOURCE / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/oidc-provider"]["version"])


def node_version(node: str) -> tuple[int, int]:
    result = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    found = re.match(r"v(\d+)\.(\d+)", result.stdout.strip())
    if result.returncode != 0 or found is None:
        raise StackError(f"'{node} --version' did not answer a version: {result.stderr[-300:]}")
    return int(found.group(1)), int(found.group(2))


def ensure_oidc_provider() -> Path:
    """The cache directory holding ``node_modules`` for the lockfile (``npm ci`` once)."""
    node = require_tool("node", "run the local OpenID provider (Node.js 20.19+)")
    if node_version(node) < MINIMUM_NODE:
        raise StackError(
            f"Node.js {'.'.join(map(str, node_version(node)))} is too old for oidc-provider "
            f"{pinned_version()}: install Node.js 20.19 or later"
        )
    target = OIDC_CACHE / lock_digest()
    if (target / ".complete").exists():
        return target
    npm = require_tool("npm", "fetch the local OpenID provider from the npm registry")
    log(f"installing oidc-provider {pinned_version()} from the npm registry (first run only)")
    OIDC_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="install-", dir=OIDC_CACHE))
    try:
        for name in LOCKED_FILES:
            shutil.copy2(OIDC_SOURCE / name, work / name)
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        result = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(
                f"npm ci could not install oidc-provider {pinned_version()} (exit "
                f"{result.returncode}); is the npm registry reachable (npm config get "
                f"registry)?\n{result.stderr[-2000:]}"
            )
        (work / ".complete").write_text(pinned_version())
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def prepare_server(installed: Path, run_dir: Path) -> Path:
    """``server.mjs`` copied into ``run_dir`` beside a link to the installed packages (Node
    resolves imports from the script's own folder); returns the script's path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in SERVED_FILES:
        shutil.copy2(OIDC_SOURCE / name, run_dir / name)
    link = run_dir / "node_modules"
    if link.is_symlink() or link.exists():
        if link.is_symlink() and Path(os.readlink(link)) == installed / "node_modules":
            return run_dir / "server.mjs"
        link.unlink()
    link.symlink_to(installed / "node_modules", target_is_directory=True)
    return run_dir / "server.mjs"


def issuer_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def providers_setting(port: int) -> str:
    """``QSMO_OIDC_PROVIDERS`` trusting the local provider on ``port``, with the dashboard's
    public client (refresh tokens: the dashboard renews its token without a new sign-in)."""
    dashboard = {
        "client_id": DASHBOARD_CLIENT,
        "scope": DASHBOARD_SCOPE,
        "resource": AUDIENCE,
        "label": "Sign in (development provider)",
    }
    provider = {"name": "local", "issuer": issuer_url(port), "audience": AUDIENCE}
    return json.dumps([{**provider, "dashboard": dashboard}])


def server_env(port: int, data_dir: Path, redirect_uris: list[str]) -> dict[str, str]:
    return {
        "QSMO_OIDC_PORT": str(port),
        "QSMO_OIDC_HOME": str(data_dir),
        "QSMO_OIDC_AUDIENCE": AUDIENCE,
        "QSMO_OIDC_USERS_FILE": str(DEV_USERS_FILE),
        "QSMO_OIDC_REDIRECT_URIS": ",".join(redirect_uris),
    }
