"""Compute every KPI into the staged snapshot, so pages read small precomputed tables.

Each KPI's query runs once city-wide and once per breakdown. Its rows become `kpi.series`
(value, status against target, previous period, same period a year before), `kpi.definitions`
holds the catalogue as it was, and `kpi.lineage` says which catalogue version, query, snapshot
and runs each KPI's values came from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from etl.domains import all_domains
from etl.errors import EtlError
from kpis.catalogue import Catalogue, Kpi
from kpis.initiative_evidence import TABLE as EVIDENCE_TABLE
from kpis.initiative_evidence import compute_evidence
from kpis.targets import TOTALS, Rules, TargetRule, sql_in_force
from warehouse.connect import has_table

log = logging.getLogger(__name__)

STEP = {"month": "INTERVAL 1 MONTH", "quarter": "INTERVAL 3 MONTH",
        "fiscal_year": "INTERVAL 1 YEAR"}
LABEL = {  # SQL naming the period starting on {d}
    "month": "strftime({d}, '%b %Y')",
    "quarter": "CAST(year({d}) AS VARCHAR) || ' Q' || CAST(quarter({d}) AS VARCHAR)",
    "fiscal_year": "'FY' || CAST(fiscal_year({d}) AS VARCHAR)",
}
SCORE_CAP = 1.5  # one KPI far past its target must not hide others that miss theirs


class KpiError(EtlError):
    """A KPI's query failed or returned the wrong columns; the message names the KPI."""


@dataclass(frozen=True)
class Outcome:
    kpi_id: str
    rows: int
    note: str  # empty, or why the KPI has no values


