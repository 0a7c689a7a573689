"""The scorecard service's collections and how its values map to documents.

- ``scorecard_inputs``: ``_id = scope|qsmo|measure|FY<year>``, the last announced state of
  one measure value (``scope`` qsmo: written by the QSMO's owner; government: by the owner of
  ``government``).
- ``scorecard_versions``: ``_id = <scorecard_id>|<version>``, insert-only history.
- ``scorecard_current``: ``_id = <scorecard_id>``, a copy of the latest version plus
  ``published`` (whether that version's ``ScorecardChanged`` was acknowledged).
- ``scorecard_partitions``: ``_id = <topic>|<partition>``, the framework change sequence
  number the partition's owner has applied.
"""

from typing import Any

from services.scorecard.inputs import InputState
from services.scorecard.ports import StoredVersion
from services.scorecard.views import ScorecardView
from shared.domain.summaries import Summary
from shared.events import StatusTransition

INPUTS = "scorecard_inputs"
VERSIONS = "scorecard_versions"
CURRENT = "scorecard_current"
PARTITIONS = "scorecard_partitions"


def version_id(scorecard_id: str, version: int) -> str:
    """``FY2024|cybersecurity|3``: deterministic, so a replay cannot add a twin."""
    return f"{scorecard_id}|{version}"


def version_document(stored: StoredVersion) -> dict[str, Any]:
    """A version as stored: the view, its id, and the transitions it announced."""
    view = stored.view
    return {
        "_id": version_id(view.scorecard_id, view.version),
        **view.model_dump(),
        "transitions": [t.model_dump() for t in stored.transitions],
    }


def current_document(stored: StoredVersion, published: bool) -> dict[str, Any]:
    """The ``scorecard_current`` document pointing at ``stored``."""
    return {
        **version_document(stored),
        "_id": stored.view.scorecard_id,
        "published": published,
    }


def view_from(document: dict[str, Any]) -> ScorecardView:
    """The view stored in a version or current document (extra fields ignored)."""
    return ScorecardView.model_validate(document)


def stored_from(document: dict[str, Any]) -> StoredVersion:
    """The version and transitions held by a version or current document."""
    return StoredVersion(
        view_from(document),
        tuple(StatusTransition.model_validate(t) for t in document.get("transitions", [])),
    )


def input_document(state: InputState) -> dict[str, Any]:
    """An input state as stored (the summary in ``Summary.to_document`` form)."""
    return {
        "_id": state.key,
        "scope": state.scope,
        "owner": state.owner,
        "qsmo": state.qsmo,
        "measure": state.measure,
        "fiscal_year": state.fiscal_year,
        "summary": state.summary.to_document(),
        "restated": state.restated,
        "restated_count": state.restated_count,
        "last_occurred_at": state.last_occurred_at,
        "last_ingested_at": state.last_ingested_at,
        "changed_at": state.changed_at,
    }


def input_state(document: dict[str, Any]) -> InputState:
    """Rebuild an input state from its document."""
    return InputState(
        scope=document["scope"],
        qsmo=document["qsmo"],
        measure=document["measure"],
        fiscal_year=int(document["fiscal_year"]),
        summary=Summary.from_document(document["summary"]),
        restated=bool(document["restated"]),
        restated_count=int(document["restated_count"]),
        last_occurred_at=document["last_occurred_at"],
        last_ingested_at=document["last_ingested_at"],
        changed_at=document["changed_at"],
    )
