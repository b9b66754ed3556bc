"""Validate: find every row of a cleaned source that must not load, and say why.

Parse failures and missing required values are found in SQL (the text that failed is at hand
there); the domain's declared rules (allowed values, ranges, dates not in the future, rules
across columns) by a pandera schema built from the domain; duplicates last, among the rows
still good. Each problem names the origin, row, column, value and reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from etl.clean import Cleaned, is_plain
from etl.domains import Domain
from etl.mapping import SourceBase
from etl.parsing import expected_words, quote_ident, quote_literal

PROBLEM_COLUMNS = "_row BIGINT, _origin VARCHAR, _record BIGINT, column_name VARCHAR, " \
                  "value VARCHAR, reason VARCHAR"


@dataclass(frozen=True)
class Validated:
    problems: str  # temp table: _row, _origin, _record, column_name, value, reason
    good: str  # temp view: the cleaned rows that may load
    bad_rows: int
    rows: int  # rows checked (blank rows excluded)


def validate(connection: duckdb.DuckDBPyConnection, name: str, source: SourceBase,
             domain: Domain, cleaned: Cleaned, now: datetime) -> Validated:
    problems = quote_ident(f"problems_{name}")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {problems} ({PROBLEM_COLUMNS})")
    labels = {c: _label(source, c) for c in cleaned.columns}
    _parse_failures(connection, problems, source, cleaned, labels)
    _missing_required(connection, problems, domain, cleaned, labels)
    _domain_rules(connection, problems, domain, cleaned, labels, now)
    _duplicates(connection, problems, domain, cleaned)
    good = quote_ident(f"good_{name}")
    # A view, not a copy: the rows stay in source order and are read once, by the load.
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW {good} AS SELECT * FROM {cleaned.table} "
        f"WHERE rowid NOT IN (SELECT _row FROM {problems})")
    bad = connection.execute(f"SELECT count(DISTINCT _row) FROM {problems}").fetchone()[0]
    rows = connection.execute(f"SELECT count(*) FROM {cleaned.table}").fetchone()[0]
    return Validated(problems=problems, good=good, bad_rows=bad, rows=rows)


def top_reasons(connection: duckdb.DuckDBPyConnection, validated: Validated, limit: int = 5
                ) -> list[tuple[str, str, int, str, int, str]]:
    """The commonest reasons: (column, reason, rows, first origin, first row, first value)."""
    return connection.execute(
        f"SELECT column_name, reason, count(*), arg_min(_origin, _row), arg_min(_record, _row), "
        f"arg_min(value, _row) FROM {validated.problems} GROUP BY ALL "
        f"ORDER BY count(*) DESC, column_name LIMIT {limit}").fetchall()


def _label(source: SourceBase, column: str) -> str:
    """The name the operator knows a column by: the source's own column where there is one."""
    rule = source.columns[column]
    return rule.source_column if rule.source_column else column


def _insert(connection, problems: str, cleaned: Cleaned, column: str, label: str, where: str,
            reason: str) -> None:
    connection.execute(
        f"INSERT INTO {problems} SELECT rowid, _origin, _record, {quote_literal(label)}, "
        f"CAST({cleaned.text_of(column)} AS VARCHAR), {quote_literal(reason)} "
        f"FROM {cleaned.table} WHERE {where}")


def _parse_failures(connection, problems, source: SourceBase, cleaned: Cleaned, labels) -> None:
    for column, rule in source.columns.items():
        if rule.value is not None or is_plain(rule):
            continue
        _insert(connection, problems, cleaned, column, labels[column],
                f"{cleaned.text_of(column)} IS NOT NULL AND {quote_ident(column)} IS NULL",
                f"not {expected_words(rule)}")


def _missing_required(connection, problems, domain: Domain, cleaned: Cleaned, labels) -> None:
    for column in domain.columns:
        if column.required and column.name in cleaned.columns:
            _insert(connection, problems, cleaned, column.name, labels[column.name],
                    f"{cleaned.text_of(column.name)} IS NULL", "required value missing")


def _domain_rules(connection, problems, domain: Domain, cleaned: Cleaned, labels,
                  now: datetime) -> None:
    schema, reasons = _schema(domain, cleaned.columns, now)
    if schema is None:
        return
    columns = ", ".join(quote_ident(c) for c in cleaned.columns)
    frame = connection.sql(f"SELECT rowid AS _row, {columns} FROM {cleaned.table}").pl()
    try:
        schema.validate(frame, lazy=True)
        return
    except SchemaErrors as errors:
        cases = errors.failure_cases
    rows = frame.get_column("_row")
    failed = pl.DataFrame({
        "_row": rows.gather(cases.get_column("index").cast(pl.UInt32)),
        "check": cases.get_column("check"),
    }).with_columns(
        pl.col("check").replace_strict(
            {k: v[0] for k, v in reasons.items()}, default=None).alias("column_name"),
        pl.col("check").replace_strict(
            {k: v[1] for k, v in reasons.items()}, default=None).alias("reason"),
    )
    connection.register("_failed", failed.to_arrow())
    for column in cleaned.columns:
        connection.execute(
            f"INSERT INTO {problems} SELECT c.rowid, c._origin, c._record, "
            f"{quote_literal(labels[column])}, CAST(c.{cleaned.text_of(column)} AS VARCHAR), "
            f"f.reason FROM _failed f JOIN {cleaned.table} c ON c.rowid = f._row "
            f"WHERE f.column_name = {quote_literal(column)}")
    connection.unregister("_failed")


