"""population.csv: residents by calendar year and district, a clean reference file.

It depends only on the city's reference data (not on the seed or the request count): about
405,000 residents in 2023 growing to about 420,000 in 2026.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from etl.sample.city import DISTRICTS, POPULATION_2023
from etl.sample.formats import labels, text
from etl.sample.writer import Chunk, Written, write_csv

FILE_NAME = "population.csv"
HEADER = "year,district,population"
YEARS = (2023, 2024, 2025, 2026)


def table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, district index and residents, ordered by year then district."""
    shares = np.array([d.share for d in DISTRICTS])
    growth = np.array([d.growth for d in DISTRICTS])
    years = np.repeat(np.array(YEARS), len(DISTRICTS))
    district = np.tile(np.arange(len(DISTRICTS)), len(YEARS))
    residents = POPULATION_2023 * shares[district] * (1 + growth[district]) ** (years - YEARS[0])
    # Census-style figures: not round numbers, but the same every run.
    wobble = ((district * 7919 + years * 104729) % 997) - 498
    return years, district, np.rint(residents).astype(np.int64) + wobble


def write(out_dir: Path) -> Written:
    years, district, residents = table()
    names = [d.name for d in DISTRICTS]
    chunk = Chunk([text(years), labels(names, district), text(residents)])
    return write_csv(out_dir / FILE_NAME, HEADER, [chunk])
