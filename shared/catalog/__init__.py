"""The shipped framework catalog: YAML data files validated into ``shared.domain.catalog``.

``qsmos.yaml`` holds the QSMOs and the default framework version; every other ``*.yaml`` file
here is one framework version. ``registry/`` holds the tiers below the QSMOs (rev. 2):
``providers.yaml`` (each marketplace's shared service providers) and ``agencies.yaml`` (the
customer agencies). ``load_catalog()`` reads them once per process.
"""

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from shared.domain.catalog import Catalog

QSMOS_FILE = "qsmos.yaml"
REGISTRY_DIRECTORY = "registry"
REGISTRY_FILES = ("providers.yaml", "agencies.yaml")


@cache
def load_catalog() -> Catalog:
    """Load and validate the shipped catalog (cached: the same object on every call).

    Raises ``pydantic.ValidationError`` naming every broken rule if a file is invalid, and
    ``ValueError`` if a file is not a YAML mapping.
    """
    return catalog_from_directory(files(__name__))


def catalog_from_directory(directory: Traversable) -> Catalog:
    """Build a catalog from a directory laid out like this package (used by tests, too)."""
    qsmos = _read_mapping(directory.joinpath(QSMOS_FILE))
    frameworks = [
        _read_mapping(entry)
        for entry in sorted(directory.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml") and entry.name != QSMOS_FILE
    ]
    registry: dict[str, Any] = {}
    folder = directory.joinpath(REGISTRY_DIRECTORY)
    if folder.is_dir():
        for name in REGISTRY_FILES:
            if folder.joinpath(name).is_file():
                registry.update(_read_mapping(folder.joinpath(name)))
    return Catalog.model_validate({**qsmos, **registry, "frameworks": frameworks})


def _read_mapping(resource: Traversable) -> dict[str, Any]:
    document = yaml.safe_load(resource.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"catalog file {resource.name} must hold a YAML mapping")
    return document


__all__ = ["catalog_from_directory", "load_catalog"]
