"""engagement_events.csv.gz: the city's community-of-practice platform, event by event.

Fixed size (it does not scale with the request count): 20,000 members join between 2023-11-01
(a launch burst) and 2026-10-31, more as time goes on and around webinars, for about 120,000
events in all. Members are public servants (their department), residents or staff of
neighbouring cities; a few are very active, most are not. They post, share practices
(`P00042`), implement practices shared earlier by someone else, attend the monthly webinars (an
extra session every other month from mid-2024; Open Data Day in March and the October summit
draw crowds) and leave feedback, rated 1-5 and mostly 4. A member's first event is their sign_up.

The open-data site's downloads are events too (`dataset_downloaded`, the dataset id as topic):
about 350 a month at the start growing to about 1,500, more on weekdays, and budget_lines
downloads multiply around the council's budget adoption in mid-June. Most are anonymous (no
member id); about 15% come from signed-in members. They are drawn after every other event, so
adding them left the platform's own events as they were (their ids, in time order, moved up).
Times are UTC, written `2024-05-01T13:22:05Z`; the file is gzip with mtime 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.sample import formats
from etl.sample.city import (
    DATASET_IDS,
    DATASET_WEIGHTS,
    DEPARTMENTS,
    NEIGHBOURING_CITIES,
    TOPIC_WEIGHTS,
    TOPICS,
)
from etl.sample.timeline import DAY, END_SECOND, HOUR, budget_season, days
from etl.sample.writer import Chunk, Written, write_csv

FILE_NAME = "engagement_events.csv.gz"
HEADER = "event_id,occurred_at,event_type,member_id,organisation,topic,practice_id,satisfaction"
MEMBERS = 20_000
EVENT_TYPES = (
    "sign_up", "post", "practice_shared", "practice_implemented", "webinar_attended", "feedback",
    "dataset_downloaded",
)
SIGN_UP, POST, SHARED, IMPLEMENTED, WEBINAR, FEEDBACK, DOWNLOAD = range(7)
# How many events of each kind are drawn (webinar and practice events lose a few duplicates).
VOLUMES = {POST: 33_000, SHARED: 5_500, IMPLEMENTED: 9_500, WEBINAR: 42_000, FEEDBACK: 4_000}
WEBINAR_FEEDBACK = 0.35  # share of attendances followed by a rating
ORGANISATIONS = (*(d.name for d in DEPARTMENTS), "Resident", *NEIGHBOURING_CITIES)
STAFF, RESIDENT, NEIGHBOUR = range(3)
# Per kind of event, how likely each group is to do it, relative to its activity.
GROUP_AFFINITY = {
    POST: (1.0, 1.3, 0.8), SHARED: (1.0, 0.15, 1.0), IMPLEMENTED: (1.0, 0.1, 1.3),
    FEEDBACK: (1.0, 1.0, 1.0),
}
# Activity by hour of day, UTC (the city is six hours behind): 00:00 UTC first.
UTC_HOURS = (3.0, 2.0, 1.2, 0.6, 0.3, 0.2, 0.2, 0.2, 0.3, 0.4, 0.6, 1.0,
             2.0, 3.5, 4.5, 5.0, 5.0, 4.8, 4.5, 4.2, 4.0, 3.8, 3.6, 3.4)
DOWNLOADS_PER_MONTH = (350, 1_500)  # in the first and the last month, outside budget season
ANONYMOUS_DOWNLOADS = 0.85  # share of downloads by visitors who are not signed in
BUDGET_PEAK = 6.0  # budget_lines downloads are 1 + this times as many on adoption day
# Downloads by day of the week, Monday first (mean 1).
DOWNLOAD_WEEKDAYS = (1.15, 1.2, 1.2, 1.15, 1.0, 0.6, 0.7)
RATINGS_GOOD = (0.02, 0.05, 0.15, 0.45, 0.33)
RATINGS_FAIR = (0.06, 0.12, 0.27, 0.40, 0.15)
_TOPIC_P = np.array(TOPIC_WEIGHTS) / sum(TOPIC_WEIGHTS)


@dataclass
class Events:
    time: np.ndarray
    kind: np.ndarray
    member: np.ndarray  # index into members, in sign-up order; -1 for an anonymous download
    topic: np.ndarray  # index into TOPICS, then DATASET_IDS (len(TOPICS) + i); -1 for none
    practice: np.ndarray  # practice number from 1, 0 for none
    rating: np.ndarray  # 1..5, 0 for none


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the day (UTC) at which n residents or members are active."""
    cdf = np.cumsum(UTC_HOURS) / np.sum(UTC_HOURS)
    hour = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), 23)
    return hour * HOUR + rng.integers(0, HOUR, n)


