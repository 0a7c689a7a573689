"""The person behind a change, kept beside its actor id in records that hold string details.

A framework change (``FrameworkChanged.details``) made with a sign-in token records who signed
in — the provider's ``sub``, the name it gave and its issuer — under ``person_*`` keys (no
dots: the store refuses them in field names), so the audit log names a person, not only
``oidc:<provider>:<sub>``; records with a field of their own (commentary, improvement actions)
keep ``as_recorded(person)``. Pure: no I/O.
"""

from collections.abc import Mapping

from shared.api_keys import Person

PREFIX = "person_"
SUB, NAME, ISSUER = f"{PREFIX}sub", f"{PREFIX}name", f"{PREFIX}issuer"


def person_details(person: Person | None) -> dict[str, str]:
    """The ``person_*`` details of ``person`` (none for a key: an empty dict). The token's
    expiry is not recorded: it says nothing about the change."""
    if person is None:
        return {}
    details = {SUB: person.sub, ISSUER: person.issuer}
    if person.name:
        details[NAME] = person.name
    return details


def as_recorded(person: Person | None) -> Person | None:
    """``person`` as a record keeps it: sub, name and issuer (the token's expiry dropped)."""
    return (
        None if person is None else Person(sub=person.sub, name=person.name, issuer=person.issuer)
    )


def person_from_details(details: Mapping[str, str]) -> Person | None:
    """The person recorded by ``person_details``; None when no ``person_sub`` is there."""
    if SUB not in details or ISSUER not in details:
        return None
    return Person(sub=details[SUB], name=details.get(NAME), issuer=details[ISSUER])


def without_person(details: Mapping[str, str]) -> dict[str, str]:
    """``details`` minus the ``person_*`` keys (shown apart, as the change's person)."""
    return {k: v for k, v in details.items() if not k.startswith(PREFIX)}
