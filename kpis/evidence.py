"""Did an initiative move its KPI? A before/after comparison of the KPI's series, explained in
words a manager reads (METHOD, which the pages show)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

METHOD = (
    "Take the same number of periods before the initiative's start and from it on (6 by "
    "default); a period the start falls in the middle of counts on neither side.",
    "Where the series reaches a year further back for every one of those periods, compare each "
    "period with the same period a year earlier first (the year-on-year change), so that a "
    "seasonal swing (more requests in winter) is not mistaken for the initiative's effect.",
    "The effect is the average after minus the average before (of the values, or of their "
    "year-on-year changes).",
    "It counts as a clear change only when it is more than twice its standard error, worked "
    "out from how much the periods vary among themselves before and after the start. This is "
    "about the same test as Welch's t-test at the usual 95% level. Below that, the change is "
    "within the series' normal ups and downs.",
    "With fewer than 3 periods on either side, there is too little data to tell, and it says "
    "so.",
    "It is worked out again at each publish, from the KPI values of that snapshot.",
)
WINDOW = 6  # periods compared on each side of the start, by default
MIN_PERIODS = 3  # fewer on either side: too little data to tell
CLEAR = 2.0  # standard errors a change must exceed to count as clear

IMPROVED, WORSENED, UNCLEAR, TOO_LITTLE = ("improved", "worsened", "no clear change",
                                           "too little data")


@dataclass(frozen=True)
class Evidence:
    verdict: str  # IMPROVED, WORSENED, UNCLEAR or TOO_LITTLE
    before: int  # periods compared before the start
    after: int  # periods compared from the start on
    effect: float | None  # average after minus average before, in the KPI's unit
    standard_error: float | None
    seasonal: bool  # compared year on year, to set seasons aside
    words: str  # the finding in a sentence or two


def before_after(series: Sequence[tuple[date, float]], start: date, direction: str,
                 window: int = WINDOW, amount: Callable[[float], str] = lambda v: f"{v:,.4g}"
                 ) -> Evidence:
    """Compare the `window` periods before `start` with the `window` from it on.

    series: (period start, value), any order, one value a period; direction: "higher" or
    "lower", the way the KPI gets better; amount: a difference in the KPI's unit, in words."""
    values = dict(series)
    periods = sorted(values)
    before = [p for p in periods if p < start][-window:]
    after = [p for p in periods if p >= start][:window]
    if len(before) < MIN_PERIODS or len(after) < MIN_PERIODS:
        return Evidence(TOO_LITTLE, len(before), len(after), None, None, False,
                        f"Too little data to tell: {len(before)} period(s) before the start "
                        f"and {len(after)} from it on; at least {MIN_PERIODS} on each side "
                        "are needed.")
    seasonal = all(_year_before(p) in values for p in before + after)

    def measure(p: date) -> float:
        return values[p] - values[_year_before(p)] if seasonal else values[p]

    first, second = [measure(p) for p in before], [measure(p) for p in after]
    effect = statistics.fmean(second) - statistics.fmean(first)
    error = math.sqrt(statistics.variance(first) / len(first)
                      + statistics.variance(second) / len(second))
    clear = abs(effect) > CLEAR * error
    better = effect > 0 if direction == "higher" else effect < 0
    verdict = (IMPROVED if better else WORSENED) if clear else UNCLEAR
    return Evidence(verdict, len(before), len(after), effect, error, seasonal,
                    _words(verdict, effect, error, len(before), len(after), seasonal, amount))


def _year_before(period: date) -> date:
    return period.replace(year=period.year - 1)


def _words(verdict: str, effect: float, error: float, before: int, after: int,
           seasonal: bool, amount: Callable[[float], str]) -> str:
    compared = ("each period's change from the same period a year earlier"
                if seasonal else "the values")
    size = f"{'up' if effect > 0 else 'down'} {amount(abs(effect))}"
    if verdict == UNCLEAR:
        return (f"Comparing {compared} over {before} periods before and {after} after the "
                f"start, the average went {size}, which is within the series' normal ups and "
                f"downs (less than twice its standard error of {amount(error)}): no clear change.")
    return (f"Comparing {compared} over {before} periods before and {after} after the start, "
            f"the average went {size}, more than twice its standard error of {amount(error)}: a "
            f"clear change, and the KPI {verdict}.")
