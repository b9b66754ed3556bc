"""Numbers and dates in the words a citizen reads."""

from __future__ import annotations

from datetime import datetime


def money(value: float) -> str:
    """$1.82 billion, $45.3 million, $12,500."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"${value / size:,.2f} {word}"
    return f"${value:,.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def published(iso: str) -> str:
    """'23 November 2026, 21:45 UTC' from an ISO 8601 UTC timestamp."""
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment.strftime('%B %Y, %H:%M')} UTC"
