"""Clean a raw source table into its domain's canonical table, checking it on the way.

Blank rows and exact duplicate rows are dropped (and counted). A value that does not parse, a
required value that is missing or a key used twice fails the source with a message naming the
file, the record, the column and the value. (Quarantining such rows instead is issue 4's work.)
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.domains import Domain
from etl.errors import SourceError
from etl.parsing import cleaned_text, parsed, quote_ident
from etl.sources.csv import Extracted
from etl.sources_config import CsvSource

EXAMPLES = 5  # how many offending rows an error message quotes


@dataclass(frozen=True)
class Loaded:
    rows_loaded: int
    blank_rows: int
    duplicate_rows: int


def load(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    source: CsvSource,
    domain: Domain,
    raw: Extracted,
) -> Loaded:
    """Parse, check and append one extracted source to its domain table."""
    where = f"source '{name}' ({raw.file.name})"
    header = _match_header(where, source, raw.columns)
    texts, values = [], []
    for column, rule in source.columns.items():
        text = cleaned_text(header[rule.source_column], source.nulls)
        sql_type = domain.column(column).sql_type
        texts.append(f"{text} AS {quote_ident('t_' + column)}")
        values.append(f"{parsed(text, rule, sql_type)} AS {quote_ident(column)}")
    all_blank = " AND ".join(f"{quote_ident('t_' + c)} IS NULL" for c in source.columns)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE parsed AS "
        f"SELECT rowid + 1 AS _record, {', '.join(texts)}, {', '.join(values)} FROM {raw.table}"
    )
    blank = connection.execute(f"SELECT count(*) FROM parsed WHERE {all_blank}").fetchone()[0]
    connection.execute(f"DELETE FROM parsed WHERE {all_blank}")
    _check_parsed(connection, where, source, domain)
    _check_required(connection, where, source, domain)

    columns = ", ".join(quote_ident(c) for c in source.columns)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE deduplicated AS "
        f"SELECT {columns}, min(_record) AS _record FROM parsed GROUP BY ALL"
    )
    before = connection.execute("SELECT count(*) FROM parsed").fetchone()[0]
    kept = connection.execute("SELECT count(*) FROM deduplicated").fetchone()[0]
    _check_key(connection, where, domain)
    connection.execute(
        f"INSERT INTO {quote_ident(domain.table)} ({columns}) "
        f"SELECT {columns} FROM deduplicated ORDER BY _record"
    )
    connection.execute("DROP TABLE parsed; DROP TABLE deduplicated")
    return Loaded(rows_loaded=kept, blank_rows=blank, duplicate_rows=before - kept)


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match_header(where: str, source: CsvSource, found: list[str]) -> dict[str, str]:
    """Map each configured source column to the file's header, forgiving spacing and case."""
    by_normal = {_normal(name): name for name in found}
    wanted = {rule.source_column for rule in source.columns.values()}
    missing = sorted(c for c in wanted if _normal(c) not in by_normal)
    if missing:
        raise SourceError(
            f"{where}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"the file has: {', '.join(repr(c) for c in found)}"
        )
    return {c: by_normal[_normal(c)] for c in wanted}


def _check_parsed(connection, where: str, source: CsvSource, domain: Domain) -> None:
    for column, rule in source.columns.items():
        if rule.parse == "text" and not rule.pattern:
            continue
        text, value = quote_ident("t_" + column), quote_ident(column)
        bad = connection.execute(
            f"SELECT _record, {text} FROM parsed WHERE {text} IS NOT NULL AND {value} IS NULL "
            f"ORDER BY _record LIMIT {EXAMPLES}"
        ).fetchall()
        if bad:
            expected = rule.parse + (f" in formats {rule.formats}" if rule.formats else "")
            examples = "; ".join(f"row {record}: {text!r}" for record, text in bad)
            raise SourceError(
                f"{where}: column '{rule.source_column}' has values that are not {expected} "
                f"({examples})"
            )


def _check_required(connection, where: str, source: CsvSource, domain: Domain) -> None:
    for column in (c for c in domain.columns if c.required):
        rows = connection.execute(
            f"SELECT _record FROM parsed WHERE {quote_ident(column.name)} IS NULL "
            f"ORDER BY _record LIMIT {EXAMPLES}"
        ).fetchall()
        if rows:
            records = ", ".join(str(r) for (r,) in rows)
            source_column = source.columns[column.name].source_column
            raise SourceError(
                f"{where}: column '{source_column}' is empty but required, in row(s) {records}"
            )


def _check_key(connection, where: str, domain: Domain) -> None:
    if not domain.key:
        return
    key = ", ".join(quote_ident(k) for k in domain.key)
    rows = connection.execute(
        f"SELECT {key}, list(_record ORDER BY _record) FROM deduplicated GROUP BY ALL "
        f"HAVING count(*) > 1 ORDER BY 1 LIMIT {EXAMPLES}"
    ).fetchall()
    if rows:
        examples = "; ".join(f"{row[:-1]} in rows {row[-1]}" for row in rows)
        raise SourceError(
            f"{where}: key {', '.join(domain.key)} is not unique, rows differ for the same key: "
            f"{examples}"
        )
