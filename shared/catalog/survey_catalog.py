"""The survey's catalog file, ``tools/survey.yaml``, validated into ``SurveyCatalog``."""

from functools import cache
from importlib.resources import files

import yaml

from shared.domain.survey import SurveyCatalog

SURVEY_FILE = ("tools", "survey.yaml")


@cache
def load_survey_catalog() -> SurveyCatalog:
    """Load and validate the shipped survey catalog (cached); ValidationError if broken."""
    resource = files("shared.catalog").joinpath(*SURVEY_FILE)
    return SurveyCatalog.model_validate(yaml.safe_load(resource.read_text(encoding="utf-8")))
