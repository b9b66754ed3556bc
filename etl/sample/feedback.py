"""citizen_feedback.csv: the city's previous "Was this page useful?" form, answer by answer.

Fixed size (it does not scale with the request count): about 300 answers a month at the start
growing to about 1,250, more on weekdays, and the budget page draws more around the council's
budget adoption in mid-June. 60-75% of yes/no answers are yes, by page, rising over time. About
40% of answers carry a comment (the commoner after a no; a few are a comment alone, with no
yes/no), and staff answer every comment in office hours, some hours to three weeks later: the
median falls from about five days in 2023 to about two in 2026. A thread is closed two weeks
after its answer (a few stay open); comments not answered by the as-of date are still New.
Answers without a comment need no reply and are closed in the weekly triage (Mondays). Pages
are /, /budget, /services, /engagement, /data (with the dataset, mostly) and /kpi/<id> (with
the KPI, ids as in config/kpis.yaml).

The comment text itself never leaves the form's database, so the file has no such column.
The mess: the form was replaced on 2024-04-01; the first version wrote yes/no in lower case and
did not record the data version shown, the second writes Yes/No and the snapshot id. A few
exact duplicate rows and blank lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.sample import formats
from etl.sample.city import DATASET_IDS, DATASET_WEIGHTS, KPI_PAGES
from etl.sample.engagement import time_of_day
from etl.sample.timeline import DAY, END_SECOND, HOUR, budget_season, days, epoch_day
from etl.sample.writer import Chunk, Written, mess_plan, write_csv

FILE_NAME = "citizen_feedback.csv"
HEADER = ("ID,Submitted (UTC),Page,KPI,Dataset,Data version,Was this useful?,Status,"
          "Answered (UTC)")
PER_MONTH = (300, 1_250)  # answers in the first and the last month, outside budget season
FORM_V2 = date(2024, 4, 1)  # the new form: Yes/No, and the data version recorded


@dataclass(frozen=True)
class Page:
    path: str
    share: float  # of answers outside budget season
    useful: float  # share of yes among yes/no answers at the start (about +5 points by the end)


PAGES = (
    Page("/", 0.22, 0.66),
    Page("/budget", 0.17, 0.60),
    Page("/services", 0.20, 0.64),
    Page("/engagement", 0.06, 0.69),
    Page("/kpi", 0.23, 0.68),  # /kpi/<id>, one page a KPI
    Page("/data", 0.12, 0.70),
)
KPI_PAGE, DATA_PAGE = 4, 5
BUDGET_PEAK = 4.0  # the budget page gets 1 + this times as many answers on adoption day
KPI_IDS = tuple(KPI_PAGES)
DATASET_NAMED = 0.8  # share of /data answers naming the dataset they are about
COMMENT_AFTER = {"yes": 0.25, "no": 0.6}  # share of yes (no) answers that add a comment
COMMENT_ONLY = 0.08  # share of answers that are a comment with no yes/no
ANSWER_DAYS = (4.5, 1.5)  # median delay drawn, at the start and the end, before office hours
STILL_OPEN = 0.05  # share of answered threads a follow-up keeps open past two weeks
CLOSE_AFTER = 14 * DAY
STATUSES = ("New", "Answered", "Closed")
NEW, ANSWERED, CLOSED = range(3)


@dataclass
class Answers:
    submitted: np.ndarray  # seconds since 1970, UTC, sorted
    page: np.ndarray  # index into PAGES
    kpi: np.ndarray  # index into KPI_IDS, -1 for none
    dataset: np.ndarray  # index into DATASET_IDS, -1 for none
    useful: np.ndarray  # 1 yes, 0 no, -1 no answer (a comment alone)
    answered: np.ndarray  # seconds since 1970, UTC; -1 for not answered
    status: np.ndarray  # NEW, ANSWERED or CLOSED


def _submissions(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Moments (sorted) and pages of every answer."""
    calendar = days()
    first, last = PER_MONTH
    per_day = first * (last / first) ** calendar.progress * 12 / 365.25
    per_day = per_day * np.where(calendar.weekday >= 5, 0.7, 1.12)
    peak = np.array([BUDGET_PEAK if p.path == "/budget" else 0.0 for p in PAGES])
    share = np.array([p.share for p in PAGES])
    rate = share[:, None] * per_day[None, :] * (1 + peak[:, None] * budget_season(calendar))
    counts = rng.poisson(rate).ravel()
    page, day = np.divmod(np.repeat(np.arange(counts.size), counts), len(calendar))
    moment = calendar.epoch[day] * DAY + time_of_day(rng, len(day))
    order = np.argsort(moment, kind="stable")
    return moment[order], page[order]