def _schedule() -> tuple[np.ndarray, np.ndarray]:
    """Webinar start times (sorted), and which are the big ones of the year.

    Second Tuesday of the month at 16:00 UTC; from mid-2024 also the fourth Thursday of every
    other month at 15:00 UTC. March's regular session is Open Data Day, October's the summit.
    """
    calendar = days()
    nth = (calendar.day - 1) // 7  # 0 for the first such weekday of the month
    month_index = (calendar.year - calendar.year[0]) * 12 + calendar.month - calendar.month[0]
    regular = (calendar.weekday == 1) & (nth == 1)
    extra = (calendar.weekday == 3) & (nth == 3) & (month_index >= 8) & (month_index % 2 == 0)
    start = np.concatenate([
        calendar.epoch[regular] * DAY + 16 * HOUR, calendar.epoch[extra] * DAY + 15 * HOUR,
    ])
    month = np.concatenate([calendar.month[regular], calendar.month[extra]])
    big = np.concatenate([np.isin(calendar.month[regular], [3, 10]), np.zeros(extra.sum(), bool)])
    order = np.argsort(start, kind="stable")
    return start[order], np.where(big[order], month[order], 0)


def _sign_ups(rng: np.random.Generator, session_start: np.ndarray) -> np.ndarray:
    """Sign-up times of every member, sorted."""
    calendar = days()
    age = np.arange(len(calendar))
    weight = 0.5 + 1.0 * calendar.progress  # the platform grows
    weight = weight * (1 + 30 * np.exp(-age / 10.0))  # launch: staff invited in the first weeks
    weight = weight * np.where(calendar.weekday >= 5, 0.45, 1.0)
    # People join in the days before a webinar to attend it.
    session_day = session_start // DAY - calendar.first
    bump = 0.8 * weight[session_day]
    for lead in (0, 1, 2):
        np.add.at(weight, np.clip(session_day - lead, 0, None), bump)
    counts = rng.multinomial(MEMBERS, weight / weight.sum())
    day = np.repeat(calendar.epoch, counts)
    time = day * DAY + time_of_day(rng, MEMBERS)
    return np.sort(time)


def _choose(
    rng: np.random.Generator, cumulative: np.ndarray, n: int, limit: np.ndarray | None = None
) -> np.ndarray:
    """Indices drawn with probability proportional to the weights behind cumulative.

    With limit (one per draw), only the first limit[i] indices can be drawn.
    """
    top = cumulative[-1] if limit is None else cumulative[np.maximum(limit, 1) - 1]
    chosen = np.searchsorted(cumulative, rng.random(n) * top, side="right")
    return np.minimum(chosen, len(cumulative) - 1 if limit is None else np.maximum(limit, 1) - 1)


@dataclass
class Members:
    """One element per member, in sign-up order."""

    sign_up: np.ndarray
    activity: np.ndarray  # relative: a few members do most of the posting
    group: np.ndarray  # STAFF, RESIDENT or NEIGHBOUR
    organisation: np.ndarray  # index into ORGANISATIONS
    interest: np.ndarray  # index into TOPICS


def _events(
    kind: int,
    time: np.ndarray,
    member: np.ndarray,
    topic: np.ndarray,
    practice: np.ndarray | None = None,
    rating: np.ndarray | None = None,
) -> Events:
    zeros = np.zeros(len(member), np.int64)
    return Events(time, np.full(len(member), kind), member, topic,
                  zeros if practice is None else practice, zeros if rating is None else rating)


