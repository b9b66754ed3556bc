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


STATUS_WORDS = {"green": "On target", "amber": "Near target", "red": "Off target"}
UNIT_WORDS = {"days": "days", "hours": "hours", "score": "out of 5"}


def kpi_value(value: float | None, unit: str, decimals: int) -> str:
    """A KPI value with its unit: 85.9%, $4,242, 1.9 days, 2,062, 3.56 out of 5."""
    if value is None:
        return "No data"
    if unit == "percent":
        return f"{value * 100:,.{decimals}f}%"
    if unit == "usd":
        return money(value) if abs(value) >= 1e6 else f"${value:,.{decimals}f}"
    shown = f"{value:,.{decimals}f}"
    return f"{shown} {UNIT_WORDS[unit]}" if unit in UNIT_WORDS else shown


def kpi_change(value: float, before: float | None, unit: str, decimals: int) -> str | None:
    """'up 2.1 points', 'down $1.2 million', 'no change': the difference in the KPI's unit."""
    if before is None:
        return None
    difference = value - before
    scale = 100 if unit == "percent" else 1
    if round(abs(difference) * scale, decimals) == 0:
        return "no change"
    return f"{'up' if difference > 0 else 'down'} {kpi_amount(abs(difference), unit, decimals)}"


def kpi_amount(size: float, unit: str, decimals: int) -> str:
    """A difference between two values of a KPI, without its sign: 2.1 points, 3.0 days."""
    if unit in ("percent", "score"):
        scale = 100 if unit == "percent" else 1  # percentage points; points on the 1-5 scale
        return f"{size * scale:,.{decimals}f} points"
    return kpi_value(size, unit, decimals)


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", "No target status")


def dollars(value: float) -> str:
    """$1,818,001,000: whole dollars, for tables where rounding to millions would hide a gap."""
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
