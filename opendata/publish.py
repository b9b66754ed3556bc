"""The open-data catalogue built into a staged snapshot, with its download files.

For each dataset in datasets.yaml: its table or query must have exactly the columns its data
dictionary describes, of the types described, holding only the allowed values; it becomes a
view `opendata."<id>"` publishing the non-private columns (rounded or with small counts
withheld where the dictionary says), and its files are written once (`opendata.exports`).
The catalogue itself goes into `opendata.datasets` and the files' sizes and checksums into
`opendata.files`, so pages, API and metadata read one data version. A dataset that breaks its
dictionary fails the run (nothing is published); one over a table no source loads has no data
and the run goes on.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.errors import EtlError
from opendata.catalogue import Column, Dataset, DatasetCatalogue
from opendata.exports import ExportFile, quoted, write_exports

log = logging.getLogger(__name__)

SCHEMA = "opendata"
# DuckDB's types by the dictionary type they may hold.
TYPE_FAMILIES = {
    "string": ("VARCHAR",),
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                "USMALLINT", "UINTEGER", "UBIGINT"),
    "number": ("FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT",
               "HUGEINT"),
    "boolean": ("BOOLEAN",),
    "date": ("DATE",),
    "datetime": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
}


class DatasetError(EtlError):
    """A dataset does not match its data dictionary; the message names dataset and column."""


@dataclass(frozen=True)
class Outcome:
    dataset_id: str
    rows: int | None  # None: no data loaded for it
    files: tuple[ExportFile, ...] = ()


def dataset_view(dataset_id: str) -> str:
    """The view publishing a dataset, as SQL names it."""
    return f"{SCHEMA}.{quoted(dataset_id)}"


def publish_datasets(connection: duckdb.DuckDBPyConnection, catalogue: DatasetCatalogue | None,
                     folder: Path, run_id: str) -> list[Outcome]:
    """Build every dataset into the staged snapshot and write its files into folder."""
    connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    if catalogue is None:
        return []
    connection.execute(f"CREATE SCHEMA {SCHEMA}")
    outcomes = []
    for dataset in catalogue.datasets:
        started = time.perf_counter()
        outcome = _publish(connection, catalogue, dataset, folder)
        outcomes.append(outcome)
        log.info("run=%s step=dataset dataset=%s rows=%s files=%d seconds=%.2f", run_id,
                 dataset.id, outcome.rows, sum(1 for f in outcome.files if f.file_name),
                 time.perf_counter() - started)
    _record(connection, catalogue, outcomes)
    return outcomes


def source_sql(dataset: Dataset) -> str:
    return f"main.{quoted(dataset.table)}" if dataset.table else f"({dataset.query})"


def published_sql(dataset: Dataset, threshold: int) -> str:
    """The SELECT a dataset publishes: its public columns, generalised where described."""
    def item(column: Column) -> str:
        name = quoted(column.name)
        if column.round is not None:
            return f"round({name}, {column.round}) AS {name}"
        if column.suppress:
            return f"CASE WHEN {name} BETWEEN 1 AND {threshold - 1} THEN NULL ELSE {name} END " \
                   f"AS {name}"
        return name

    return (f"SELECT {', '.join(item(c) for c in dataset.published)} "
            f"FROM {source_sql(dataset)} AS source")


def dictionary(dataset: Dataset, threshold: int) -> list[dict]:
    """The public data dictionary: every published column, with what was done to it."""
    entries = []
    for column in dataset.published:
        description = column.description
        if column.suppress:
            description += (f" Counts from 1 to {threshold - 1} are withheld (left empty) so "
                            "that no one can be singled out.")
        entries.append({"name": column.name, "type": column.type, "description": description,
                        "unit": column.unit,
                        "allowed": list(column.allowed) if column.allowed else None,
                        "rounded_to": column.round, "suppressed_below": threshold
                        if column.suppress else None})
    return entries


def _publish(connection: duckdb.DuckDBPyConnection, catalogue: DatasetCatalogue,
             dataset: Dataset, folder: Path) -> Outcome:
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {source_sql(dataset)}"
                                       ).fetchall()
    except duckdb.CatalogException as exc:
        log.warning("dataset %s: no data (%s)", dataset.id, str(exc).splitlines()[0])
        return Outcome(dataset.id, None)
    except duckdb.Error as exc:
        raise DatasetError(f"dataset '{dataset.id}': its query failed: {exc}") from None
    _check_columns(dataset, {name: kind for name, kind, *_ in described})
    view = dataset_view(dataset.id)
    connection.execute(f"CREATE VIEW {view} AS "
                       f"{published_sql(dataset, catalogue.small_count_threshold)}")
    _check_allowed(connection, dataset, view)
    rows = connection.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
    columns = [(c.name, c.type) for c in dataset.published]
    files = write_exports(connection, view, columns, rows, folder, dataset.id)
    return Outcome(dataset.id, rows, tuple(files))


def _check_columns(dataset: Dataset, found: dict[str, str]) -> None:
    if dataset.table:  # the loader's own bookkeeping columns are never data
        found = {name: kind for name, kind in found.items() if not name.startswith("_")}
    described = {c.name: c for c in dataset.columns}
    problems = [f"column '{name}' ({kind}) is not in the data dictionary: describe it, or mark "
                "it private" for name, kind in found.items() if name not in described]
    problems += [f"column '{name}' is described but the {'table' if dataset.table else 'query'} "
                 "has no such column" for name in described if name not in found]
    for name, column in described.items():
        kind = found.get(name)
        if kind is not None and kind.split("(")[0].split(" ")[0] not in TYPE_FAMILIES[column.type]:
            problems.append(f"column '{name}' is described as {column.type} but holds {kind}")
    if problems:
        raise DatasetError(f"dataset '{dataset.id}': " + "; ".join(problems))


def _check_allowed(connection: duckdb.DuckDBPyConnection, dataset: Dataset, view: str) -> None:
    for column in dataset.published:
        if not column.allowed:
            continue
        name = quoted(column.name)
        found = connection.execute(
            f"SELECT CAST({name} AS VARCHAR), count(*) FROM {view} WHERE {name} IS NOT NULL "
            f"AND CAST({name} AS VARCHAR) NOT IN (SELECT unnest(?)) GROUP BY ALL "
            "ORDER BY 2 DESC LIMIT 3", [list(column.allowed)]).fetchall()
        if found:
            shown = ", ".join(f"{value!r} ({count:,} rows)" for value, count in found)
            raise DatasetError(f"dataset '{dataset.id}': column '{column.name}' holds values its "
                               f"dictionary does not allow: {shown} (allowed: "
                               f"{', '.join(column.allowed)})")


def _record(connection: duckdb.DuckDBPyConnection, catalogue: DatasetCatalogue,
            outcomes: list[Outcome]) -> None:
    threshold = catalogue.small_count_threshold
    connection.execute(f"""
        CREATE TABLE {SCHEMA}.datasets (
            dataset_id VARCHAR PRIMARY KEY, position INTEGER, title VARCHAR,
            description VARCHAR, theme VARCHAR, keywords VARCHAR[], frequency VARCHAR,
            audience VARCHAR, publisher VARCHAR, contact_name VARCHAR, contact_email VARCHAR,
            licence_id VARCHAR, licence_title VARCHAR, licence_url VARCHAR, rows BIGINT,
            columns JSON)""")
    connection.execute(f"""
        CREATE TABLE {SCHEMA}.files (
            dataset_id VARCHAR, format VARCHAR, file_name VARCHAR, bytes BIGINT,
            sha256 VARCHAR, note VARCHAR, PRIMARY KEY (dataset_id, format))""")
    by_id = {o.dataset_id: o for o in outcomes}
    for position, dataset in enumerate(catalogue.datasets):
        outcome = by_id[dataset.id]
        connection.execute(
            f"INSERT INTO {SCHEMA}.datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            [dataset.id, position, dataset.title, dataset.description, dataset.theme,
             list(dataset.keywords), dataset.frequency, dataset.audience, catalogue.publisher,
             catalogue.contact.name, catalogue.contact.email, catalogue.licence.id,
             catalogue.licence.title, catalogue.licence.url, outcome.rows,
             json.dumps(dictionary(dataset, threshold))])
        for file in outcome.files:
            connection.execute(f"INSERT INTO {SCHEMA}.files VALUES (?, ?, ?, ?, ?, ?)",
                               [dataset.id, file.format, file.file_name, file.bytes,
                                file.sha256, file.note])
