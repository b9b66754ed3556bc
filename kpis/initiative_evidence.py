"""Each initiative's evidence, measured at publish from the snapshot's own KPI values.

For every initiative and every KPI it means to move, kpis/evidence.py compares the periods
before its start with those after, on the department's own series when the KPI is broken down
by department and has values for it, else on the city-wide one. The result is the snapshot's
`initiative_evidence` table, so the evidence a page shows is pinned to the data it shows.
"""

from __future__ import annotations

import logging

import duckdb

from dashboards.components.formatting import kpi_amount
from kpis.catalogue import PERIOD_STEP
from kpis.evidence import TOO_LITTLE, WINDOW, before_after
from kpis.read import series
from warehouse.connect import has_table

log = logging.getLogger(__name__)

TABLE = "initiative_evidence"
CITY_WIDE = "city-wide"


def compute_evidence(connection: duckdb.DuckDBPyConnection, window: int = WINDOW) -> int:
    """(Re)create the evidence table from the snapshot's initiatives and KPI series; its rows.
    Without initiatives (or KPIs) the table is made empty, so KPIs reading it still run."""
    connection.execute(f"""
        CREATE OR REPLACE TABLE {TABLE} (
            initiative_id BIGINT, kpi_id VARCHAR, direction VARCHAR, measured_on VARCHAR,
            verdict VARCHAR, measured BOOLEAN, periods_before INTEGER, periods_after INTEGER,
            effect DOUBLE, standard_error DOUBLE, seasonal BOOLEAN, words VARCHAR,
            due_on DATE)""")
    if not all(has_table(connection, t) for t in ("initiatives", "initiative_kpis")) or \
            not has_table(connection, "series", schema="kpi"):
        return 0
    aims = connection.execute("""
        SELECT i.initiative_id, a.kpi_id, a.direction, i.department, i.start_date,
               d.direction, d.unit, d.decimals, d.period,
               list_contains(d.breakdowns, 'department')
        FROM initiatives i JOIN initiative_kpis a USING (initiative_id)
        JOIN kpi.definitions d ON d.kpi_id = a.kpi_id
        ORDER BY i.initiative_id, a.kpi_id""").fetchall()
    rows = []
    for (initiative_id, kpi_id, aim, department, start, better, unit, decimals, period,
         by_department) in aims:
        own = series(connection, kpi_id, "department", department) if by_department else []
        scope = department if own else CITY_WIDE
        points = [(p.period_start, p.value) for p in own or series(connection, kpi_id)]
        step = PERIOD_STEP[period]
        # A period the start falls inside is partly before and partly after: on neither side.
        points = [(p, v) for p, v in points if not p < start < p + step]
        # One more digit than the KPI shows: a standard error is often smaller than its last digit.
        found = before_after(points, start, better, window,
                             lambda v, u=unit, d=decimals: kpi_amount(v, u, d + 1))
        due = start + step * window  # when the window after the start has passed
        rows.append((initiative_id, kpi_id, aim, scope, found.verdict,
                     found.verdict != TOO_LITTLE, found.before, found.after, found.effect,
                     found.standard_error, found.seasonal, found.words, due))
    if rows:  # DuckDB refuses an executemany of nothing
        connection.executemany(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    log.info("step=evidence initiatives=%d measured=%d", len({r[0] for r in rows}),
             sum(1 for r in rows if r[5]))
    return len(rows)

