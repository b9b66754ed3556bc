"""What the pipeline health page reads: the recent runs with their row counts, each source's
freshness against its schedule, and the quarantine of the current snapshot.

A source's last load is read from the current snapshot's lineage (`meta.source_loads`), so it
is the load behind the data the site shows now: after a rollback, sources are as fresh as the
snapshot rolled back to. A source is late when a scheduled load fell due after its last load
and a grace period has passed since without a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from apscheduler.triggers.cron import CronTrigger

from appdb.db import utc
from appdb.runs import RunLog
from etl.mapping import Schedule
from opendata.stream import batches, csv_select

# A scheduled run may start up to 15 minutes late (etl.scheduler's misfire grace) and then
# takes its time: a load is late only this long after it fell due, or one schedule period
# when that is shorter (a source loaded every 5 minutes is late 5 minutes after it was due).
GRACE = timedelta(minutes=30)

# The validator names the earlier row of a duplicate ("duplicate of row 142 of /x.csv"): one
# reason a row. Counted together, they say what happened.
_DUPLICATE = r"^duplicate of row \d+ of .*$"
_REASON = f"regexp_replace(q.reason, '{_DUPLICATE}', 'duplicate of an earlier row')"
# The table etl.load writes (named here, not imported: etl.load brings pandas and pandera).
_WITH_TABLE = ("FROM quarantine AS q LEFT JOIN meta.source_loads AS l "
               "ON l.run_id = q.run_id AND l.source = q.source")
# The quarantined rows as the CSV download has them: (name, dictionary type), in order.
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "string"), ("table", "string"), ("run_id", "string"), ("origin", "string"),
    ("row", "integer"), ("column", "string"), ("value", "string"), ("reason", "string"))
QUARANTINE_ROWS = (
    'SELECT q.source, l.table_name AS "table", q.run_id, q.origin, q."row", '
    'q.column_name AS "column", q.value, q.reason '
    f'{_WITH_TABLE} ORDER BY q.source, q.origin, q."row", q.column_name')


@dataclass(frozen=True)
class RunSummary:
    """One run of the run log, with its sources' rows added up."""

    run_id: str
    trigger: str
    status: str
    started_at: datetime
    seconds: float | None
    snapshot_id: str | None
    error: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


@dataclass(frozen=True)
class Load:
    """A source's latest load in a snapshot."""

    run_id: str
    table: str
    at: datetime


@dataclass(frozen=True)
class Freshness:
    source: str
    table: str
    schedule: str | None  # in words; None: loaded only when someone runs it
    last_load: datetime | None
    due: datetime | None  # the first scheduled load after the last one
    late: bool


@dataclass(frozen=True)
class HeldBack:
    """Quarantined rows of one source, column and reason."""

    source: str
    table: str | None
    column: str
    reason: str
    rows: int
    last_run: str


def recent_runs(database_url: str, limit: int = 20) -> list[RunSummary]:
    """The latest runs, newest first."""
    return [_summary(run) for run in RunLog(database_url).recent(limit)]


def _summary(run: dict[str, Any]) -> RunSummary:
    def total(key: str) -> int:
        return sum(int(s.get(key) or 0) for s in run["sources"])

    return RunSummary(run["run_id"], run["trigger"], run["status"],
                      utc(datetime.fromisoformat(run["started_at"])), run["duration_s"],
                      run["snapshot_id"], run["error"], total("rows_read"),
                      total("rows_loaded"), total("rows_quarantined"))


def source_loads(cursor: duckdb.DuckDBPyConnection) -> dict[str, Load]:
    """Each source's latest load in the snapshot behind cursor (none before lineage existed)."""
    try:
        rows = cursor.execute(
            "SELECT l.source, l.table_name, l.run_id, epoch(r.built_at) "
            "FROM meta.source_loads AS l JOIN meta.runs AS r USING (run_id) "
            "QUALIFY row_number() OVER (PARTITION BY l.source ORDER BY l.run_id DESC) = 1"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {source: Load(run_id, table, datetime.fromtimestamp(at, UTC))
            for source, table, run_id, at in rows}


def freshness(sources_file: Path, loads: dict[str, Load], now: datetime) -> list[Freshness]:
    """Every source of sources.yaml against its schedule, in the file's order; ConfigError
    when the file is wrong."""
    # Imported when asked: the sources' models bring polars and requests, about 30 MB that a
    # web worker showing other pages need not hold.
    from etl.domains import all_domains
    from etl.sources_config import load_sources

    sources = load_sources(sources_file)
    domains = all_domains()
    found = []
    for name, source in sources.items():
        load = loads.get(name)
        due = next_due(source.schedule, load.at) if source.schedule and load else None
        found.append(Freshness(
            source=name, table=load.table if load else domains[source.domain].table,
            schedule=schedule_words(source.schedule) if source.schedule else None,
            last_load=load.at if load else None, due=due,
            late=due is not None and now > due + grace(source.schedule, due)))
    return found


def schedule_words(schedule: Schedule) -> str:
    if schedule.interval_minutes is not None:
        minutes = schedule.interval_minutes
        return "every minute" if minutes == 1 else f"every {minutes} minutes"
    trigger = _cron(schedule)
    return f"cron {' '.join(schedule.cron.split())} ({trigger.timezone})"


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first time the schedule asks for a load after `after`."""
    if schedule.interval_minutes is not None:
        return after + timedelta(minutes=schedule.interval_minutes)
    return utc(_cron(schedule).get_next_fire_time(None, after))


def grace(schedule: Schedule, due: datetime) -> timedelta:
    """How long after `due` a load may still arrive before the source counts as late."""
    if schedule.interval_minutes is not None:
        return min(GRACE, timedelta(minutes=schedule.interval_minutes))
    return min(GRACE, next_due(schedule, due + timedelta(seconds=1)) - due)


def _cron(schedule: Schedule) -> CronTrigger:
    # Read as the scheduler reads it (etl.scheduler): five fields, the server's time zone.
    return CronTrigger.from_crontab(" ".join(schedule.cron.split()))


def quarantine_summary(cursor: duckdb.DuckDBPyConnection) -> list[HeldBack]:
    """The snapshot's quarantined rows counted by source, column and reason, most first."""
    try:
        rows = cursor.execute(
            # "why", not "reason": GROUP BY would take the column of that name first.
            f"SELECT q.source, any_value(l.table_name), q.column_name, {_REASON} AS why, "
            f"count(*) AS held, max(q.run_id) {_WITH_TABLE} "
            "GROUP BY q.source, q.column_name, why ORDER BY q.source, held DESC, why"
        ).fetchall()
    except duckdb.CatalogException:  # no source has run into this snapshot yet
        return []
    return [HeldBack(*row) for row in rows]



def quarantine_rows(cursor: duckdb.DuckDBPyConnection) -> pa.RecordBatchReader | None:
    """The snapshot's quarantined rows (QUARANTINE_COLUMNS) as batches for a CSV, text that a
    spreadsheet would take for a formula defused as the open-data downloads do; None when the
    snapshot has no quarantine."""
    try:
        return batches(cursor, f"SELECT {csv_select(QUARANTINE_COLUMNS)} "
                               f"FROM ({QUARANTINE_ROWS})", [])
    except duckdb.CatalogException:
        return None
