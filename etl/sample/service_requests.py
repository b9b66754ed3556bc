"""service_requests.csv: 311 cases opened from 2023-11-01 to 2026-10-31.

`requests` distinct cases (210,000 by default) are drawn type by type and day by day, from each
type's share and monthly seasonality, a weekday effect, random day-to-day variation (storm bursts
for snow, trees and sewers) and ~4% yearly growth; hours follow a daytime or night-time profile.
Time to close is lognormal by type (a share of cases late against the SLA, more in winter for
outdoor crews); cases that would close after the as-of date are still Open or In progress, and a
few forgotten cases make an old backlog. Online requests rise from ~30% to ~55%. From July 2025
Public Works closes its cases in 60% of the time it took before: the step change planted after
the sample's triage initiative (initiatives.py).

The mess: rows opened before 2024-04-01 come from the legacy CRM and write opened, closed and due
as `MM/DD/YYYY hh:mm AM`; later rows write `YYYY-MM-DD HH:MM:SS`. ~0.3% exact duplicate rows
(right after the original), a blank line per ~10,000 cases (empty, or only commas), ~1% of
district or request_type values with a stray leading or trailing space.

Everything is generated as whole-column arrays; only formatting and writing go chunk by chunk,
so ten million cases stay within a few gigabytes of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from etl.sample import formats
from etl.sample.city import (
    DISTRICT_NAMES,
    DISTRICTS,
    LANDMARKS,
    REQUEST_TYPES,
    SEASONS,
    STREETS,
    WINTER_BACKLOG,
)
from etl.sample.initiatives import PLANTED
from etl.sample.timeline import DAY, END_SECOND, HOUR, START_SECOND, days, epoch_day
from etl.sample.writer import Chunk, Written, chunk_bounds, mess_plan, write_csv

FILE_NAME = "service_requests.csv"
HEADER = (
    "case_id,opened,closed,due,request_type,department,district,channel,status,latitude,"
    "longitude,description"
)
LEGACY_UNTIL = date(2024, 4, 1)  # the old CRM's last day was 2024-03-31
CHANNELS = ("Online", "Phone", "In person")
STATUSES = ("Closed", "Open", "In progress", "Cancelled")
CLOSED, OPEN, IN_PROGRESS, CANCELLED = range(4)
CHUNK_ROWS = 500_000
YEARLY_GROWTH = 0.04

# Requests per hour of the day, midnight first: (weekday, weekend) for daytime and night types.
_DAY_HOURS = (
    (1.0, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3.0, 5.0, 6.5, 7.0, 6.8,
     6.0, 6.3, 6.2, 5.8, 5.0, 4.0, 3.3, 2.8, 2.4, 2.0, 1.6, 1.2),
    (1.2, 0.8, 0.5, 0.4, 0.3, 0.4, 0.8, 1.5, 2.8, 4.0, 4.8, 5.0,
     5.0, 4.8, 4.5, 4.2, 3.8, 3.4, 3.0, 2.7, 2.4, 2.1, 1.8, 1.5),
)
_NIGHT_HOURS = (
    (5.0, 3.5, 2.2, 1.2, 0.7, 0.5, 0.5, 0.6, 0.8, 1.0, 1.1, 1.2,
     1.3, 1.4, 1.5, 1.7, 2.0, 2.5, 3.0, 3.8, 4.8, 6.0, 7.0, 6.5),
    (8.0, 7.0, 5.0, 2.5, 1.2, 0.6, 0.4, 0.5, 0.6, 0.8, 1.0, 1.1,
     1.2, 1.3, 1.5, 1.7, 2.0, 2.5, 3.0, 3.8, 4.8, 6.0, 7.5, 8.5),
)


@dataclass
class Cases:
    """One element per case, ordered by opening time."""

    opened: np.ndarray  # seconds since 1970-01-01, local time
    closed: np.ndarray  # meaningless where status is Open or In progress
    due: np.ndarray
    kind: np.ndarray  # index into REQUEST_TYPES
    district: np.ndarray  # index into DISTRICTS
    channel: np.ndarray  # index into CHANNELS
    status: np.ndarray  # index into STATUSES
    lat: np.ndarray  # millionths of a degree
    lon: np.ndarray
    phrase: np.ndarray  # index into the type's phrases
    place: np.ndarray  # index into _places()
    note: np.ndarray  # index into _NOTES
    district_pad: np.ndarray  # 0 none, 1 leading space, 2 trailing space
    kind_pad: np.ndarray

    def __len__(self) -> int:
        return len(self.opened)


def _normalised(profile: tuple[float, ...]) -> np.ndarray:
    values = np.array(profile, dtype=float)
    return values / values.mean()


def _draw_opening(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Opening time and type of n cases, sorted by time."""
    calendar = days()
    month = calendar.month - 1
    weekend = calendar.weekday >= 5
    growth = (1 + YEARLY_GROWTH) ** (np.arange(len(calendar)) / 365.25)
    weights = np.empty((len(REQUEST_TYPES), len(calendar)))
    for k, kind in enumerate(REQUEST_TYPES):
        season = _normalised(SEASONS[kind.season])[month]
        day_effect = np.where(weekend, kind.weekend, 1.0)
        if kind.storms:
            # Bursty: most of the volume on a few storm days.
            variation = rng.gamma(0.4, 1 / 0.4, len(calendar))
        else:
            variation = rng.lognormal(0.0, 0.15, len(calendar))
        weights[k] = kind.share * season * day_effect * growth * variation
    counts = rng.multinomial(n, (weights / weights.sum()).ravel())
    cell = np.repeat(np.arange(counts.size), counts)
    kind, day = np.divmod(cell, len(calendar))

    # Hour of the day from the type's profile, weekday or weekend.
    night = np.array([k.night for k in REQUEST_TYPES])[kind]
    profile = night.astype(np.int64) * 2 + weekend[day]
    cdfs = [np.cumsum(p) / np.sum(p) for hours in (_DAY_HOURS, _NIGHT_HOURS) for p in hours]
    u = rng.random(n)
    hour = np.empty(n, dtype=np.int64)
    for group, cdf in enumerate(cdfs):
        chosen = profile == group
        hour[chosen] = np.minimum(np.searchsorted(cdf, u[chosen], side="right"), 23)
    opened = (calendar.first + day) * DAY + hour * HOUR + rng.integers(0, HOUR, n)
    order = np.argsort(opened, kind="stable")
    return opened[order], kind[order].astype(np.int16)


