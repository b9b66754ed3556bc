"""The community page's monthly counts: platform activity and the site's feedback answers.

Two small aggregates, one row a month, each computed in DuckDB in one pass over its table and
cached per snapshot by the page. Only complete months are kept (as kpis/compute.py does): a
month reaching past the newest record is left out. No free text is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from warehouse.connect import has_table

# A monthly average of fewer scores than this is not shown: a handful of members' answers
# would be close to personal, and too few to mean much.
MIN_SCORES = 10
WINDOW_MONTHS = 12


@dataclass(frozen=True)
class ActivityMonth:
    """One month of the community platform."""

    month: date  # first day of the month
    sign_ups: int
    members: int  # sign-ups from the start of the data to the end of this month
    contributors: int  # different members who posted or shared a practice
    posts: int
    practices_shared: int
    practices_implemented: int
    webinar_attendances: int
    downloads: int
    scores: int  # feedback scores given
    satisfaction: float | None  # their average, 1 to 5; None under MIN_SCORES


@dataclass(frozen=True)
class FeedbackMonth:
    """One month of "Was this page useful?" answers given on the site."""

    month: date
    useful_yes: int
    useful_no: int
    comment_only: int  # a comment with no yes or no (its words never leave the app database)

    @property
    def total(self) -> int:
        return self.useful_yes + self.useful_no + self.comment_only


@dataclass(frozen=True)
class EngagementFacts:
    activity: tuple[ActivityMonth, ...]  # oldest first
    feedback: tuple[FeedbackMonth, ...]  # oldest first

    @property
    def last_month(self) -> date | None:
        """The newest complete month of either table."""
        months = [rows[-1].month for rows in (self.activity, self.feedback) if rows]
        return max(months) if months else None


def engagement_facts(cursor: duckdb.DuckDBPyConnection) -> EngagementFacts:
    """Every complete month's platform activity and site feedback, from this snapshot."""
    return EngagementFacts(
        activity=tuple(ActivityMonth(*row) for row in _activity(cursor)),
        feedback=tuple(FeedbackMonth(*row) for row in _feedback(cursor)),
    )


def _activity(cursor: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not has_table(cursor, "engagement_events"):
        return []
    return cursor.execute(f"""
        WITH monthly AS (
            SELECT date_trunc('month', occurred_at) AS month,
                   count(*) FILTER (WHERE event_type = 'sign_up') AS sign_ups,
                   count(DISTINCT member_id) FILTER (
                       WHERE event_type IN ('post', 'practice_shared')) AS contributors,
                   count(*) FILTER (WHERE event_type = 'post') AS posts,
                   count(*) FILTER (WHERE event_type = 'practice_shared') AS shared,
                   count(*) FILTER (WHERE event_type = 'practice_implemented') AS implemented,
                   count(*) FILTER (WHERE event_type = 'webinar_attended') AS webinars,
                   count(*) FILTER (WHERE event_type = 'dataset_downloaded') AS downloads,
                   count(satisfaction) FILTER (WHERE event_type = 'feedback') AS scores,
                   avg(satisfaction) FILTER (WHERE event_type = 'feedback') AS satisfaction
            FROM engagement_events GROUP BY 1),
        bounds AS (SELECT CAST(max(occurred_at) AS DATE) + 1 AS data_end
                   FROM engagement_events)
        SELECT CAST(month AS DATE), sign_ups,
               CAST(sum(sign_ups) OVER (ORDER BY month) AS BIGINT), contributors, posts,
               shared, implemented, webinars, downloads, scores,
               CASE WHEN scores >= {MIN_SCORES} THEN satisfaction END
        FROM monthly, bounds
        QUALIFY month + INTERVAL 1 MONTH <= data_end
        ORDER BY month
    """).fetchall()


def _feedback(cursor: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not has_table(cursor, "citizen_feedback"):
        return []
    return cursor.execute("""
        WITH monthly AS (
            SELECT date_trunc('month', submitted_at) AS month,
                   count(*) FILTER (WHERE useful) AS yes,
                   count(*) FILTER (WHERE NOT useful) AS no,
                   count(*) FILTER (WHERE useful IS NULL) AS comment_only
            FROM citizen_feedback GROUP BY 1),
        bounds AS (SELECT CAST(max(submitted_at) AS DATE) + 1 AS data_end
                   FROM citizen_feedback)
        SELECT CAST(month AS DATE), yes, no, comment_only
        FROM monthly, bounds
        WHERE month + INTERVAL 1 MONTH <= data_end
        ORDER BY month
    """).fetchall()


def months_back(last: date, months: int) -> date:
    """The first day of the month `months - 1` months before `last`'s: a window's start."""
    index = last.year * 12 + last.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def window(facts: EngagementFacts, months: int | None) -> EngagementFacts:
    """The facts of the last `months` months (None: all), ending at the newest complete month."""
    last = facts.last_month
    if months is None or last is None:
        return facts
    start = months_back(last, months)
    return EngagementFacts(
        activity=tuple(row for row in facts.activity if row.month >= start),
        feedback=tuple(row for row in facts.feedback if row.month >= start),
    )