def _answer_times(rng: np.random.Generator, submitted: np.ndarray) -> np.ndarray:
    """When staff answer a comment: office hours (08:00-17:00, six hours behind UTC)."""
    progress = (submitted - submitted.min()) / max(int(np.ptp(submitted)), 1)
    median = ANSWER_DAYS[0] * (ANSWER_DAYS[1] / ANSWER_DAYS[0]) ** progress
    delay = np.clip(median * rng.lognormal(0.0, 0.9, len(submitted)), 3 / 24, 21) * DAY
    answered = submitted + delay.astype(np.int64)
    office = answered // DAY * DAY + 14 * HOUR + answered % DAY * 9 // 24
    return np.where(office > submitted + HOUR // 2, office, office + DAY)


def draw(rng: np.random.Generator) -> Answers:
    submitted, page = _submissions(rng)
    n = len(submitted)
    popularity = np.array(list(KPI_PAGES.values())) / sum(KPI_PAGES.values())
    kpi = np.where(page == KPI_PAGE, rng.choice(len(KPI_IDS), n, p=popularity), -1)
    named = (page == DATA_PAGE) & (rng.random(n) < DATASET_NAMED)
    weights = np.array(DATASET_WEIGHTS) / sum(DATASET_WEIGHTS)
    dataset = np.where(named, rng.choice(len(DATASET_IDS), n, p=weights), -1)

    progress = (submitted - submitted.min()) / max(int(np.ptp(submitted)), 1)
    yes_share = np.array([p.useful for p in PAGES])[page] + 0.05 * progress
    useful = (rng.random(n) < yes_share).astype(np.int64)
    comment_only = rng.random(n) < COMMENT_ONLY
    useful = np.where(comment_only, -1, useful)
    comments = comment_only | (rng.random(n) < np.where(useful == 1, COMMENT_AFTER["yes"],
                                                           COMMENT_AFTER["no"]))

    answered = _answer_times(rng, submitted)
    answered = np.where(comments & (answered < END_SECOND), answered, -1)
    stays_open = rng.random(n) < STILL_OPEN
    closed = (answered >= 0) & (answered + CLOSE_AFTER < END_SECOND) & ~stays_open
    status = np.where(answered >= 0, np.where(closed, CLOSED, ANSWERED), NEW)
    # Answers without a comment are closed in the weekly triage, every Monday.
    triaged = _last_monday() * DAY
    status = np.where(~comments & (submitted < triaged), CLOSED, status)
    return Answers(submitted=submitted, page=page, kpi=kpi, dataset=dataset, useful=useful,
                   answered=answered, status=status)


def _last_monday() -> int:
    """Epoch day of the last Monday before the as-of date's end."""
    last = days().epoch[-1]
    return int(last - (last + 3) % 7)  # 1970-01-01 was a Thursday (weekday 3)


def _snapshot_ids(rng: np.random.Generator, submitted: np.ndarray) -> pa.Array:
    """The data version each page showed: the snapshot the nightly run published before it."""
    calendar = days(date(2023, 10, 31))  # the evening before the first day shows its snapshot
    published = calendar.epoch * DAY + 3 * HOUR + rng.integers(30, 180, len(calendar))
    millis = rng.integers(0, 1000, len(calendar))
    shown = np.searchsorted(published, submitted, side="right") - 1
    stamp = formats.timestamps(published[shown], formats.ISO_DATE, formats.ISO_TIME)
    digits = pc.replace_substring_regex(stamp, "[-:]", "")
    snapshot = formats.concat(pc.replace_substring(digits, " ", "T"),
                              formats.padded(millis[shown], 3), "Z")
    recorded = submitted >= epoch_day(FORM_V2) * DAY
    return pc.if_else(pa.array(recorded), snapshot, pa.scalar(None, pa.string()))


def write(out_dir: Path, seed: int) -> Written:
    rng = np.random.default_rng([seed, 5])
    answers = draw(rng)
    n = len(answers.submitted)
    v2 = answers.submitted >= epoch_day(FORM_V2) * DAY
    kpi_page = formats.concat("/kpi/", formats.labels(KPI_IDS, np.maximum(answers.kpi, 0)))
    page = pc.if_else(pa.array(answers.kpi >= 0), kpi_page,
                      formats.labels([p.path for p in PAGES], answers.page))
    words = ("no", "yes", "No", "Yes")
    columns: list[pa.Array] = [
        formats.concat("F-", formats.padded(np.arange(1, n + 1), 6)),
        formats.timestamps(answers.submitted, formats.ISO_DATE, formats.ISO_TIME),
        page,
        formats.labels(KPI_IDS, np.maximum(answers.kpi, 0), valid=answers.kpi >= 0),
        formats.labels(DATASET_IDS, np.maximum(answers.dataset, 0), valid=answers.dataset >= 0),
        _snapshot_ids(rng, answers.submitted),
        formats.labels(words, np.maximum(answers.useful, 0) + 2 * v2, valid=answers.useful >= 0),
        formats.labels(STATUSES, answers.status),
        formats.timestamps(answers.answered, formats.ISO_DATE, formats.ISO_TIME,
                           valid=answers.answered >= 0),
    ]
    mess = mess_plan(rng, n, duplicate_share=0.002, empty_lines=2, comma_lines=1)
    return write_csv(out_dir / FILE_NAME, HEADER, [Chunk(columns, mess)])
