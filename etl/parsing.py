"""Parsing rules as DuckDB SQL expressions over text columns, so cleaning runs in the engine."""

from __future__ import annotations

from etl.mapping import ColumnRule

TRUE_WORDS = ("true", "yes", "1")  # parse: boolean, compared in lower case
FALSE_WORDS = ("false", "no", "0")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cleaned_text(column: str, nulls: list[str]) -> str:
    """Trimmed text, with blanks and null tokens (e.g. '#Missing') as NULL."""
    tokens = ", ".join(quote_literal(t) for t in ["", *nulls])
    trimmed = f"trim({quote_ident(column)})"
    return f"(CASE WHEN {trimmed} IN ({tokens}) THEN NULL ELSE {trimmed} END)"


def mapped_text(text: str, rule: ColumnRule, lookup_table: str | None, by_text: str | None
                ) -> str:
    """The text after the rule's pattern, value map and dictionary look-up (NULL if unknown)."""
    if rule.pattern:
        text = f"NULLIF(regexp_extract({text}, {quote_literal(rule.pattern)}, 1), '')"
    if rule.map:
        cases = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}"
                         for k, v in rule.map.items())
        text = f"(CASE {text} {cases} END)"
    if lookup_table:
        match = f"d.key = {text}" if by_text is None else f"d.key = {by_text} AND d.code = {text}"
        text = f"(SELECT d.label FROM {lookup_table} d WHERE {match} LIMIT 1)"
    return text


def parsed(text: str, rule: ColumnRule, sql_type: str) -> str:
    """The expression turning cleaned text into the canonical column's type (NULL on failure)."""
    if rule.parse == "text":
        return text
    if rule.parse in ("integer", "number"):
        return f"TRY_CAST({text} AS {sql_type})"
    if rule.parse == "currency":
        # "$1,234.50", "-$5", "($1,234.50)": parentheses mean a negative amount.
        digits = f"regexp_replace({text}, '[$,()[:space:]]', '', 'g')"
        sign = f"(CASE WHEN {text} LIKE '(%)' THEN -1 ELSE 1 END)"
        return f"({sign} * TRY_CAST({digits} AS {sql_type}))"
    if rule.parse == "fiscal_year":
        # "FY2023", "FY23", "2023" and "FY23 Actual" all name fiscal year 2023.
        digits = f"regexp_extract({text}, '^(?i:FY)?\\s*(\\d{{4}}|\\d{{2}})\\b', 1)"
        year = f"TRY_CAST(NULLIF({digits}, '') AS INTEGER)"
        return f"TRY_CAST(CASE WHEN {year} < 100 THEN 2000 + {year} ELSE {year} END AS {sql_type})"
    if rule.parse == "boolean":
        # Spelled as forms and databases write a yes/no answer; anything else fails to parse.
        word = f"lower({text})"
        true = ", ".join(quote_literal(w) for w in TRUE_WORDS)
        false = ", ".join(quote_literal(w) for w in FALSE_WORDS)
        return f"(CASE WHEN {word} IN ({true}) THEN TRUE WHEN {word} IN ({false}) THEN FALSE END)"
    formats = "[" + ", ".join(quote_literal(f) for f in rule.formats) + "]"
    return f"TRY_CAST(try_strptime({text}, {formats}) AS {sql_type})"


def expected_words(rule: ColumnRule) -> str:
    """What a value failing the rule should have been, for the quarantine reason."""
    if rule.lookup:
        return f"a code found in the dictionary {rule.lookup.file}"
    if rule.map:
        return "one of the mapped codes (" + ", ".join(rule.map) + ")"
    if rule.pattern and rule.parse == "text":
        return f"text matching {rule.pattern}"
    words = {"integer": "a whole number", "number": "a number", "currency": "a currency amount",
             "fiscal_year": "a fiscal year (FY2023, FY23 or 2023)",
             "boolean": "a yes/no value (" + ", ".join(TRUE_WORDS + FALSE_WORDS) + ")"}
    if rule.parse in words:
        return words[rule.parse]
    return f"a {rule.parse} in one of the formats {', '.join(rule.formats)}"
