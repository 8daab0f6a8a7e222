"""Backoff: how long a failed outbox delivery waits before its next attempt.

The first failed attempt waits `base` (30 s), each further one `factor` (2) times longer, and
no wait is longer than `cap` (6 h): 30 s, 1 min, 2 min, 4 min … 6 h. Many messages failing
together (a receiver that was down) would all come back at the same instant, so a message's
wait may be spread by ±10 % — deterministically, from a key such as the message id, so the
same message and attempt always wait the same time (tests, traces, several workers).
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

__all__ = ["DEFAULT_BASE", "DEFAULT_CAP", "DEFAULT_FACTOR", "JITTER", "backoff_delay"]

DEFAULT_BASE = timedelta(seconds=30)
DEFAULT_FACTOR = 2.0
DEFAULT_CAP = timedelta(hours=6)
JITTER = 0.1
"""The spread of a keyed wait: ±10 %."""


def backoff_delay(
    attempt: int,
    *,
    base: timedelta = DEFAULT_BASE,
    factor: float = DEFAULT_FACTOR,
    cap: timedelta = DEFAULT_CAP,
    jitter_key: int | str | None = None,
) -> timedelta:
    """The wait after failed attempt number `attempt` (1 for the first): `base` times
    `factor` to the power `attempt - 1`, at most `cap`; spread by ±10 % when `jitter_key`
    is given (the same key and attempt always give the same wait, never above `cap`)."""
    if attempt < 1:
        raise ValueError(f"backoff_delay: attempt must be 1 or more, not {attempt}")
    if base <= timedelta(0):
        raise ValueError(f"backoff_delay: base must be positive, not {base}")
    if factor < 1:
        raise ValueError(f"backoff_delay: factor must be 1 or more, not {factor}")
    if cap < base:
        raise ValueError(f"backoff_delay: cap ({cap}) must not be below base ({base})")
    base_s, cap_s = base.total_seconds(), cap.total_seconds()
    # Compare logarithms first: factor ** attempt overflows a float long before attempt does.
    if factor > 1 and (attempt - 1) * math.log(factor) >= math.log(cap_s / base_s):
        seconds = cap_s
    else:
        seconds = min(base_s * factor ** (attempt - 1), cap_s)
    if jitter_key is not None:
        seconds = min(seconds * (1 + JITTER * _spread(jitter_key, attempt)), cap_s)
    return timedelta(seconds=round(seconds, 3))


def _spread(key: int | str, attempt: int) -> float:
    """A number in [-1, 1] fixed by the key and the attempt."""
    digest = hashlib.sha256(f"{key}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / float(2**64 - 1) * 2 - 1
