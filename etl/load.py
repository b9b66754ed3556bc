"""Load: write a source's good rows into its domain table, and its bad rows into quarantine.

Domain tables carry `_source`, the source each row came from, so a run can replace one
source's rows (mode: replace) or update them by key (mode: upsert) without touching the rest.
"""

from __future__ import annotations

import logging

import duckdb

from etl.domains import Domain
from etl.mapping import SourceBase
from etl.parsing import quote_ident
from etl.validate import Validated

log = logging.getLogger(__name__)

QUARANTINE = "quarantine"


def ensure_table(connection: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Create the domain table, or recreate it if its columns changed since it was made."""
    wanted = [(c.name, c.sql_type) for c in domain.columns] + [("_source", "VARCHAR")]
    found = connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [domain.table]).fetchall()
    if found == wanted:
        return
    if found:
        log.warning("table %s has other columns than the %s domain declares: recreating it",
                    domain.table, domain.name)
    body = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in wanted)
    connection.execute(f"CREATE OR REPLACE TABLE {quote_ident(domain.table)} ({body})")


def watermark(connection: duckdb.DuckDBPyConnection, name: str, source: SourceBase,
              domain: Domain) -> str | None:
    """The newest watermark value this source has loaded, for an incremental pull."""
    if source.mode != "upsert" or not source.watermark:
        return None
    return connection.execute(
        f"SELECT CAST(max({quote_ident(source.watermark)}) AS VARCHAR) "
        f"FROM {quote_ident(domain.table)} WHERE _source = ?", [name]).fetchone()[0]


def load(connection: duckdb.DuckDBPyConnection, name: str, source: SourceBase, domain: Domain,
         validated: Validated) -> int:
    """Replace or upsert this source's rows; the number of rows written."""
    table = quote_ident(domain.table)
    if source.mode == "replace":
        connection.execute(f"DELETE FROM {table} WHERE _source = ?", [name])
    else:
        key = ", ".join(quote_ident(k) for k in domain.key)
        connection.execute(f"DELETE FROM {table} WHERE _source = ? AND ({key}) IN "
                           f"(SELECT ({key}) FROM {validated.good})", [name])
    columns = ", ".join(quote_ident(c) for c in source.columns)
    return connection.execute(
        f"INSERT INTO {table} ({columns}, _source) SELECT {columns}, ? FROM {validated.good}",
        [name]).fetchone()[0]


def record_quarantine(connection: duckdb.DuckDBPyConnection, run_id: str, name: str,
                      validated: Validated) -> None:
    """Keep this run's bad rows of the source, with where they were and why, in the snapshot."""
    connection.execute(f"""
        CREATE TABLE IF NOT EXISTS {QUARANTINE} (
            run_id VARCHAR, source VARCHAR, origin VARCHAR, "row" BIGINT,
            column_name VARCHAR, value VARCHAR, reason VARCHAR)""")
    connection.execute(f"DELETE FROM {QUARANTINE} WHERE source = ?", [name])
    connection.execute(
        f"INSERT INTO {QUARANTINE} SELECT ?, ?, _origin, _record, column_name, value, reason "
        f"FROM {validated.problems} ORDER BY _origin, _record, column_name", [run_id, name])
