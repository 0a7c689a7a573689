"""Prometheus for the local route: Debian's package, and its config with the stack's ports."""

import os
import shutil
import subprocess

from .console import StackError, log
from .paths import REPO
from .toolchain import require_tool

PROMETHEUS_DIR = REPO / "deploy" / "prometheus"


def ensure_prometheus() -> str:
    """The ``prometheus`` binary; installs Debian's package (with ``promtool``) when missing."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        apt = require_tool("apt-get", "install Prometheus (Debian's 'prometheus' package)")
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        log("installing Debian's prometheus package (prometheus + promtool; first run only)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait_lock = ["-o", "DPkg::Lock::Timeout=300"]
        install = ["install", "--no-install-recommends", "prometheus"]
        steps = (
            [*sudo, apt, "-q", *wait_lock, "update"],
            [*sudo, apt, "-y", "-q", *wait_lock, *install],
        )
        for step in steps:
            result = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise StackError(
                    f"could not install Prometheus ({' '.join(step)} exited {result.returncode}):\n"
                    f"{result.stderr[-2000:]}\nInstall it yourself: sudo apt-get install prometheus"
                )
    return require_tool("prometheus", "collect the services' metrics")


def render_prometheus_config(targets: dict[str, int], scrape_interval: str | None = None) -> str:
    """deploy/prometheus/prometheus.yml with each job scraping ``127.0.0.1:<targets[job]>``.

    Jobs missing from ``targets`` are dropped; the rule files are referenced by absolute path,
    so the rendered file may live anywhere (the stack writes it under ``<home>/run``).
    """
    import yaml

    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in config["rule_files"]]
    if scrape_interval:
        config["global"].update(
            scrape_interval=scrape_interval, evaluation_interval=scrape_interval
        )
        config["global"].pop("scrape_timeout", None)
    jobs = [job for job in config["scrape_configs"] if job["job_name"] in targets]
    for job in jobs:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{targets[job['job_name']]}"]}]
    config["scrape_configs"] = jobs
    return str(yaml.safe_dump(config, sort_keys=False))
