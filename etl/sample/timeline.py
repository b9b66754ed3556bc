"""The sample's fixed period, and per-day calendar arrays for vectorised sampling.

Times are whole seconds since 1970-01-01 held in int64 arrays; they are naive wall-clock times
(local time for the city's own systems, UTC for the engagement platform).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

START = date(2023, 11, 1)
AS_OF = date(2026, 10, 31)
DAY = 86_400
HOUR = 3_600
_EPOCH = date(1970, 1, 1)


def epoch_day(day: date) -> int:
    return (day - _EPOCH).days


def from_epoch_day(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


START_SECOND = epoch_day(START) * DAY
END_SECOND = (epoch_day(AS_OF) + 1) * DAY  # exclusive: the as-of day is covered to 23:59:59


@dataclass(frozen=True)
class Days:
    """Consecutive days and their calendar attributes, one array element a day."""

    first: int  # epoch day of the first element
    year: np.ndarray
    month: np.ndarray  # 1..12
    day: np.ndarray  # day of the month
    weekday: np.ndarray  # 0 = Monday

    def __len__(self) -> int:
        return len(self.year)

    @property
    def epoch(self) -> np.ndarray:
        return self.first + np.arange(len(self), dtype=np.int64)

    @property
    def progress(self) -> np.ndarray:
        """0.0 on the first day rising to 1.0 on the last."""
        return np.linspace(0.0, 1.0, len(self))


def days(first: date = START, last: date = AS_OF) -> Days:
    """The calendar of every day from first to last, both included."""
    stamps = np.arange(
        np.datetime64(first, "D"), np.datetime64(last, "D") + 1, dtype="datetime64[D]"
    )
    years = stamps.astype("datetime64[Y]")
    months = stamps.astype("datetime64[M]")
    number = stamps.astype(np.int64)
    return Days(
        first=epoch_day(first),
        year=years.astype(np.int64) + 1970,
        month=(months - years).astype(np.int64) + 1,
        day=(stamps - months).astype(np.int64) + 1,
        weekday=(number + 3) % 7,  # 1970-01-01 was a Thursday
    )


def calendar_of(seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month (1..12) of each timestamp."""
    months = (seconds // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months // 12 + 1970, months % 12 + 1


def budget_season(calendar: Days, width_days: float = 5.0) -> np.ndarray:
    """Per day, 0 to 1: interest in the budget, peaking when the council adopts it.

    The council adopts the next fiscal year's budget on the third Tuesday of June.
    """
    nth = (calendar.day - 1) // 7
    adoption = calendar.epoch[(calendar.month == 6) & (calendar.weekday == 1) & (nth == 2)]
    if len(adoption) == 0:
        return np.zeros(len(calendar))
    distance = np.min(np.abs(calendar.epoch[:, None] - adoption[None, :]), axis=1)
    return np.exp(-0.5 * (distance / width_days) ** 2)
