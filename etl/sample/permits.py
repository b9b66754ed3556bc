"""permits.csv: building and trade permit applications from 2023-11-01 to 2026-10-31.

30,000 applications (fixed: it does not scale with the request count), on weekdays mostly, more
in the building season, growing ~3% a year. Processing time is drawn from each type's range;
applications still being processed on the as-of date are Applied (the first days) or Under
review; decided ones are mostly Issued, some Denied or Withdrawn. About 15% are entered at the
counter (channel In person): the counter system writes dates as `05-Mar-2024`, the online portal
as `2024-03-05`. Valuation is a currency string. The mess: a few duplicate rows and blank lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.sample import formats
from etl.sample.city import DISTRICTS, PERMIT_STATUSES, PERMIT_TYPES, SEASONS
from etl.sample.timeline import AS_OF, days, epoch_day
from etl.sample.writer import Chunk, Written, mess_plan, write_csv

FILE_NAME = "permits.csv"
HEADER = "permit_number,permit_type,district,applied_date,issued_date,status,valuation,channel"
PERMITS = 30_000
CHANNELS = ("Online", "In person")
ISSUED, UNDER_REVIEW, APPLIED, DENIED, WITHDRAWN = range(5)
INTAKE_DAYS = 3  # an application waits this long before a reviewer picks it up


def draw(rng: np.random.Generator, n: int = PERMITS) -> dict[str, np.ndarray]:
    """Every application, ordered by application day, in arrays."""
    calendar = days()
    weekday_effect = np.select([calendar.weekday == 5, calendar.weekday == 6], [0.12, 0.08], 1.0)
    growth = 1.03 ** (np.arange(len(calendar)) / 365.25)
    weights = np.empty((len(PERMIT_TYPES), len(calendar)))
    for k, permit_type in enumerate(PERMIT_TYPES):
        season = np.array(SEASONS[permit_type.season], dtype=float)
        season = (0.5 + season / season.mean()) / 1.5  # building is steadier than complaints
        weights[k] = (permit_type.share * season[calendar.month - 1] * weekday_effect * growth
                      * rng.lognormal(0.0, 0.2, len(calendar)))
    counts = rng.multinomial(n, (weights / weights.sum()).ravel())
    kind, day = np.divmod(np.repeat(np.arange(counts.size), counts), len(calendar))
    order = np.lexsort((rng.random(n), day))  # within a day, in no particular type order
    kind, applied = kind[order], calendar.first + day[order]

    low = np.array([t.days[0] for t in PERMIT_TYPES])[kind]
    high = np.array([t.days[1] for t in PERMIT_TYPES])[kind]
    processing = low + np.rint((high - low) * rng.beta(1.5, 3.0, n)).astype(np.int64)
    decided = applied + processing
    outcome = rng.choice([ISSUED, DENIED, WITHDRAWN], size=n, p=[0.90, 0.035, 0.065])
    pending = decided > epoch_day(AS_OF)
    early = applied > epoch_day(AS_OF) - INTAKE_DAYS
    status = np.where(pending, np.where(early, APPLIED, UNDER_REVIEW), outcome)

    median = np.array([t.valuation for t in PERMIT_TYPES])[kind]
    spread = np.array([t.spread for t in PERMIT_TYPES])[kind]
    valuation = np.rint(median * rng.lognormal(0.0, spread) / 10) * 1000  # in cents, round $10

    # Weekend applications can only come through the portal.
    weekend = calendar.weekday[applied - calendar.first] >= 5
    counter = (rng.random(n) < 0.15 / 0.97) & ~weekend
    counter[:5] = False  # keep the first lines in the portal's date style (see writer.CLEAN_HEAD)
    return {
        "kind": kind, "applied": applied, "issued": decided, "status": status,
        "valuation": valuation.astype(np.int64), "counter": counter,
        "district": rng.choice(len(DISTRICTS), size=n, p=[d.share for d in DISTRICTS]),
    }


def write(out_dir: Path, seed: int) -> Written:
    rng = np.random.default_rng([seed, 3])
    permits = draw(rng)
    n = len(permits["kind"])
    applied = permits["applied"]
    year = (applied.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
    sequence = np.arange(n) - np.searchsorted(year, year) + 1  # numbering restarts each year
    issued = permits["status"] == ISSUED
    counter = permits["counter"]

    def written(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        portal = formats.dates(epoch_days, formats.ISO_DATE, valid)
        desk = formats.dates(epoch_days, formats.COUNTER_DATE, valid)
        return pc.if_else(pa.array(counter), desk, portal)

    columns = [
        formats.concat("BP-", formats.padded(year % 100, 2), "-", formats.padded(sequence, 6)),
        formats.labels([t.name for t in PERMIT_TYPES], permits["kind"]),
        formats.labels([d.name for d in DISTRICTS], permits["district"]),
        written(applied),
        written(permits["issued"], issued),
        formats.labels(PERMIT_STATUSES, permits["status"]),
        formats.currency(permits["valuation"]),
        formats.labels(CHANNELS, counter.astype(np.int8)),
    ]
    mess = mess_plan(rng, n, duplicate_share=0.001, empty_lines=3, comma_lines=2)
    return write_csv(out_dir / FILE_NAME, HEADER, [Chunk(columns, mess)])
