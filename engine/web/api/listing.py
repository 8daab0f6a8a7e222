"""The query parameters of a list call, read and checked: `filter` (an expression), `sort`
(comma-separated, `-` for descending), `limit` (1–200, default 50) and `cursor`."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.web.api.errors import ApiError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "list_arguments"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_DIGITS = re.compile(r"[0-9]{1,4}")


def list_arguments(args: MultiDict[str, str]) -> dict[str, Any]:
    """Keyword arguments for `RecordService.list` from the query string (400 when bad)."""
    raw_limit = args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not _DIGITS.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(raw_limit)
    written = args.get("sort", "")
    sort = tuple(written.split(",")) if written else ()
    if any(not key or key != key.strip() for key in sort):
        raise ApiError(400, "sort is a comma-separated list of fields, e.g. sort=-amount,name")
    text = args.get("filter", "").strip()
    return {
        "filter": text or None,
        "sort": sort,
        "limit": limit,
        "cursor": args.get("cursor") or None,
    }