def define_macros(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Helpers KPI queries may use: fiscal_year(date) under the catalogue's fiscal year."""
    start = catalogue.fiscal_year_starts
    connection.execute(f"""
        CREATE OR REPLACE TEMP MACRO fiscal_year(d) AS CAST(
            year(d) + CASE WHEN {start} > 1 AND month(d) >= {start} THEN 1 ELSE 0 END AS INTEGER);
        CREATE OR REPLACE TEMP MACRO fiscal_year_start(fy) AS
            make_date(CAST(fy AS INTEGER) - CASE WHEN {start} > 1 THEN 1 ELSE 0 END, {start}, 1);
    """)


def tables_read(connection: duckdb.DuckDBPyConnection, kpi: Kpi) -> set[str]:
    """The tables the KPI's query names (a name it cannot parse is a query error)."""
    try:
        return connection.get_table_names(kpi.sql(None))
    except duckdb.Error as exc:
        raise KpiError(f"KPI '{kpi.id}': its query failed: {_first_line(exc)}") from None


def missing_tables(connection: duckdb.DuckDBPyConnection, kpi: Kpi) -> list[str]:
    """Domain tables the KPI reads that no source has loaded into this snapshot."""
    referenced = tables_read(connection, kpi)
    domain_tables = {d.table for d in all_domains().values()}
    present = {name for (name,) in connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    return sorted((referenced & domain_tables) - present)


def evaluate(connection: duckdb.DuckDBPyConnection, kpi: Kpi, table: str) -> int:
    """Run the KPI's queries into the temp table `table` (breakdown, breakdown_value, period,
    value); return its rows. Raise KpiError naming the KPI when a query fails or is malformed."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} (breakdown VARCHAR, "
                       "breakdown_value VARCHAR, period_start DATE, value DOUBLE)")
    for breakdown in (None, *kpi.breakdowns):
        sql = kpi.sql(breakdown)
        where = f"KPI '{kpi.id}'" + (f" (breakdown {breakdown})" if breakdown else "")
        try:
            columns = connection.execute(f"SELECT * FROM ({sql}) LIMIT 0").description
        except duckdb.Error as exc:
            raise KpiError(f"{where}: its query failed: {_first_line(exc)}") from None
        _check_columns(kpi, where, [(name, str(kind)) for name, kind, *_ in columns])
        period = ("fiscal_year_start(period)" if kpi.period == "fiscal_year"
                  else "CAST(period AS DATE)")
        member = "CAST(breakdown AS VARCHAR)" if breakdown else "NULL"
        try:
            connection.execute(f"""
                INSERT INTO {table}
                SELECT ?, {member}, {period}, CAST(value AS DOUBLE)
                FROM ({sql}) WHERE period IS NOT NULL AND value IS NOT NULL
                  AND isfinite(CAST(value AS DOUBLE))
            """, [breakdown])
        except duckdb.Error as exc:
            raise KpiError(f"{where}: its query failed: {_first_line(exc)}") from None
    return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _check_columns(kpi: Kpi, where: str, columns: list[tuple[str, str]]) -> None:
    expected = ["period", "breakdown", "value"] if kpi.breakdowns else ["period", "value"]
    names = [name for name, _ in columns]
    if sorted(names) != sorted(expected):
        raise KpiError(f"{where}: its query returns columns ({', '.join(names)}); expected "
                       f"({', '.join(expected)})")
    kinds = dict(columns)
    period_ok = (kinds["period"] in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")
                 if kpi.period == "fiscal_year"
                 else kinds["period"] in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"))
    if not period_ok:
        wanted = ("an integer fiscal year" if kpi.period == "fiscal_year"
                  else "a date (the first day of the period)")
        raise KpiError(f"{where}: column 'period' is {kinds['period']}, but a {kpi.period} "
                       f"KPI needs {wanted}")
    numeric = kinds["value"].startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL", "HUGEINT")) or \
        kinds["value"] in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UBIGINT", "UINTEGER")
    if not numeric:
        raise KpiError(f"{where}: column 'value' is {kinds['value']}, not a number")


def compute_kpis(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, snapshot_id: str,
                 run_id: str, targets: Rules | None = None) -> list[Outcome]:
    """Replace the `kpi` schema of the staged snapshot with values computed from its tables,
    each period judged by the target in force then (targets: changes made since the catalogue's,
    by KPI id); and measure the initiatives' evidence from those values.

    A KPI that reads the evidence (the share of initiatives with measured evidence) is computed
    after it, from the other KPIs' values."""
    define_macros(connection, catalogue)
    _create_tables(connection)
    positions = {kpi.id: position for position, kpi in enumerate(catalogue.kpis)}
    later = [k for k in catalogue.kpis if EVIDENCE_TABLE in tables_read(connection, k)]
    outcomes = {}
    for kpi in [k for k in catalogue.kpis if k not in later]:
        outcomes[kpi.id] = _compute(connection, catalogue, kpi, positions[kpi.id], snapshot_id,
                                    run_id, targets)
    compute_evidence(connection, catalogue.evidence_periods)
    for kpi in later:
        outcomes[kpi.id] = _compute(connection, catalogue, kpi, positions[kpi.id], snapshot_id,
                                    run_id, targets)
    connection.execute("DROP TABLE IF EXISTS kpi_raw")
    return [outcomes[kpi.id] for kpi in catalogue.kpis]


def _compute(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, kpi: Kpi,
             position: int, snapshot_id: str, run_id: str, targets: Rules | None) -> Outcome:
    _insert_definition(connection, catalogue, kpi, position)
    missing = missing_tables(connection, kpi)
    if missing:
        note = f"no data: {', '.join(missing)} not loaded"
        rows = 0
    else:
        evaluate(connection, kpi, "kpi_raw")
        rows = _insert_series(connection, catalogue, kpi, (targets or {}).get(kpi.id, ()))
        note = "" if rows else "no data: the query returned no complete period"
    _insert_lineage(connection, catalogue, kpi, snapshot_id, rows, note)
    log.info("run=%s step=kpi kpi=%s rows=%d%s", run_id, kpi.id, rows,
             f" note={note!r}" if note else "")
    return Outcome(kpi.id, rows, note)


def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("""
        DROP SCHEMA IF EXISTS kpi CASCADE;
        CREATE SCHEMA kpi;
        CREATE TABLE kpi.definitions (
            kpi_id VARCHAR PRIMARY KEY, position INTEGER, title VARCHAR, description VARCHAR,
            method VARCHAR, domain VARCHAR, unit VARCHAR, decimals INTEGER, direction VARCHAR,
            target DOUBLE, amber DOUBLE, period VARCHAR, audience VARCHAR, owner VARCHAR,
            breakdowns VARCHAR[], query VARCHAR, catalogue_version VARCHAR);
        CREATE TABLE kpi.series (
            kpi_id VARCHAR, breakdown VARCHAR, breakdown_value VARCHAR, period_start DATE,
            period_label VARCHAR, value DOUBLE, status VARCHAR, previous_value DOUBLE,
            previous_label VARCHAR, year_ago_value DOUBLE, is_latest BOOLEAN, score DOUBLE,
            catalogue_version VARCHAR);
        CREATE TABLE kpi.lineage (
            kpi_id VARCHAR PRIMARY KEY, catalogue_version VARCHAR, snapshot_id VARCHAR,
            query VARCHAR, tables VARCHAR[], run_ids VARCHAR[], computed_at TIMESTAMPTZ,
            rows BIGINT, note VARCHAR);
    """)


def _insert_definition(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, kpi: Kpi,
                       position: int) -> None:
    connection.execute(
        "INSERT INTO kpi.definitions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [kpi.id, position, kpi.title, kpi.description.strip(), kpi.method.strip(), kpi.domain,
         kpi.unit, kpi.places, kpi.direction, kpi.target, kpi.amber, kpi.period, kpi.audience,
         kpi.owner, list(kpi.breakdowns), kpi.query.strip(), catalogue.version])


def _data_end(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, kpi: Kpi) -> str:
    """SQL for the first day not covered by the KPI's data: periods ending after it are cut."""
    query = catalogue.data_end.get(kpi.domain)
    if query is None:
        return "current_date"
    try:
        (end,) = connection.execute(f"SELECT CAST(({query}) AS DATE) + 1").fetchone()
    except duckdb.CatalogException:
        return "current_date"  # the domain's table is not loaded: no end to go by
    except duckdb.Error as exc:
        raise KpiError(f"data_end of domain '{kpi.domain}' (for KPI '{kpi.id}') failed: "
                       f"{_first_line(exc)}") from None
    return "current_date" if end is None else f"DATE '{end}'"


def _insert_series(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, kpi: Kpi,
                   rules: Sequence[TargetRule]) -> int:
    step = STEP[kpi.period]
    keep = (f"period_start + {step} <= {_data_end(connection, catalogue, kpi)}"
            if kpi.complete_periods_only else "true")
    same = ("s.breakdown IS NOT DISTINCT FROM y.breakdown "
            "AND s.breakdown_value IS NOT DISTINCT FROM y.breakdown_value")
    before = connection.execute("SELECT count(*) FROM kpi.series").fetchone()[0]
    connection.execute(f"""
        INSERT INTO kpi.series
        WITH kept AS (SELECT * FROM kpi_raw WHERE {keep}),
        ordered AS (
            SELECT *, {LABEL[kpi.period].format(d='period_start')} AS period_label,
                   lag(value) OVER w AS previous_value,
                   lag(period_start) OVER w AS previous_start,
                   row_number() OVER (PARTITION BY breakdown, breakdown_value
                                      ORDER BY period_start DESC) = 1 AS is_latest
            FROM kept
            WINDOW w AS (PARTITION BY breakdown, breakdown_value ORDER BY period_start))
        SELECT ?, s.breakdown, s.breakdown_value, s.period_start, s.period_label, s.value,
               {_status(kpi, 's.value', rules)}, s.previous_value,
               {LABEL[kpi.period].format(d='s.previous_start')},
               y.value, s.is_latest, {_score(kpi, 's.value', rules)}, ?
        FROM ordered s LEFT JOIN kept y
          ON {same} AND y.period_start = s.period_start - INTERVAL 1 YEAR
        ORDER BY s.breakdown NULLS FIRST, s.breakdown_value, s.period_start
    """, [kpi.id, catalogue.version])
    return connection.execute("SELECT count(*) FROM kpi.series").fetchone()[0] - before


def _status(kpi: Kpi, value: str, rules: Sequence[TargetRule]) -> str:
    """SQL: 'green' on or past the target in force, 'amber' short of it but past the amber
    threshold (kpis/targets.py `status` in Python).

    A count or a sum of dollars for one group is a part of the city's total, so a group is not
    judged against the city-wide target: its status is NULL."""
    better = ">=" if kpi.direction == "higher" else "<="
    target = sql_in_force(rules, "s.period_start", kpi.target, "target")
    amber = sql_in_force(rules, "s.period_start", kpi.amber, "amber")
    judged = (f"CASE WHEN {value} {better} {target} THEN 'green' "
              f"WHEN {value} {better} {amber} THEN 'amber' ELSE 'red' END")
    if kpi.unit in TOTALS:
        return f"CASE WHEN s.breakdown IS NULL THEN {judged} END"
    return judged


def _score(kpi: Kpi, value: str, rules: Sequence[TargetRule]) -> str:
    """SQL: value against the target in force, 1 on target, inverted where lower is better,
    capped."""
    target = sql_in_force(rules, "s.period_start", kpi.target, "target")
    if kpi.direction == "higher":
        return f"least({SCORE_CAP}, greatest(0, {value} / nullif({target}, 0)))"
    return (f"CASE WHEN {value} <= 0 THEN {SCORE_CAP} "
            f"ELSE least({SCORE_CAP}, {target} / {value}) END")


def _insert_lineage(connection: duckdb.DuckDBPyConnection, catalogue: Catalogue, kpi: Kpi,
                    snapshot_id: str, rows: int, note: str) -> None:
    tables = sorted(tables_read(connection, kpi))
    # The newest run of each source that loaded one of the KPI's tables: the data it reads.
    run_ids = [run_id for (run_id,) in connection.execute("""
        SELECT DISTINCT max(run_id) FROM meta.source_loads
        WHERE list_contains(?, table_name) GROUP BY source ORDER BY 1
    """, [tables]).fetchall()] if has_table(connection, "source_loads", schema="meta") else []
    connection.execute("INSERT INTO kpi.lineage VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?)",
                       [kpi.id, catalogue.version, snapshot_id, kpi.query.strip(), tables,
                        run_ids, rows, note])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
