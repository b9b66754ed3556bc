"""The before/after method on synthetic monthly series with a known answer: a step change is
found, none is not, a seasonal swing alone is not, and too few periods says so."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from kpis.evidence import IMPROVED, TOO_LITTLE, UNCLEAR, WORSENED, before_after

START = date(2025, 7, 1)


def month(index: int) -> date:
    """The first day of the month `index` months after January 2023."""
    return date(2023 + index // 12, index % 12 + 1, 1)


def series(values: list[float]) -> list[tuple[date, float]]:
    return [(month(i), v) for i, v in enumerate(values)]


def noisy(count: int, level: float, step: float = 0.0, season: float = 0.0,
          seed: int = 7) -> list[tuple[date, float]]:
    """Monthly values from January 2023: a level, a step from START on, a yearly swing of
    +-season, and noise of about 0.5."""
    rng = random.Random(seed)
    return series([level + (step if month(i) >= START else 0.0)
                   + season * math.sin(2 * math.pi * i / 12) + rng.gauss(0, 0.5)
                   for i in range(count)])


@pytest.mark.parametrize("seed", range(5))
def test_a_step_change_is_found_and_judged_by_the_kpis_direction(seed):
    found = before_after(noisy(36, 10.0, step=4.0, seed=seed), START, "higher")
    assert found.verdict == IMPROVED and found.effect == pytest.approx(4.0, abs=1.0)
    assert before_after(noisy(36, 10.0, step=4.0, seed=seed), START, "lower").verdict == \
        WORSENED
    assert "clear change" in found.words


@pytest.mark.parametrize("seed", range(5))
def test_no_change_is_not_found(seed):
    found = before_after(noisy(36, 10.0, seed=seed), START, "higher")
    assert found.verdict == UNCLEAR
    assert "within the series' normal ups and downs" in found.words


@pytest.mark.parametrize("seed", range(5))
def test_a_seasonal_swing_alone_is_not_found_when_a_year_earlier_is_there(seed):
    swinging = noisy(36, 10.0, season=5.0, seed=seed)
    found = before_after(swinging, START, "higher")
    assert found.seasonal and found.verdict == UNCLEAR
    # Without the year before, the same swing would look like a change: the reason for it.
    recent = [(p, v) for p, v in swinging if p >= date(2025, 1, 1)]
    assert not before_after(recent, START, "higher").seasonal
    assert before_after(recent, START, "higher").verdict != UNCLEAR
    # And a real step on top of the season is still found.
    stepped = before_after(noisy(36, 10.0, step=4.0, season=5.0, seed=seed), START, "higher")
    assert stepped.seasonal and stepped.verdict == IMPROVED


def test_too_few_periods_says_so():
    found = before_after(noisy(32, 10.0, step=4.0), START, "higher")  # 2 months after
    assert found.verdict == TOO_LITTLE and found.effect is None
    assert found.words.startswith("Too little data to tell: 6 period(s) before the start and "
                                  "2 from it on")


def test_the_window_is_the_same_number_of_periods_each_side():
    found = before_after(noisy(36, 10.0), START, "higher", window=4)
    assert (found.before, found.after) == (4, 4)
