"""The Retry-After header (RFC 9110 10.2.3), read once for every client here: delta-seconds (Graph
sends fractions) or an HTTP date."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def seconds(value: str | None, now: datetime | None = None) -> float | None:
    """How long the server asks to wait (never negative), or None when it says nothing readable."""
    if not value or not value.strip():
        return None
    try:
        number = float(value)
        return max(0.0, number) if math.isfinite(number) else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
