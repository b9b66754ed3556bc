"""The sample city, Millbrook: a seeded generator of its source files, with their real-world mess.

`generate(out_dir)` writes the nine files described in docs/sample-data.md. The same arguments
always give byte-identical files. Only service_requests.csv scales with `requests`; the others
keep their sizes (budget about 2,900 rows, permits 30,000, engagement 150,000, citizen feedback
24,000, resident survey 3,080 and its 5-row dictionary, population 32) and depend only on the
seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from etl.sample import (
    budget,
    engagement,
    feedback,
    initiatives,
    permits,
    population,
    service_requests,
    survey,
)
from etl.sample.city import CITY_NAME
from etl.sample.timeline import AS_OF, START
from etl.sample.writer import Written

__all__ = ["AS_OF", "CITY_NAME", "DEFAULT_REQUESTS", "DEFAULT_SEED", "FILE_NAMES", "START",
           "Written", "generate", "generate_files", "iter_files"]

DEFAULT_REQUESTS = 210_000
DEFAULT_SEED = 20261101
FILE_NAMES = (
    budget.FILE_NAME, service_requests.FILE_NAME, permits.FILE_NAME, engagement.FILE_NAME,
    population.FILE_NAME, feedback.FILE_NAME, survey.FILE_NAME, survey.DICTIONARY_NAME,
    initiatives.FILE_NAME,
)

log = logging.getLogger(__name__)


def iter_files(
    out_dir: Path,
    requests: int = DEFAULT_REQUESTS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Written]:
    """Write every file into out_dir (created if needed), yielding each as it is written;
    progress(rows) is called as service requests are written (the only file that scales)."""
    if requests < 1:
        raise ValueError(f"requests must be at least 1, not {requests}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("generating %s's sample files into %s (seed %d)", CITY_NAME, out_dir, seed)
    yield budget.write(out_dir, seed)
    yield service_requests.write(out_dir, seed, requests, progress)
    yield permits.write(out_dir, seed)
    yield engagement.write(out_dir, seed)
    yield population.write(out_dir)
    yield feedback.write(out_dir, seed)
    yield from survey.write(out_dir, seed)
    yield initiatives.write(out_dir)


def generate_files(
    out_dir: Path, requests: int = DEFAULT_REQUESTS, seed: int = DEFAULT_SEED
) -> list[Written]:
    """Write every file into out_dir (created if needed); what was written, file by file."""
    return list(iter_files(out_dir, requests, seed))


def generate(
    out_dir: Path, requests: int = DEFAULT_REQUESTS, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write every file into out_dir; {file name: path}."""
    return {w.name: w.path for w in generate_files(out_dir, requests, seed)}