def _draw_district(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    base = np.array([d.share for d in DISTRICTS])
    table = np.empty((len(REQUEST_TYPES), len(DISTRICTS)))
    for k, request_type in enumerate(REQUEST_TYPES):
        tilt = np.array([2.0 if d in request_type.hot_districts else 1.0 for d in DISTRICT_NAMES])
        table[k] = np.cumsum(base * tilt) / np.sum(base * tilt)
    u = rng.random(len(kind))
    district = np.zeros(len(kind), dtype=np.int8)
    for edge in range(len(DISTRICTS) - 1):
        district += u >= table[kind, edge]
    return district


def _draw_location(rng: np.random.Generator, district: np.ndarray) -> tuple[np.ndarray, ...]:
    """Latitude and longitude (millionths), inside the district, denser towards its middle."""
    south = np.array([d.lat[0] for d in DISTRICTS])[district]
    north = np.array([d.lat[1] for d in DISTRICTS])[district]
    west = np.array([d.lon[0] for d in DISTRICTS])[district]
    east = np.array([d.lon[1] for d in DISTRICTS])[district]
    lat = south + (north - south) * rng.beta(2.0, 2.0, len(district))
    lon = west + (east - west) * rng.beta(2.0, 2.0, len(district))
    return np.rint(lat * 1e6).astype(np.int64), np.rint(lon * 1e6).astype(np.int64)


def _draw_channel(rng: np.random.Generator, opened: np.ndarray, kind: np.ndarray) -> np.ndarray:
    progress = (opened - START_SECOND) / (END_SECOND - START_SECOND)
    urgent = np.array([k.sla_days <= 1 for k in REQUEST_TYPES])[kind]
    online = (0.30 + 0.25 * progress) * np.where(urgent, 0.6, 1.0)  # emergencies: people call
    in_person = 0.10 - 0.04 * progress
    u = rng.random(len(opened))
    return np.where(u < online, 0, np.where(u > 1 - in_person, 2, 1)).astype(np.int8)


def _draw_lifecycle(
    rng: np.random.Generator, opened: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closing time, due time and status of each case."""
    n = len(opened)
    sla = np.array([k.sla_days for k in REQUEST_TYPES], dtype=np.int64)
    median = np.array([k.median_days for k in REQUEST_TYPES])
    # Spread chosen so that late_share of cases miss the SLA when crews are not backlogged.
    sigma = np.array([
        np.log(k.sla_days / k.median_days) / NormalDist().inv_cdf(1 - k.late_share)
        for k in REQUEST_TYPES
    ])
    outdoor = np.array([k.winter_backlog for k in REQUEST_TYPES])
    month = (opened // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    backlog = np.where(outdoor[kind], np.array(WINTER_BACKLOG)[month], 1.0)
    duration = median[kind] * backlog * np.exp(sigma[kind] * rng.standard_normal(n))
    # The sample's initiative that worked: this department closes its cases faster from then on.
    department, since, factor = PLANTED
    improved = np.array([k.department == department for k in REQUEST_TYPES])[kind] & (
        opened >= epoch_day(since) * DAY)
    duration = np.where(improved, duration * factor, duration)
    # Fell through the cracks: closed months later, or still open (the old backlog).
    forgotten = rng.random(n) < 0.012
    duration = np.where(forgotten, rng.uniform(30, 1100, n), duration)
    cancelled = rng.random(n) < 0.02
    duration = np.where(cancelled, rng.lognormal(np.log(0.6), 1.0, n), duration)
    closed = opened + np.maximum(np.rint(duration * DAY), 300).astype(np.int64)
    # Crews close non-urgent cases in working hours: fold the time of day into 07:00-18:00.
    office = (sla[kind] >= 3) & ~cancelled
    folded = closed // DAY * DAY + 7 * HOUR + closed % DAY * 11 // 24
    closed = np.where(office, np.maximum(folded, opened + 900), closed)

    still_open = closed >= END_SECOND
    age = (END_SECOND - opened) / DAY
    working = rng.random(n) < np.clip(0.25 + 0.5 * age / (2 * sla[kind]), 0.0, 0.8)
    status = np.where(cancelled, CANCELLED, CLOSED)
    status = np.where(still_open, np.where(working, IN_PROGRESS, OPEN), status)
    return closed, opened + sla[kind] * DAY, status.astype(np.int8)


@cache
def _places() -> tuple[str, ...]:
    """Locations residents give: addresses, intersections and landmarks."""
    rng = np.random.default_rng(1729)  # the city's streets do not depend on the seed
    places = [
        f"outside {number} {street}"
        for street in STREETS
        for number in sorted(rng.choice(np.arange(2, 990), 20, replace=False) * 10 + 1)
    ]
    places += [
        f"at {a} & {b}" for i, a in enumerate(STREETS) for b in STREETS[i + 1:i + 6]
    ]
    places += [f"near {landmark}" for landmark in LANDMARKS]
    return tuple(places)


_NOTES = (
    "", "", "", "", "", "", "", "",
    ". Reported before, still not fixed", ", please call back",
    ". Second time this month", ", urgent",
)


def draw(rng: np.random.Generator, n: int) -> Cases:
    opened, kind = _draw_opening(rng, n)
    district = _draw_district(rng, kind)
    lat, lon = _draw_location(rng, district)
    channel = _draw_channel(rng, opened, kind)
    closed, due, status = _draw_lifecycle(rng, opened, kind)
    pad = rng.random(n)
    return Cases(
        opened=opened, closed=closed, due=due, kind=kind, district=district, channel=channel,
        status=status, lat=lat, lon=lon,
        phrase=rng.integers(0, 3, n, dtype=np.int8),
        place=rng.integers(0, len(_places()), n, dtype=np.int32),
        note=rng.integers(0, len(_NOTES), n, dtype=np.int8),
        # ~1% stray spaces: half on district, half on request_type, leading or trailing.
        district_pad=np.where(pad < 0.005, 1 + (pad < 0.0025), 0).astype(np.int8),
        kind_pad=np.where((pad >= 0.005) & (pad < 0.01), 1 + (pad < 0.0075), 0).astype(np.int8),
    )


def _case_ids(opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year of opening and the case's sequence number within that year (from 1)."""
    year = (opened // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    year += 1970
    first_of_year = np.searchsorted(year, year, side="left")  # rows are sorted by time
    return year, np.arange(len(year)) - first_of_year + 1


def _padded_labels(names: tuple[str, ...]) -> list[str]:
    return [*names, *(" " + x for x in names), *(x + " " for x in names)]


def chunks(cases: Cases, mess: np.ndarray) -> Iterator[Chunk]:
    """The cases as formatted chunks, legacy rows in the legacy CRM's date style."""
    year, sequence = _case_ids(cases.opened)
    legacy_rows = int(np.searchsorted(cases.opened, epoch_day(LEGACY_UNTIL) * DAY))
    type_names = _padded_labels(tuple(k.name for k in REQUEST_TYPES))
    district_names = _padded_labels(DISTRICT_NAMES)
    departments = [k.department for k in REQUEST_TYPES]
    phrases = [p for k in REQUEST_TYPES for p in k.phrases]
    places = _places()
    for start, stop in chunk_bounds(len(cases), CHUNK_ROWS, [legacy_rows]):
        part = slice(start, stop)
        style = (formats.US_DATE, formats.US_TIME) if start < legacy_rows else (
            formats.ISO_DATE, formats.ISO_TIME)
        status = cases.status[part]
        has_closed = (status == CLOSED) | (status == CANCELLED)
        kind = cases.kind[part]
        description = formats.concat(
            formats.labels(phrases, kind.astype(np.int64) * 3 + cases.phrase[part]),
            " ",
            formats.labels(places, cases.place[part]),
            formats.labels(_NOTES, cases.note[part]),
        )
        columns: list[pa.Array] = [
            formats.concat("SR-", formats.text(year[part]), "-", formats.padded(sequence[part], 7)),
            formats.timestamps(cases.opened[part], *style),
            formats.timestamps(cases.closed[part], *style, valid=has_closed),
            formats.timestamps(cases.due[part], *style),
            formats.labels(type_names, kind + len(REQUEST_TYPES) * cases.kind_pad[part]),
            formats.labels(departments, kind),
            formats.labels(
                district_names, cases.district[part] + len(DISTRICTS) * cases.district_pad[part]
            ),
            formats.labels(CHANNELS, cases.channel[part]),
            formats.labels(STATUSES, status),
            formats.fixed6(cases.lat[part]),
            formats.fixed6(cases.lon[part]),
            description,
        ]
        yield Chunk(columns, mess[part])


def _counted(parts: Iterator[Chunk], progress: Callable[[int], None]) -> Iterator[Chunk]:
    """The chunks, calling progress(rows) once each one has been written."""
    for chunk in parts:
        yield chunk  # the writer asks for the next chunk only after writing this one
        progress(len(chunk.columns[0]))


def write(
    out_dir: Path, seed: int, requests: int, progress: Callable[[int], None] | None = None
) -> Written:
    rng = np.random.default_rng([seed, 2])
    cases = draw(rng, requests)
    blank = max(2, requests // 10_000)
    mess = mess_plan(rng, requests, 0.003, empty_lines=blank - blank // 2, comma_lines=blank // 2)
    parts = chunks(cases, mess)
    if progress is not None:
        parts = _counted(parts, progress)
    return write_csv(out_dir / FILE_NAME, HEADER, parts)
