"""A rows request (columns, filters, order, page) checked and turned into one parameterised query.

The parameters follow Socrata SODA's: `select`, `where`, `order`, `limit`, `offset`, each also
accepted with a `$` in front; `<column>=<value>` is an equality filter and `<column>.gt`,
`.gte`, `.lt`, `.lte`, `.ne` are ranges. Column names are checked against the data dictionary
and only ever written from it; every value is parsed for its column's type and bound as a
parameter. Anything wrong raises BadRequest with a sentence saying what and where.

The `where` grammar, small on purpose:

    where   := or
    or      := and ("OR" and)*
    and     := not ("AND" not)*
    not     := "NOT" not | "(" or ")" | test
    test    := column op value | column "IN" "(" value ("," value)* ")"
             | column "BETWEEN" value "AND" value | column "IS" ["NOT"] "NULL"
             | column "LIKE" 'text'
    op      := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value   := 'text' (a quote doubled inside) | number | true | false
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

DEFAULT_LIMIT = 100
MAX_LIMIT = 5_000
MAX_OFFSET = 10_000_000
MAX_WHERE = 2_000  # characters
MAX_DEPTH = 20  # nested parentheses and NOTs
RANGES = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "ne": "!="}
RESERVED = {"select", "where", "order", "limit", "offset", "snapshot"}
TOKEN = re.compile(r"""\s*(?:
    (?P<text>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<bad>\S)
)""", re.VERBOSE)


class BadRequest(ValueError):
    """The request cannot be answered as asked; the message says why, for the caller."""


@dataclass(frozen=True)
class RowsQuery:
    sql: str
    params: list[Any]
    columns: list[str]
    limit: int | None  # None: every matching row (a download)
    offset: int


@dataclass
class _Tokens:
    items: list[tuple[str, str]]
    at: int = 0
    depth: int = 0
    params: list[Any] = field(default_factory=list)

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise BadRequest("where: the condition ends too early")
        self.at += 1
        return token

    def word(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.at += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> str:
        found = self.take()
        if found[0] != kind or (value is not None and found[1].upper() != value):
            raise BadRequest(f"where: expected {value or kind} but found {found[1]!r}")
        return found[1]


def parse_value(text: str, kind: str, where: str) -> Any:
    """A value from the request, as its column's type; BadRequest naming `where` if it is not."""
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "datetime":
            return datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise BadRequest(f"{where}: {text[:100]!r} is not a valid {kind}") from None
    return text


def build(relation: str, dictionary: Sequence[Mapping[str, Any]],
          args: Mapping[str, str], *, paged: bool = True) -> RowsQuery:
    """The query for a rows request over relation (a view), checked against its dictionary.

    A page (`paged`) is ordered completely and fetches one row more than its limit, to tell
    whether a next page exists; a download keeps the table's order unless one is asked for,
    and has every matching row unless a limit is given."""
    types = {column["name"]: column["type"] for column in dictionary}
    plain = {key.removeprefix("$"): value for key, value in args.items()}
    if len(plain) != len(args):
        raise BadRequest("a parameter is given both with and without '$'")
    columns = _select(plain.get("select"), types)
    conditions, params = _filters(plain, types)
    if plain.get("where"):
        tokens = _tokens(plain["where"])
        conditions.append(_or(tokens, types))
        if tokens.peek() is not None:
            raise BadRequest(f"where: unexpected {tokens.peek()[1]!r}")
        params += tokens.params
    chosen = _order(plain.get("order"), types)
    if paged:  # every column breaks ties, so pages never overlap or skip a row
        named = {part.split()[0] for part in chosen}
        chosen += [f"{_quoted(c)} ASC" for c in types if _quoted(c) not in named]
    limit = _number(plain.get("limit"), "limit", DEFAULT_LIMIT if paged else None, 1,
                    MAX_LIMIT if paged else MAX_OFFSET)
    offset = _number(plain.get("offset"), "offset", 0, 0, MAX_OFFSET)
    sql = (f"SELECT {', '.join(_quoted(c) for c in columns)} FROM {relation}"
           + (f" WHERE {' AND '.join(f'({c})' for c in conditions)}" if conditions else "")
           + (f" ORDER BY {', '.join(chosen)}" if chosen else "")
           + ("" if limit is None else f" LIMIT {limit + 1 if paged else limit}")
           + (f" OFFSET {offset}" if offset or paged else ""))
    return RowsQuery(sql, params, columns, limit, offset)


def _quoted(name: str) -> str:
    return f'"{name}"'  # names come from the dictionary: lower-case letters, digits, _


def _column(name: str, types: Mapping[str, str], where: str) -> str:
    if name not in types:
        raise BadRequest(f"{where}: no column {name[:100]!r} (columns: {', '.join(types)})")
    return name


def _select(value: str | None, types: Mapping[str, str]) -> list[str]:
    if not value:
        return list(types)
    names = [part.strip() for part in value.split(",")]
    chosen = [_column(name, types, "select") for name in names]
    if len(set(chosen)) != len(chosen):
        raise BadRequest("select: a column is named twice")
    return chosen


