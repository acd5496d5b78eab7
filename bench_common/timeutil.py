"""RFC 3339 UTC timestamps, the only time format the platform writes."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """``2026-11-24T13:40:05.123456Z``: UTC, a literal ``Z`` and always six fractional
    digits, so that timestamps sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: object) -> datetime | None:
    """An aware UTC datetime, or None when ``text`` is not an RFC 3339 timestamp."""
    if not isinstance(text, str) or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
