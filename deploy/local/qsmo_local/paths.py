"""Where things are: the repository, ``deploy/local`` and the tool cache."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
LOCAL_DIR = REPO / "deploy" / "local"
"""Inputs of the builds (``kafka/pom.xml``, ``ferretdb/``): their hashes stamp the cache."""
CACHE = Path(os.environ.get("QSMO_CACHE_DIR", Path.home() / ".cache" / "qsmo"))
HOME_MARKER = "QSMO_STACK_HOME"
"""Every child carries ``QSMO_STACK_HOME=<home>``: a pid is ours only if its environment has it."""
