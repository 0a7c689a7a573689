"""API keys: a file of SHA-256 hashes with roles, and the lookup every service uses.

The file named by ``QSMO_API_KEYS_FILE`` holds only hashes, never a plaintext key::

    {"keys": [{"id": "dev-admin", "sha256": "<64 hex>", "role": "admin"},
              {"id": "dev-publisher-grants", "sha256": "…", "role": "publisher",
               "qsmo": "grants-management"},
              {"id": "dev-provider-treasury-arc", "sha256": "…", "role": "provider",
               "provider": "treasury-arc"},
              {"id": "dev-viewer", "sha256": "…", "role": "viewer"}]}

Roles: ``admin`` (everything), ``publisher`` (sends events and manages actions for one QSMO),
``provider`` (reads, and fills its one provider's self-assessment, data call and survey
follow-up), ``viewer`` (reads); what each may do is ``shared.authorization``'s table. A key's ``id`` is
safe to log; the key itself never is.
"""

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

DEVELOPMENT_KEY_PREFIX = "dev-"
"""Ids of the keys ``generate_development_keys`` makes (``make up``); refused in production."""


class Role(StrEnum):
    """What a key may do."""

    ADMIN = "admin"
    PUBLISHER = "publisher"
    PROVIDER = "provider"
    VIEWER = "viewer"


class ApiKeyFileError(ValueError):
    """The API-key file is missing or malformed; the message says which entry and the fix."""


class ApiKeyEntry(BaseModel):
    """One key in the file: its loggable id, the SHA-256 of the key, its role and scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    role: Role
    qsmo: str | None = None
    provider: str | None = None

    @model_validator(mode="after")
    def _scoped_roles_have_their_scope(self) -> Self:
        if self.role is Role.PUBLISHER and not self.qsmo:
            raise ValueError("a publisher key needs 'qsmo': the QSMO id it may publish for")
        if self.role is not Role.PUBLISHER and self.qsmo is not None:
            raise ValueError(
                f"only publisher keys are scoped to a QSMO; remove 'qsmo' from this {self.role} key"
            )
        if self.role is Role.PROVIDER and not self.provider:
            raise ValueError("a provider key needs 'provider': the provider id it acts for")
        if self.role is not Role.PROVIDER and self.provider is not None:
            raise ValueError(
                "only provider keys are scoped to a provider; "
                f"remove 'provider' from this {self.role} key"
            )
        return self


class ApiKeyFile(BaseModel):
    """The whole file: a list of key entries with unique ids and hashes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: list[ApiKeyEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for attribute in ("id", "sha256"):
            seen: set[str] = set()
            for entry in self.keys:
                value = getattr(entry, attribute)
                if value in seen:
                    raise ValueError(
                        f"two keys share the {attribute} {value[:12]}…; each must be unique"
                    )
                seen.add(value)
        return self


class Person(BaseModel):
    """The person behind an OpenID Connect token: the provider's ``sub``, name and issuer."""

    model_config = ConfigDict(frozen=True)

    sub: str
    name: str | None = None
    issuer: str
    expires_at: datetime | None = None
    """When the token expires (its ``exp``): a websocket opened with it closes then."""


class Principal(BaseModel):
    """Who is calling: the key's id, role and (for publishers) QSMO or (for providers) provider.

    ``person`` is set when the caller signed in with a token (``shared.identity``); the
    ``key_id`` is then ``oidc:<provider name>:<sub>``. The policy reads only the role and scope,
    so a token and a key with the same role get the same answers.
    """

    model_config = ConfigDict(frozen=True)

    key_id: str
    role: Role
    qsmo: str | None = None
    provider: str | None = None
    person: Person | None = None


def hash_key(plaintext: str) -> str:
    """The SHA-256 hex digest under which a key is stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


class ApiKeyRing:
    """Authenticates plaintext keys against the hashes of a key file."""

    def __init__(self, key_file: ApiKeyFile) -> None:
        self._by_hash = {
            entry.sha256: Principal(
                key_id=entry.id, role=entry.role, qsmo=entry.qsmo, provider=entry.provider
            )
            for entry in key_file.keys
        }

    def authenticate(self, plaintext: str) -> Principal | None:
        """The principal of a key, or None when the key is unknown."""
        return self._by_hash.get(hash_key(plaintext))

    def __len__(self) -> int:
        return len(self._by_hash)

    def development_key_ids(self) -> list[str]:
        """Ids of development keys in the ring (``dev-…``, made by ``make up``), sorted."""
        return sorted(
            p.key_id for p in self._by_hash.values() if p.key_id.startswith(DEVELOPMENT_KEY_PREFIX)
        )


def parse_api_key_file(text: str, source: str = "API-key file") -> ApiKeyFile:
    """Validate the file's text; errors name the entry, the field and the fix."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ApiKeyFileError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    try:
        return ApiKeyFile.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'file'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ApiKeyFileError(
            f"{source} is invalid: {problems}. Expected "
            '{"keys": [{"id": …, "sha256": <64 hex>, "role": "admin"|"publisher"|"provider"|"viewer", '
            '"qsmo": <publishers only>, "provider": <provider keys only>}]}'
        ) from None


def load_api_keys(path: Path) -> ApiKeyRing:
    """Read and validate the key file at ``path`` (``QSMO_API_KEYS_FILE``)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ApiKeyFileError(
            f"QSMO_API_KEYS_FILE={path} does not exist: run `make up` to generate development "
            "keys, or point QSMO_API_KEYS_FILE at your key-hash file"
        ) from None
    return ApiKeyRing(parse_api_key_file(text, source=f"QSMO_API_KEYS_FILE={path}"))


def generate_development_keys(
    qsmos: list[str], providers: Sequence[str] = ()
) -> tuple[dict[str, object], ApiKeyFile]:
    """New random keys: the plaintext for ``.local/api-keys.json`` and the hash file.

    The plaintext is ``{"admin", "viewer", "publishers": {qsmo: key}, "providers": {id: key}}``.
    """

    def new_key(label: str) -> str:
        return f"qsmo_{label}_{secrets.token_urlsafe(24)}"

    dev = DEVELOPMENT_KEY_PREFIX
    admin, viewer = new_key("admin"), new_key("viewer")
    publishers = {qsmo: new_key("pub") for qsmo in qsmos}
    provider_keys = {provider: new_key("prov") for provider in providers}
    entries = [
        ApiKeyEntry(id=f"{dev}admin", sha256=hash_key(admin), role=Role.ADMIN),
        ApiKeyEntry(id=f"{dev}viewer", sha256=hash_key(viewer), role=Role.VIEWER),
        *(
            ApiKeyEntry(
                id=f"{dev}publisher-{qsmo}", sha256=hash_key(key), role=Role.PUBLISHER, qsmo=qsmo
            )
            for qsmo, key in publishers.items()
        ),
        *(
            ApiKeyEntry(
                id=f"{dev}provider-{provider}",
                sha256=hash_key(key),
                role=Role.PROVIDER,
                provider=provider,
            )
            for provider, key in provider_keys.items()
        ),
    ]
    plaintext: dict[str, object] = {
        "admin": admin,
        "viewer": viewer,
        "publishers": publishers,
        "providers": provider_keys,
    }
    return plaintext, ApiKeyFile(keys=entries)
