"""The rules an admin's framework change must pass, without I/O (``gateway.framework_admin``
reads what they check against): the refusal, ids, numbers, and a provider's fields (rev. 2).

Every refusal is a ``FrameworkChangeRejected`` naming the argument at fault and the fix.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from pydantic import ValidationError

from shared.domain.framework_changes import LIST_SEPARATOR
from shared.domain.providers import Provider, ProviderKind, ProviderRegistry

T = TypeVar("T")

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
"""A new QSMO's or provider's id: 1-64 lower-case letters, digits and dashes."""
MAX_PROVIDER_TEXT = 200
"""Longest provider name or service an admin may give."""
MAX_AGENCY_ID = 64
"""Longest parent agency (an agency id, as events name agencies)."""


class FrameworkChangeRejected(ValueError):  # noqa: N818 - the gateway's agreed name
    """An admin change that the catalog's rules refuse; ``field`` names the bad argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def positive(field: str, number: float) -> None:
    """Refuse anything but a finite number > 0."""
    if isinstance(number, bool) or not math.isfinite(number) or number <= 0:
        raise FrameworkChangeRejected(field, f"must be a finite number > 0, got {number!r}")


def known(field: str, lookup: Callable[[str], T], key: str) -> T:
    """``lookup(key)``; an unknown key (KeyError) is refused naming ``field``."""
    try:
        return lookup(key)
    except KeyError:
        raise FrameworkChangeRejected(field, f"unknown {field} '{key}'") from None


def known_qsmo(field: str, qsmo: str, known_ids: Sequence[str]) -> None:
    """Refuse a QSMO id that is not among ``known_ids`` (the catalog's and admin-added)."""
    if qsmo not in known_ids:
        raise FrameworkChangeRejected(
            field, f"unknown QSMO '{qsmo}' (known: {', '.join(known_ids)})"
        )


def known_provider(field: str, provider_id: str, registry: ProviderRegistry) -> Provider:
    """The registry's provider (retired ones included); unknown ids get a did-you-mean."""
    found = registry.get(provider_id)
    if found is None:
        close = registry.did_you_mean(provider_id)
        hint = f"; did you mean '{close}'?" if close else " (the providers query lists them)"
        raise FrameworkChangeRejected(field, f"unknown provider '{provider_id}'{hint}")
    return found


def checked_provider(fields: Mapping[str, object], known_qsmos: Sequence[str]) -> Provider:
    """The provider ``fields`` describe (``id``, ``name``, ``kind``, ``qsmos``, ``services``,
    ``parent_agency``, and ``retired_at`` for an existing one), each field checked.

    Texts are trimmed and must not be empty or hold ``|`` (the audit log joins lists with it);
    ``kind`` is ``federal`` or ``industry``; ``qsmos`` names at least one known QSMO. Repeated
    QSMOs and services are dropped (the first stays).
    """
    checked = dict(fields)
    checked["name"] = provider_text("name", fields["name"])
    checked["parent_agency"] = provider_text(
        "parent_agency", fields.get("parent_agency"), optional=True
    )
    kinds = [k.value for k in ProviderKind]
    if fields["kind"] not in kinds:
        raise FrameworkChangeRejected(
            "kind", f"must be one of {', '.join(kinds)}, got {fields['kind']!r}"
        )
    qsmos = tuple(dict.fromkeys(str(q) for q in sequence("qsmos", fields["qsmos"])))
    if not qsmos:
        raise FrameworkChangeRejected("qsmos", "name at least one QSMO that offers it")
    for qsmo in qsmos:
        known_qsmo("qsmos", qsmo, known_qsmos)
    checked["qsmos"] = qsmos
    services = sequence("services", fields.get("services", ()))
    checked["services"] = tuple(dict.fromkeys(provider_text("services", s) for s in services))
    try:
        return Provider.model_validate(checked)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else "id"
        raise FrameworkChangeRejected(field, first["msg"]) from None


def sequence(field: str, value: object) -> Sequence[object]:
    """``value`` if it is a list (or tuple); a string or anything else is refused."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise FrameworkChangeRejected(field, "must be a list")
    return value


def provider_text(field: str, value: object, *, optional: bool = False) -> str | None:
    """``value`` trimmed; refused when empty (unless ``optional`` and None), too long, or
    holding the separator the audit log joins lists with."""
    if value is None and optional:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise FrameworkChangeRejected(field, "must not be empty")
    longest = MAX_AGENCY_ID if field == "parent_agency" else MAX_PROVIDER_TEXT
    if len(text) > longest:
        raise FrameworkChangeRejected(field, f"must be at most {longest} characters")
    if LIST_SEPARATOR in text:
        raise FrameworkChangeRejected(field, f"must not contain '{LIST_SEPARATOR}'")
    return text
