"""Parsing rules as DuckDB SQL expressions over text columns, so cleaning runs in the engine."""

from __future__ import annotations

from etl.sources_config import ColumnRule


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cleaned_text(column: str, nulls: list[str]) -> str:
    """Trimmed text, with blanks and null tokens (e.g. '#Missing') as NULL."""
    tokens = ", ".join(quote_literal(t) for t in ["", *nulls])
    trimmed = f"trim({quote_ident(column)})"
    return f"(CASE WHEN {trimmed} IN ({tokens}) THEN NULL ELSE {trimmed} END)"


def parsed(text: str, rule: ColumnRule, sql_type: str) -> str:
    """The expression turning cleaned text into the canonical column's type (NULL on failure)."""
    if rule.pattern:
        text = f"NULLIF(regexp_extract({text}, {quote_literal(rule.pattern)}, 1), '')"
    if rule.parse == "text":
        return text
    if rule.parse in ("integer", "number"):
        return f"TRY_CAST({text} AS {sql_type})"
    if rule.parse == "currency":
        # "$1,234.50", "-$5", "($1,234.50)": parentheses mean a negative amount.
        digits = f"regexp_replace({text}, '[$,()[:space:]]', '', 'g')"
        sign = f"(CASE WHEN {text} LIKE '(%)' THEN -1 ELSE 1 END)"
        return f"({sign} * TRY_CAST({digits} AS {sql_type}))"
    formats = "[" + ", ".join(quote_literal(f) for f in rule.formats) + "]"
    return f"TRY_CAST(try_strptime({text}, {formats}) AS {sql_type})"
