"""Password hashes: salted PBKDF2-SHA256 in a self-describing format."""

from __future__ import annotations

import pytest

from engine.runtime.passwords import hash_password, needs_rehash, verify_password


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("demo", iterations=1_000)
    assert stored.startswith("pbkdf2_sha256$1000$")
    assert verify_password("demo", stored) is True
    assert verify_password("Demo", stored) is False
    assert verify_password("", stored) is False


def test_every_hash_has_its_own_salt() -> None:
    first = hash_password("demo", iterations=1_000)
    second = hash_password("demo", iterations=1_000)
    assert first != second
    assert first.split("$")[2] != second.split("$")[2]


@pytest.mark.parametrize("stored", [None, "", "plain", "md5$1$a$b", "pbkdf2_sha256$x$a$b"])
def test_malformed_hashes_never_verify(stored: str | None) -> None:
    assert verify_password("demo", stored) is False


def test_rehash_is_needed_below_the_wanted_iterations() -> None:
    stored = hash_password("demo", iterations=1_000)
    assert needs_rehash(stored, iterations=2_000) is True
    assert needs_rehash(stored, iterations=1_000) is False
    assert needs_rehash("garbage") is True


def test_too_few_iterations_are_refused() -> None:
    with pytest.raises(ValueError, match="iterations"):
        hash_password("demo", iterations=10)
