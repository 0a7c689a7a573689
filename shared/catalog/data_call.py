"""The shipped data-call section schemas (``tools/data-call/<version>/<section>.schema.json``),
read into ``shared.domain.data_call.DataCallSchema``."""

import json
from functools import cache
from importlib.resources import files

from shared.domain.data_call import CURRENT_VERSION, SECTIONS, DataCallSchema

DIRECTORY = "tools/data-call"


@cache
def load_data_call_schema(version: str = CURRENT_VERSION) -> DataCallSchema:
    """The section schemas of ``version`` (cached). FileNotFoundError for a version that is
    not shipped; ValueError for a broken schema."""
    folder = files("shared.catalog").joinpath(DIRECTORY, version)
    documents = {
        name: json.loads(folder.joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
        for name in SECTIONS
    }
    return DataCallSchema.from_documents(version, documents)


def shipped_versions() -> list[str]:
    """Every version shipped, oldest first."""
    folder = files("shared.catalog").joinpath(DIRECTORY)
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


__all__ = ["load_data_call_schema", "shipped_versions"]