def _members(rng: np.random.Generator, session_start: np.ndarray) -> Members:
    group = rng.choice(3, size=MEMBERS, p=[0.55, 0.28, 0.17])
    size = np.sqrt([d.budget_fy2023 for d in DEPARTMENTS])  # bigger departments, more members
    department = rng.choice(len(DEPARTMENTS), MEMBERS, p=size / size.sum())
    neighbour = len(DEPARTMENTS) + 1 + rng.integers(0, len(NEIGHBOURING_CITIES), MEMBERS)
    return Members(
        sign_up=_sign_ups(rng, session_start),
        activity=rng.lognormal(0.0, 1.1, MEMBERS),
        group=group,
        organisation=np.select([group == STAFF, group == RESIDENT],
                               [department, len(DEPARTMENTS)], neighbour),
        interest=rng.choice(len(TOPICS), size=MEMBERS, p=_TOPIC_P),
    )


def _webinar_events(rng: np.random.Generator, members: Members) -> list[Events]:
    """Attendance, and the ratings some attendees leave after the session."""
    start, big = _schedule()
    topic = rng.choice(len(TOPICS), size=len(start), p=_TOPIC_P)
    topic = np.where(big == 3, TOPICS.index("Open data"), topic)
    pull = rng.lognormal(0.0, 0.3, len(start)) * np.select([big == 3, big == 10], [4.0, 3.0], 1.0)
    # Attendees are members who had joined by then, the more active the likelier.
    eligible = np.searchsorted(members.sign_up, start - 900)
    size = eligible * pull
    session = np.repeat(np.arange(len(start)), rng.multinomial(VOLUMES[WEBINAR], size / size.sum()))
    attendee = _choose(rng, np.cumsum(members.activity), len(session), limit=eligible[session])
    _, first = np.unique(session * MEMBERS + attendee, return_index=True)  # once per session
    session, attendee = session[np.sort(first)], attendee[np.sort(first)]
    joined = start[session] + rng.integers(-300, 1200, len(session))

    rates = rng.random(len(session)) < WEBINAR_FEEDBACK
    good = rng.random(len(start)) < 0.7  # most sessions go well
    ratings = np.where(good[session], _ratings(rng, RATINGS_GOOD, len(session)),
                       _ratings(rng, RATINGS_FAIR, len(session)))
    rated_at = start[session] + HOUR + rng.integers(0, 90 * 60, len(session))
    return [
        _events(WEBINAR, joined, attendee, topic[session]),
        _events(FEEDBACK, rated_at[rates], attendee[rates], topic[session][rates],
                rating=ratings[rates]),
    ]


def _any_time(rng: np.random.Generator, members: Members, kind: int) -> tuple[np.ndarray, ...]:
    """Moments and members for events that can happen any time after joining."""
    exposure = np.maximum(END_SECOND - members.sign_up - 2 * HOUR, 0)
    affinity = np.array(GROUP_AFFINITY[kind])[members.group]
    member = _choose(rng, np.cumsum(members.activity * exposure * affinity), VOLUMES[kind])
    joined = members.sign_up[member]
    moment = joined + HOUR + (rng.random(len(member)) * exposure[member]).astype(np.int64)
    # Move to a typical hour of that day, unless that falls before the member joined.
    typical = moment // DAY * DAY + time_of_day(rng, len(member))
    moment = np.where(typical > joined + 60, typical, moment)
    return np.minimum(moment, END_SECOND - 1), member


