"""Clean: turn a raw all-text source table into its domain's typed canonical columns.

Everything here is driven by the source's mapping in sources.yaml: reshaping (unpivot), header
names matched forgiving spaces and case, constants, patterns, value maps, dictionary look-ups
and parsing. A column whose value is transformed keeps its cleaned text beside it
(`t_<column>`), so validation can quote the value that failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from etl.domains import Domain
from etl.errors import SourceError
from etl.mapping import ColumnRule, SourceBase, project_path
from etl.parsing import cleaned_text, mapped_text, parsed, quote_ident, quote_literal
from etl.sources import Extracted


@dataclass(frozen=True)
class Cleaned:
    table: str  # temp table: _origin, _record, <column> and, if it is transformed, t_<column>
    columns: list[str]  # the canonical columns this source maps
    blank_rows: int
    skipped_rows: int  # rows at or below the watermark: loaded by an earlier run
    transformed: frozenset[str] = frozenset()  # columns whose value is not their cleaned text

    def text_of(self, column: str) -> str:
        """The column holding a canonical column's cleaned source text."""
        return _text_name(column, self.transformed)


def _text_name(column: str, transformed: set[str] | frozenset[str]) -> str:
    return quote_ident(("t_" if column in transformed else "") + column)


def is_plain(rule: ColumnRule) -> bool:
    """A rule whose value is its trimmed source text: nothing to parse, map or look up."""
    return (rule.parse == "text" and not (rule.pattern or rule.map or rule.lookup)
            and rule.value is None)


def clean(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    source: SourceBase,
    domain: Domain,
    raw: Extracted,
    since: str | None = None,
) -> Cleaned:
    where = f"source '{name}'"
    table, header = raw.table, raw.columns
    if source.unpivot:
        table, header = _unpivot(connection, name, source, table, header)
    found = _match_header(where, source, header)
    texts, values, from_texts, transformed, lookups = [], [], [], set(), []
    for column, rule in source.columns.items():
        base = (quote_literal(rule.value) if rule.value is not None
                else cleaned_text(found[rule.source_column], source.nulls))
        lookup = _lookup_table(connection, name, column, rule) if rule.lookup else None
        if lookup:
            lookups.append(lookup)
        by_text = (cleaned_text(found[rule.lookup.by], source.nulls)
                   if rule.lookup and rule.lookup.by else None)
        text = mapped_text(base, rule, lookup, by_text)
        values.append(f"{parsed(text, rule, domain.column(column).sql_type)} "
                      f"AS {quote_ident(column)}")
        if not is_plain(rule):
            # Kept beside the value only where they differ, so validation can quote the text.
            transformed.add(column)
            texts.append(f"{base} AS {_text_name(column, transformed)}")
        if rule.value is None:
            from_texts.append(_text_name(column, transformed))
    cleaned = quote_ident(f"clean_{name}")
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {cleaned} AS SELECT _origin, _record, "
        f"{', '.join([*texts, *values])} FROM {table}"
    )
    # The reshaped table and the dictionaries were only needed to build the cleaned one.
    for helper in [*lookups, *([table] if source.unpivot else [])]:
        connection.execute(f"DROP TABLE {helper}")
    blank = " AND ".join(f"{t} IS NULL" for t in from_texts)
    blank_rows = connection.execute(f"DELETE FROM {cleaned} WHERE {blank}").fetchone()[0]
    skipped = 0
    if since is not None and source.watermark:
        mark = quote_ident(source.watermark)
        skipped = connection.execute(
            f"DELETE FROM {cleaned} WHERE {mark} <= CAST(? AS "
            f"{domain.column(source.watermark).sql_type})", [since]).fetchone()[0]
    return Cleaned(table=cleaned, columns=list(source.columns), blank_rows=blank_rows,
                   skipped_rows=skipped, transformed=frozenset(transformed))


def _unpivot(connection, name: str, source: SourceBase, table: str, header: list[str]
             ) -> tuple[str, list[str]]:
    """Wide columns matching the pattern become rows of (name, value); empty cells are dropped."""
    spec = source.unpivot
    try:
        wide = [c for c in header if re.search(spec.columns, c)]
    except re.error as exc:
        raise SourceError(f"source '{name}': unpivot.columns is not a valid pattern: {exc}"
                          ) from None
    if not wide:
        raise SourceError(f"source '{name}': no column matches unpivot.columns "
                          f"{spec.columns!r}; the columns are: {', '.join(map(repr, header))}")
    long = quote_ident(f"long_{name}")
    tokens = ", ".join(quote_literal(t) for t in ["", *source.nulls])
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {long} AS "
        f"SELECT * FROM (UNPIVOT {table} ON {', '.join(quote_ident(c) for c in wide)} "
        f"INTO NAME {quote_ident(spec.name)} VALUE {quote_ident(spec.value)}) "
        f"WHERE trim({quote_ident(spec.value)}) NOT IN ({tokens}) "
        f"ORDER BY _origin, _record"
    )
    kept = [c for c in header if c not in wide]
    return long, [*kept, spec.name, spec.value]


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match_header(where: str, source: SourceBase, found: list[str]) -> dict[str, str]:
    """Map each source column the mapping names to the header as found."""
    by_normal = {_normal(name): name for name in found}
    wanted = {rule.source_column for rule in source.columns.values() if rule.source_column}
    wanted |= {rule.lookup.by for rule in source.columns.values() if rule.lookup and rule.lookup.by}
    missing = sorted(c for c in wanted if _normal(c) not in by_normal)
    if missing:
        raise SourceError(
            f"{where}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"the source has: {', '.join(repr(c) for c in found)}"
        )
    return {c: by_normal[_normal(c)] for c in wanted}


def _lookup_table(connection, name: str, column: str, rule: ColumnRule) -> str:
    """Load a dictionary file as a temp table of (key, code, label)."""
    spec = rule.lookup
    path = project_path(spec.file)
    if not path.is_file():
        raise SourceError(f"source '{name}': dictionary file not found: {path}")
    table = quote_ident(f"lookup_{name}_{column}")
    source = f"read_csv({quote_literal(str(path))}, all_varchar = true, header = true)"
    key, value = quote_ident(spec.key), quote_ident(spec.value)
    if spec.codes:
        pattern = quote_literal(spec.codes)
        select = (f"SELECT trim({key}) AS key, trim(unnest(regexp_extract_all({value}, {pattern}, "
                  f"1))) AS code, trim(unnest(regexp_extract_all({value}, {pattern}, 2))) AS label "
                  f"FROM {source}")
    else:
        select = f"SELECT trim({key}) AS key, NULL AS code, trim({value}) AS label FROM {source}"
    try:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
    except duckdb.Error as exc:
        raise SourceError(f"source '{name}': cannot read dictionary {path}: {exc}") from None
    return table
