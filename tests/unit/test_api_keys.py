"""API-key files: parsing, authentication by hash, and clear errors for bad files."""

import json
from pathlib import Path

import pytest

from shared.api_keys import (
    ApiKeyFileError,
    Role,
    generate_development_keys,
    hash_key,
    load_api_keys,
    parse_api_key_file,
)
from shared.authorization import Permission, allows


def _entry(**fields: object) -> dict[str, object]:
    return {"id": "k1", "sha256": hash_key("secret"), "role": "admin", **fields}


def test_generated_keys_authenticate_with_their_roles(tmp_path: Path) -> None:
    plaintext, key_file = generate_development_keys(["cybersecurity", "grants-management"])
    path = tmp_path / "keys.json"
    path.write_text(key_file.model_dump_json())
    ring = load_api_keys(path)
    assert ring.authenticate(str(plaintext["admin"])).role is Role.ADMIN  # type: ignore[union-attr]
    publishers = plaintext["publishers"]
    assert isinstance(publishers, dict)
    principal = ring.authenticate(publishers["grants-management"])
    assert principal is not None
    assert (principal.role, principal.qsmo) == (Role.PUBLISHER, "grants-management")
    assert allows(principal, Permission.PUBLISH_EVENTS, "grants-management")
    assert not allows(principal, Permission.PUBLISH_EVENTS, "cybersecurity")
    assert ring.authenticate("not-a-key") is None
    assert "qsmo_" not in path.read_text()  # only hashes on disk


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        (json.dumps({"keys": []}), "keys: List should have at least 1 item"),
        (json.dumps({"keys": [_entry(sha256="abc")]}), "keys.0.sha256"),
        (json.dumps({"keys": [_entry(role="owner")]}), "keys.0.role"),
        (json.dumps({"keys": [_entry(role="publisher")]}), "publisher key needs 'qsmo'"),
        (json.dumps({"keys": [_entry(qsmo="grants-management")]}), "remove 'qsmo'"),
        (json.dumps({"keys": [_entry(), _entry(sha256=hash_key("other"))]}), "share the id"),
        (json.dumps({"keys": [_entry(), _entry(id="k2")]}), "share the sha256"),
    ],
)
def test_bad_key_files_give_errors_naming_the_entry(content: str, expected: str) -> None:
    with pytest.raises(ApiKeyFileError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        parse_api_key_file(content)


def test_missing_key_file_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ApiKeyFileError, match="make up"):
        load_api_keys(tmp_path / "absent.json")