def _order(value: str | None, types: Mapping[str, str]) -> list[str]:
    if not value:
        return []
    parts = []
    for item in value.split(","):
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and
                                           words[1].lower() not in ("asc", "desc")):
            raise BadRequest(f"order: {item.strip()[:100]!r} is not 'column' or "
                             "'column asc|desc'")
        direction = words[1].upper() if len(words) == 2 else "ASC"
        parts.append(f"{_quoted(_column(words[0], types, 'order'))} {direction}")
    return parts


def _number(value: str | None, name: str, default: int | None, low: int,
            high: int) -> int | None:
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadRequest(f"{name}: {value[:100]!r} is not a whole number from {low} to {high:,}")
    return int(value)


def _filters(args: Mapping[str, str], types: Mapping[str, str]) -> tuple[list[str], list[Any]]:
    conditions, params = [], []
    for key, value in args.items():
        if key in RESERVED:
            continue
        name, _, operator = key.partition(".")
        column = _column(name, types, f"filter {key[:100]!r}")
        if operator and operator not in RANGES:
            raise BadRequest(f"filter {key[:100]!r}: {operator[:20]!r} is not one of "
                             f"{', '.join(RANGES)}")
        conditions.append(f"{_quoted(column)} {RANGES.get(operator, '=')} ?")
        params.append(parse_value(value, types[column], f"filter {key}"))
    return conditions, params


def _tokens(text: str) -> _Tokens:
    if len(text) > MAX_WHERE:
        raise BadRequest(f"where: longer than {MAX_WHERE:,} characters")
    items = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "bad":
            raise BadRequest(f"where: unexpected character {match.group(kind)!r}")
        items.append((kind, match.group(kind)))
    if not items:
        raise BadRequest("where: the condition is empty")
    return _Tokens(items)


def _or(tokens: _Tokens, types: Mapping[str, str]) -> str:
    return _joined(tokens, types, "OR", _and)


def _and(tokens: _Tokens, types: Mapping[str, str]) -> str:
    return _joined(tokens, types, "AND", _not)


def _joined(tokens: _Tokens, types: Mapping[str, str], word: str, operand) -> str:
    """operand (word operand)*: in parentheses when there is more than one."""
    parts = [operand(tokens, types)]
    while tokens.word(word):
        parts.append(operand(tokens, types))
    return parts[0] if len(parts) == 1 else "(" + f" {word} ".join(parts) + ")"


def _not(tokens: _Tokens, types: Mapping[str, str]) -> str:
    tokens.depth += 1
    if tokens.depth > MAX_DEPTH:
        raise BadRequest(f"where: nested more than {MAX_DEPTH} deep")
    try:
        if tokens.word("NOT"):
            return f"NOT ({_not(tokens, types)})"
        if tokens.peek() == ("punct", "("):
            tokens.take()
            inner = _or(tokens, types)
            tokens.expect("punct", ")")
            return f"({inner})"
        return _test(tokens, types)
    finally:
        tokens.depth -= 1


def _test(tokens: _Tokens, types: Mapping[str, str]) -> str:
    kind, name = tokens.take()
    if kind != "word":
        raise BadRequest(f"where: expected a column name but found {name[:100]!r}")
    column = _column(name, types, "where")
    quoted = _quoted(column)
    if tokens.word("IS"):
        negated = tokens.word("NOT")
        tokens.expect("word", "NULL")
        return f"{quoted} IS {'NOT ' if negated else ''}NULL"
    if tokens.word("IN"):
        tokens.expect("punct", "(")
        values = [_value(tokens, types[column], column)]
        while tokens.peek() == ("punct", ","):
            tokens.take()
            values.append(_value(tokens, types[column], column))
        tokens.expect("punct", ")")
        tokens.params += values
        return f"{quoted} IN ({', '.join('?' for _ in values)})"
    if tokens.word("BETWEEN"):
        low = _value(tokens, types[column], column)
        tokens.expect("word", "AND")
        high = _value(tokens, types[column], column)
        tokens.params += [low, high]
        return f"{quoted} BETWEEN ? AND ?"
    if tokens.word("LIKE"):
        found = tokens.take()
        if found[0] != "text" or types[column] != "string":
            raise BadRequest(f"where: LIKE takes a text column and a 'quoted' pattern "
                             f"({column} is {types[column]})")
        tokens.params.append(found[1][1:-1].replace("''", "'"))
        return f"{quoted} LIKE ?"
    operator = tokens.take()
    if operator[0] != "op":
        raise BadRequest(f"where: expected a comparison after {column} but found "
                         f"{operator[1][:100]!r}")
    tokens.params.append(_value(tokens, types[column], column))
    return f"{quoted} {'!=' if operator[1] == '<>' else operator[1]} ?"


def _value(tokens: _Tokens, kind: str, column: str) -> Any:
    found, text = tokens.take()
    if found == "text":
        return parse_value(text[1:-1].replace("''", "'"), kind, f"where ({column})")
    if found == "number" or (found == "word" and text.lower() in ("true", "false")):
        return parse_value(text, kind, f"where ({column})")
    raise BadRequest(f"where: expected a value for {column} but found {text[:100]!r}")
