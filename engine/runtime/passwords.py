"""Password hashing: PBKDF2-HMAC-SHA256 from `hashlib`, a random salt per password, and a
constant-time comparison.

A stored hash reads `pbkdf2_sha256$<iterations>$<salt>$<hash>` (salt and hash in
URL-safe base64), so the iteration count can be raised later without breaking the hashes
already stored: `needs_rehash` tells when a password should be hashed again at login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["DEFAULT_ITERATIONS", "hash_password", "needs_rehash", "verify_password"]

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
"""OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256."""
SALT_BYTES = 16
MIN_ITERATIONS = 1_000


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS) -> str:
    """A new salted hash of `password`, in the stored format."""
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"at least {MIN_ITERATIONS} iterations are needed")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, iterations)
    return f"{ALGORITHM}${iterations}${_encode(salt)}${_encode(digest)}"


def _parse(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM or not parts[1].isdigit():
        return None
    try:
        return int(parts[1]), _decode(parts[2]), _decode(parts[3])
    except ValueError:
        return None


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash (compared in constant time)."""
    if not stored:
        return False
    parsed = _parse(stored)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_derive(password, salt, iterations), expected)


def needs_rehash(stored: str, *, iterations: int = DEFAULT_ITERATIONS) -> bool:
    """True when the stored hash uses fewer iterations (or another format) than wanted."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] < iterations
