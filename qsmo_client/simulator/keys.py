"""The development keys file (``.local/api-keys.json``): each QSMO's publisher key."""

import json
from collections.abc import Sequence
from pathlib import Path


class KeysFileError(ValueError):
    """The keys file is missing, unreadable or lacks a key the simulation needs."""


def publisher_keys(path: Path, known_qsmos: Sequence[str], wanted: str) -> dict[str, str]:
    """QSMO id → publisher key for ``wanted`` (``all`` or comma-separated ids), in catalog
    order. ``all`` takes every catalog QSMO the file has a key for."""
    try:
        document = json.loads(path.read_text())
        publishers = document["publishers"]
    except FileNotFoundError:
        raise KeysFileError(
            f"no keys file at {path}: run 'make up' (or 'make keys') first"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeysFileError(f"{path} is not a development keys file ({error})") from None
    if not isinstance(publishers, dict):
        raise KeysFileError(f"{path}: 'publishers' must map QSMO ids to keys")
    if wanted == "all":
        chosen = [qsmo for qsmo in known_qsmos if qsmo in publishers]
    else:
        chosen = [name.strip() for name in wanted.split(",") if name.strip()]
        unknown = [qsmo for qsmo in chosen if qsmo not in known_qsmos]
        if unknown:
            raise KeysFileError(f"unknown QSMOs {unknown}; known: {', '.join(known_qsmos)}")
        missing = [qsmo for qsmo in chosen if qsmo not in publishers]
        if missing:
            raise KeysFileError(f"{path} has no publisher key for {', '.join(missing)}")
    if not chosen:
        raise KeysFileError(f"{path} has no publisher key for any known QSMO")
    return {qsmo: str(publishers[qsmo]) for qsmo in chosen}