def draw(rng: np.random.Generator) -> tuple[Events, np.ndarray]:
    """All events in time order, and each member's organisation index."""
    members = _members(rng, _schedule()[0])
    parts = [_events(SIGN_UP, members.sign_up, np.arange(MEMBERS), members.interest)]
    parts += _webinar_events(rng, members)

    moment, member = _any_time(rng, members, POST)
    topic = np.where(rng.random(len(member)) < 0.6, members.interest[member],
                     rng.choice(len(TOPICS), size=len(member), p=_TOPIC_P))
    parts.append(_events(POST, moment, member, topic))
    moment, member = _any_time(rng, members, FEEDBACK)
    topic = rng.choice(len(TOPICS), size=len(member), p=_TOPIC_P)
    parts.append(_events(FEEDBACK, moment, member, topic,
                         rating=_ratings(rng, RATINGS_GOOD, len(member))))
    shared = _any_time(rng, members, SHARED)
    implemented = _any_time(rng, members, IMPLEMENTED)
    parts += _practices(rng, shared, implemented, members.interest)
    # Last, so the draws above (the platform's own events) are the same with or without them.
    parts.append(_downloads(rng, members))

    names = [f.name for f in fields(Events)]
    merged = {name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    order = np.lexsort((merged["member"], merged["kind"], merged["time"]))
    return Events(**{name: merged[name][order] for name in names}), members.organisation


def _downloads(rng: np.random.Generator, members: Members) -> Events:
    """Dataset downloads from the open-data site, mostly anonymous."""
    calendar = days()
    first, last = DOWNLOADS_PER_MONTH
    per_day = first * (last / first) ** calendar.progress * 12 / 365.25
    per_day = per_day * np.array(DOWNLOAD_WEEKDAYS)[calendar.weekday]
    peak = np.where(np.array(DATASET_IDS) == "budget_lines", BUDGET_PEAK, 0.0)
    rate = (np.array(DATASET_WEIGHTS)[:, None] * per_day[None, :]
            * (1 + peak[:, None] * budget_season(calendar)[None, :]))
    counts = rng.poisson(rate).ravel()
    dataset, day = np.divmod(np.repeat(np.arange(counts.size), counts), len(calendar))
    time = calendar.epoch[day] * DAY + time_of_day(rng, len(day))
    # Signed-in downloads come from members who had joined by then, the more active the likelier.
    joined = np.searchsorted(members.sign_up, time - 60)
    signed_in = (rng.random(len(day)) >= ANONYMOUS_DOWNLOADS) & (joined > 0)
    chosen = _choose(rng, np.cumsum(members.activity), len(day), limit=joined)
    member = np.where(signed_in, chosen, -1)
    return _events(DOWNLOAD, np.minimum(time, END_SECOND - 1), member, len(TOPICS) + dataset)


def _ratings(rng: np.random.Generator, p: tuple[float, ...], n: int) -> np.ndarray:
    return rng.choice(np.arange(1, 6), size=n, p=np.array(p) / sum(p))


def _practices(
    rng: np.random.Generator,
    shared: tuple[np.ndarray, np.ndarray],
    implemented: tuple[np.ndarray, np.ndarray],
    interest: np.ndarray,
) -> list[Events]:
    """Practices shared (numbered in time order) and implemented later by other members."""
    moment, member = shared
    order = np.argsort(moment, kind="stable")
    shared_at, sharer = moment[order], member[order]
    practice_topic = np.where(rng.random(len(sharer)) < 0.7, interest[sharer],
                              rng.integers(0, len(TOPICS), len(sharer)))
    number = np.arange(1, len(sharer) + 1)

    moment, member = implemented
    available = np.searchsorted(shared_at, moment, side="left")  # shared strictly before
    # Recent practices are the likelier to be picked up.
    chosen = np.minimum((available * rng.power(2.0, len(moment))).astype(np.int64),
                        np.maximum(available - 1, 0))
    keep = (available > 0) & (sharer[chosen] != member)
    moment, member, chosen = moment[keep], member[keep], chosen[keep]
    _, first = np.unique(chosen * MEMBERS + member, return_index=True)  # once per member
    first = np.sort(first)
    moment, member, chosen = moment[first], member[first], chosen[first]
    return [
        _events(SHARED, shared_at, sharer, practice_topic, practice=number),
        _events(IMPLEMENTED, moment, member, practice_topic[chosen], practice=number[chosen]),
    ]


def write(out_dir: Path, seed: int) -> Written:
    rng = np.random.default_rng([seed, 4])
    events, organisation = draw(rng)
    n = len(events.time)
    signed_in = events.member >= 0
    member = np.maximum(events.member, 0)
    columns: list[pa.Array] = [
        formats.concat("E", formats.padded(np.arange(1, n + 1), 7)),
        formats.timestamps(events.time, formats.ISO_DATE, formats.ISO_TIME, "T", "Z"),
        formats.labels(EVENT_TYPES, events.kind),
        _null_where(formats.concat("M", formats.padded(member + 1, 6)), ~signed_in),
        formats.labels(ORGANISATIONS, organisation[member], valid=signed_in),
        formats.labels((*TOPICS, *DATASET_IDS), np.maximum(events.topic, 0),
                       valid=events.topic >= 0),
        _null_where(formats.concat("P", formats.padded(events.practice, 5)), events.practice == 0),
        _null_where(formats.text(events.rating), events.rating == 0),
    ]
    return write_csv(out_dir / FILE_NAME, HEADER, [Chunk(columns)], compress=True)


def _null_where(column: pa.Array, blank: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), column)