def _schema(domain: Domain, mapped: list[str], now: datetime
            ) -> tuple[pa.DataFrameSchema | None, dict[str, tuple[str, str]]]:
    """The pandera schema for the mapped columns, and each check's (column, reason) by name."""
    columns: dict[str, pa.Column] = {}
    reasons: dict[str, tuple[str, str]] = {}

    def check(column: str, name: str, reason: str, valid: Callable[[], pl.Expr]) -> pa.Check:
        reasons[name] = (column, reason)
        # A polars check must return the evaluated booleans: a bare expression would pass.
        return pa.Check(lambda data: data.lazyframe.select(valid()), name=name, ignore_na=True)

    for column in (c for c in domain.columns if c.name in mapped):
        checks = []
        if column.allowed:
            allowed = list(column.allowed)
            checks.append(check(column.name, f"{column.name}:allowed",
                                f"not one of: {', '.join(allowed)}",
                                lambda a=allowed, n=column.name: pl.col(n).is_in(a)))
        if column.minimum is not None:
            checks.append(check(column.name, f"{column.name}:minimum",
                                f"below the minimum of {column.minimum:g}",
                                lambda m=column.minimum, n=column.name: pl.col(n) >= m))
        if column.maximum is not None:
            checks.append(check(column.name, f"{column.name}:maximum",
                                f"above the maximum of {column.maximum:g}",
                                lambda m=column.maximum, n=column.name: pl.col(n) <= m))
        if column.not_in_future:
            limit = now.date() if column.sql_type == "DATE" else now
            checks.append(check(column.name, f"{column.name}:not_in_future", "in the future",
                                lambda m=limit, n=column.name: pl.col(n) <= m))
        if checks:
            columns[column.name] = pa.Column(checks=checks, nullable=True)
    frame_checks = [
        check(rule.column, f"rule:{rule.name}", rule.reason, rule.valid)
        for rule in domain.rules if {rule.column, *_rule_columns(rule)} <= set(mapped)
    ]
    if not columns and not frame_checks:
        return None, reasons
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False), reasons


def _rule_columns(rule) -> set[str]:
    return set(rule.valid().meta.root_names())


def _duplicates(connection, problems, domain: Domain, cleaned: Cleaned) -> None:
    """Exact repeats of an earlier row, then rows sharing a key with different values."""
    columns = ", ".join(quote_ident(c) for c in cleaned.columns)
    still_good = f"rowid NOT IN (SELECT _row FROM {problems})"
    # Rows are grouped by a hash of all their values (one number, far cheaper to partition by
    # than every column); a candidate is confirmed equal to its first row column by column.
    equal = " AND ".join(f"d.{quote_ident(c)} IS NOT DISTINCT FROM f.{quote_ident(c)}"
                         for c in cleaned.columns)
    connection.execute(
        f"INSERT INTO {problems} SELECT d.rowid, d._origin, d._record, '(whole row)', NULL, "
        f"'duplicate of row ' || f._record || ' of ' || f._origin FROM ("
        f"  SELECT _row, first_value(_row) OVER w AS first_row, row_number() OVER w AS n FROM ("
        f"    SELECT rowid AS _row, hash({columns}) AS row_hash FROM {cleaned.table} "
        f"    WHERE {still_good})"
        f"  WINDOW w AS (PARTITION BY row_hash ORDER BY _row)"
        f") candidates "
        f"JOIN {cleaned.table} d ON d.rowid = candidates._row "
        f"JOIN {cleaned.table} f ON f.rowid = candidates.first_row "
        f"WHERE candidates.n > 1 AND {equal}")
    key = [k for k in domain.key if k in cleaned.columns]
    if not key or len(key) < len(domain.key):
        return
    key_list = ", ".join(quote_ident(k) for k in key)
    label = ", ".join(key)
    connection.execute(
        f"INSERT INTO {problems} SELECT rowid, _origin, _record, {quote_literal(label)}, "
        f"concat_ws(', ', {', '.join(f'CAST({quote_ident(k)} AS VARCHAR)' for k in key)}), "
        f"'the same ' || {quote_literal(label)} || ' is used by ' || "
        f"count(*) OVER (PARTITION BY {key_list}) || ' rows with different values' "
        f"FROM {cleaned.table} WHERE {still_good} "
        f"QUALIFY count(*) OVER (PARTITION BY {key_list}) > 1")
