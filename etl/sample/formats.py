"""Vectorised formatting of numpy arrays into Arrow string arrays, the way the city's files
write them (currency strings, fixed decimals, the systems' date and time styles).

Dates and times go through small lookup tables (one string per day, per second of the day), so
formatting is a `take` and a join per column, whatever the row count.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.sample.timeline import DAY, from_epoch_day

MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)
# Date styles: a strftime-like name for each way the source systems write a date.
ISO_DATE = "iso"  # 2024-03-05
US_DATE = "us"  # 03/05/2024
COUNTER_DATE = "counter"  # 05-Mar-2024
# Time styles.
ISO_TIME = "iso"  # 14:22:05
US_TIME = "us"  # 02:22 PM


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null in any part gives a null."""
    return pc.binary_join_element_wise(*parts, "")


def text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def padded(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers, zero-padded to width digits."""
    return pc.utf8_lpad(text(values), width=width, padding="0")


def labels(names: Sequence[str], codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """names[code] for each code; null where valid is False."""
    mask = None if valid is None else ~valid
    return pa.array(list(names), pa.string()).take(pa.array(codes, mask=mask))


def currency(cents: np.ndarray) -> pa.Array:
    """Amounts in cents as `$1,234.50`, negatives as `($1,234.50)`."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    dollars = magnitude // 100
    rest = dollars // 1000
    groups = text(dollars % 1000)
    out = pc.if_else(pa.array(rest > 0), pc.utf8_lpad(groups, width=3, padding="0"), groups)
    while rest.any():
        # Prepend the next group of three digits where the amount reaches it.
        higher = rest // 1000
        group = text(rest % 1000)
        group = pc.if_else(pa.array(higher > 0), pc.utf8_lpad(group, width=3, padding="0"), group)
        out = pc.if_else(pa.array(rest > 0), concat(group, ",", out), out)
        rest = higher
    amount = concat("$", out, ".", padded(magnitude % 100, 2))
    return pc.if_else(pa.array(cents < 0), concat("(", amount, ")"), amount)


def fixed6(micro: np.ndarray) -> pa.Array:
    """Millionths (e.g. of a degree) as a decimal with exactly six digits after the point."""
    micro = np.asarray(micro, dtype=np.int64)
    magnitude = np.abs(micro)
    number = concat(text(magnitude // 1_000_000), ".", padded(magnitude % 1_000_000, 6))
    return pc.if_else(pa.array(micro < 0), concat("-", number), number)


def _day_table(first: int, count: int, style: str) -> pa.Array:
    out = []
    for number in range(first, first + count):
        day = from_epoch_day(number)
        if style == ISO_DATE:
            out.append(f"{day.year:04d}-{day.month:02d}-{day.day:02d}")
        elif style == US_DATE:
            out.append(f"{day.month:02d}/{day.day:02d}/{day.year:04d}")
        elif style == COUNTER_DATE:
            # Month names from our own table: strftime's %b depends on the locale.
            out.append(f"{day.day:02d}-{MONTH_ABBREVIATIONS[day.month - 1]}-{day.year:04d}")
        else:
            raise ValueError(f"unknown date style {style!r}")
    return pa.array(out, pa.string())


@cache
def _time_table(style: str) -> pa.Array:
    if style == ISO_TIME:
        return pa.array(
            [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)], pa.string()
        )
    if style == US_TIME:
        out = []
        for minute in range(DAY // 60):
            hour, suffix = minute // 60, "AM" if minute < 720 else "PM"
            out.append(f"{(hour + 11) % 12 + 1:02d}:{minute % 60:02d} {suffix}")
        return pa.array(out, pa.string())
    raise ValueError(f"unknown time style {style!r}")


def dates(epoch_days: np.ndarray, style: str, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as date strings; null where valid is False."""
    epoch_days = np.asarray(epoch_days, dtype=np.int64)
    if valid is None:
        valid = np.ones(len(epoch_days), dtype=bool)
    if not valid.any():
        return pa.nulls(len(epoch_days), pa.string())
    first = int(epoch_days[valid].min())
    count = int(epoch_days[valid].max()) - first + 1
    index = np.where(valid, epoch_days - first, 0)
    return _day_table(first, count, style).take(pa.array(index, mask=~valid))


def timestamps(
    seconds: np.ndarray,
    date_style: str,
    time_style: str,
    separator: str = " ",
    suffix: str = "",
    valid: np.ndarray | None = None,
) -> pa.Array:
    """Seconds since 1970-01-01 as date-time strings; null where valid is False."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if valid is None:
        valid = np.ones(len(seconds), dtype=bool)
    day_part = dates(seconds // DAY, date_style, valid)
    of_day = np.where(valid, seconds % DAY, 0)
    if time_style == US_TIME:
        of_day //= 60  # the legacy system kept minutes only
    time_part = _time_table(time_style).take(pa.array(of_day, mask=~valid))
    return concat(day_part, separator, time_part, suffix)
