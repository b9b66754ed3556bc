"""What the open-data pages (/data and /data/<id>) read: the catalogue (opendata/metadata.py's
reader, the one the metadata documents use), the datasets a search matches, a dataset's filters,
a block of its rows for the preview grid, and how many rows a filter keeps.

Each function takes a cursor on one snapshot (dashboards/cache.py wraps them per snapshot). The
rows come from `opendata.rows.build`, the query builder of the rows API, so a page's filters
mean exactly what the same parameters mean to /api/v1/datasets/<id>/rows and its downloads, and
the grid's order breaks ties as the API does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import duckdb

from opendata.metadata import Catalogue, Dataset, read_catalogue
from opendata.publish import dataset_view
from opendata.rows import BadRequest, build

BLOCK_ROWS = 100  # rows the grid asks for at a time
MAX_BLOCK_ROWS = 1_000  # the most one request gets, whatever it asks: never the whole table
# How old a dataset may be before the page says it is late, by its expected frequency.
EXPECTED_AGE = {"hourly": timedelta(hours=1), "daily": timedelta(days=1),
                "weekly": timedelta(weeks=1), "monthly": timedelta(days=31),
                "quarterly": timedelta(days=92), "yearly": timedelta(days=366)}
RANGE_TYPES = ("integer", "number", "date", "datetime")


@dataclass(frozen=True)
class FilterField:
    """One filter control of a column: a choice among its values, a from/to range, or an
    equality box. `keys` are its parameters in the rows API (and in the page's URL)."""
    column: str
    column_type: str  # its dictionary type
    kind: str  # "choice", "range" or "equals"
    keys: tuple[str, ...]  # (name,) or (name.gte, name.lte)
    options: tuple[str, ...] = ()  # for a choice


def catalogue(cursor: duckdb.DuckDBPyConnection) -> Catalogue | None:
    """The public catalogue of the snapshot; None when it publishes no dataset."""
    try:
        return read_catalogue(cursor)
    except duckdb.CatalogException:  # published before open data: no opendata schema
        return None


def matching(datasets: Sequence[Dataset], text: str = "", theme: str | None = None,
             file_format: str | None = None) -> list[Dataset]:
    """The datasets whose title, description or keywords hold every word of text, of the theme
    and offering the format (None: any)."""
    words = text.casefold().split()

    def found(d: Dataset) -> bool:
        haystack = " ".join([d.title, d.description, *d.keywords]).casefold()
        return all(word in haystack for word in words)

    return [d for d in datasets if found(d) and (theme is None or d.theme == theme)
            and (file_format is None or file_format in d.formats)]


def filter_fields(columns: Sequence[Mapping[str, Any]]) -> list[FilterField]:
    """The filters a dataset offers: a choice for a column with allowed values (or a boolean),
    from/to for numbers and dates, an equality box for text."""
    fields = []
    for column in columns:
        name, kind = column["name"], column["type"]
        if column.get("allowed") or kind == "boolean":
            fields.append(FilterField(name, kind, "choice", (name,),
                                      tuple(column.get("allowed") or ("true", "false"))))
        elif kind in RANGE_TYPES:
            fields.append(FilterField(name, kind, "range", (f"{name}.gte", f"{name}.lte")))
        else:
            fields.append(FilterField(name, kind, "equals", (name,)))
    return fields


def chosen_filters(columns: Sequence[Mapping[str, Any]],
                   query: Mapping[str, object]) -> dict[str, str]:
    """The filters set in a query string: known keys with a value, in the dictionary's order
    (other keys, empty values and a key given twice are left out)."""
    keys = [key for f in filter_fields(columns) for key in f.keys]
    return {key: query[key] for key in keys
            if isinstance(query.get(key), str) and query[key].strip()}


def count(cursor: duckdb.DuckDBPyConnection, dataset_id: str,
          filters: tuple[tuple[str, str], ...]) -> int:
    """How many rows the filters keep; BadRequest if one cannot be applied. filters are
    (key, value) pairs, hashable so the answer can be cached."""
    info = _known(cursor, dataset_id)
    if not filters:
        return info.rows or 0
    # Unpaged: every matching row, in no particular order.
    wanted = build(dataset_view(info.id), info.columns, dict(filters), paged=False)
    return cursor.execute(f"SELECT count(*) FROM ({wanted.sql})", wanted.params).fetchone()[0]


def block(cursor: duckdb.DuckDBPyConnection, dataset_id: str, filters: Mapping[str, str],
          sort_model: Sequence[Mapping[str, Any]] | None, start: object,
          end: object) -> list[dict[str, Any]]:
    """Rows start to end (at most MAX_BLOCK_ROWS of them) of the filtered rows, in the grid's
    sort order (ties broken as the rows API does); BadRequest for anything malformed."""
    info = _known(cursor, dataset_id)
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
        raise BadRequest(f"rows {start!r} to {end!r}: not a range of row numbers")
    args = {**filters, "order": _order(sort_model, info), "offset": str(start),
            "limit": str(min(end - start, MAX_BLOCK_ROWS))}
    wanted = build(dataset_view(info.id), info.columns, args)
    got = cursor.execute(wanted.sql, wanted.params).fetchall()[:wanted.limit]
    return [dict(zip(wanted.columns, row, strict=True)) for row in got]


def _known(cursor: duckdb.DuckDBPyConnection, dataset_id: str) -> Dataset:
    published = catalogue(cursor)
    found = published.dataset(dataset_id) if published else None
    if found is None:
        raise BadRequest(f"no public dataset {dataset_id[:100]!r}")
    return found


def _order(sort_model: Sequence[Mapping[str, Any]] | None, info: Dataset) -> str:
    """The grid's sortModel ([{colId, sort}]) as the rows API's `order`."""
    names = {c["name"] for c in info.columns}
    parts = []
    for item in sort_model or []:
        column = item.get("colId") if isinstance(item, Mapping) else None
        direction = item.get("sort") if isinstance(item, Mapping) else None
        if column not in names or direction not in ("asc", "desc"):
            raise BadRequest(f"sort: {str(item)[:100]} is not a column and asc or desc")
        parts.append(f"{column} {direction}")
    return ",".join(parts)
