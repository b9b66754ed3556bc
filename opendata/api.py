"""The open-data API: /api/v1/datasets (the catalogue), /api/v1/datasets/<id> (one dataset),
/api/v1/datasets/<id>/rows (its rows, filtered and paged; opendata/rows.py), /api/v1/kpis (every
public KPI with its latest value) and /api/v1/kpis/<id> (one KPI, its whole series, lineage).

Every answer is JSON and says its snapshot (id and published_at); `snapshot=<id>` pins a kept
earlier one, so a story's numbers can be asked for again. A bad request answers 400 with
{"error": ...} saying what was wrong, never a server error; only public datasets exist here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import duckdb
from flask import Blueprint, Response, jsonify, request

from kpis.read import Point, Tile, definition, lineage, tiles
from kpis.series_export import COLUMNS as SERIES_COLUMNS
from kpis.series_export import series_rows
from opendata.exports import FORMATS, MEDIA_TYPES
from opendata.files_route import file_path, json_error, no_dataset
from opendata.publish import dataset_view
from opendata.rows import BadRequest, build
from warehouse.manifest import Snapshot
from warehouse.reader import NoSnapshotError, UnknownSnapshotError, WarehouseReader

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
CATALOGUE = """
    SELECT dataset_id, title, description, theme, keywords, frequency, publisher,
           contact_name, contact_email, licence_id, licence_title, licence_url, rows, columns
    FROM opendata.datasets WHERE audience = 'public' {and_id} ORDER BY position"""


def open_data_api(reader: WarehouseReader) -> Blueprint:
    """The API's blueprint, reading reader's snapshots."""
    api = Blueprint("open_data_api", __name__)

    @api.get(f"{PREFIX}/datasets")
    def datasets() -> Response:
        return _answer(reader, lambda snapshot, cursor: {
            "datasets": [_described(row, cursor) for row in
                         cursor.execute(CATALOGUE.format(and_id="")).fetchall()]})

    @api.get(f"{PREFIX}/datasets/<dataset_id>")
    def dataset(dataset_id: str) -> Response:
        def one(snapshot: Snapshot, cursor: duckdb.DuckDBPyConnection) -> dict:
            return {"dataset": _described(_find(cursor, dataset_id, snapshot), cursor)}
        return _answer(reader, one)

    @api.get(f"{PREFIX}/datasets/<dataset_id>/rows")
    def rows(dataset_id: str) -> Response:
        def page(snapshot: Snapshot, cursor: duckdb.DuckDBPyConnection) -> dict:
            found = _find(cursor, dataset_id, snapshot)
            args = {k: v for k, v in request.args.items(multi=False) if k != "snapshot"}
            wanted = build(dataset_view(dataset_id), json.loads(found[-1]), args)
            got = cursor.execute(wanted.sql, wanted.params).fetchall()
            more = len(got) > wanted.limit
            next_args = {**request.args.to_dict(), "offset": wanted.offset + wanted.limit}
            next_args.pop("$offset", None)
            return {"dataset": dataset_id, "columns": wanted.columns,
                    "limit": wanted.limit, "offset": wanted.offset,
                    "rows": [dict(zip(wanted.columns, map(_plain, row), strict=True))
                             for row in got[:wanted.limit]],
                    "next": f"{request.base_url}?{urlencode(next_args)}" if more else None}
        return _answer(reader, page)

    @api.get(f"{PREFIX}/kpis")
    def kpis() -> Response:
        return _answer(reader, lambda snapshot, cursor: {
            "kpis": [_kpi(tile) for tile in tiles(cursor)]})

    @api.get(f"{PREFIX}/kpis/<kpi_id>")
    def kpi(kpi_id: str) -> Response:
        def whole(snapshot: Snapshot, cursor: duckdb.DuckDBPyConnection) -> dict:
            found = definition(cursor, kpi_id)
            rows = series_rows(cursor, kpi_id) if found else None
            if rows is None:
                raise NotFound(f"no public KPI {kpi_id[:100]!r} in snapshot {snapshot.id}: "
                               f"the list is at {PREFIX}/kpis")
            traced = lineage(cursor, kpi_id)
            return {"kpi": asdict(found),
                    "series": [dict(zip(SERIES_COLUMNS, map(_plain, row), strict=True))
                               for row in rows],
                    "lineage": asdict(traced) if traced else None}
        return _answer(reader, whole)

    return api


class NotFound(LookupError):
    """Nothing of that id in the snapshot: answered 404 with this message."""


def _answer(reader: WarehouseReader, make) -> Response:
    """Run make(snapshot, cursor) on the asked-for snapshot and answer its dict as JSON."""
    return answer(reader, make, lambda snapshot, body: jsonify(
        {"snapshot": {"id": snapshot.id, "published_at": snapshot.published_at}, **body}))


def answer(reader: WarehouseReader, make: Callable[[Snapshot, duckdb.DuckDBPyConnection], Any],
           respond: Callable[[Snapshot, Any], Response]) -> Response:
    """Run make(snapshot, cursor) on the snapshot `?snapshot=` names (else the current one) and
    answer respond(snapshot, what make returned); a pinned answer may be cached for a year.
    Before any publish 503, an unknown snapshot or NotFound 404, a bad request 400: as JSON."""
    try:
        with reader.cursor(request.args.get("snapshot") or None) as (snapshot, cursor):
            body = make(snapshot, cursor)
    except NoSnapshotError:
        return json_error(503, "no data has been published yet")
    except (UnknownSnapshotError, NotFound) as exc:
        return json_error(404, str(exc))
    except BadRequest as exc:
        return json_error(400, str(exc))
    except duckdb.CatalogException:  # published before open data: no opendata schema
        return json_error(404, "this snapshot has no open data")
    except (duckdb.ConversionException, duckdb.OutOfRangeException,
            duckdb.InvalidInputException) as exc:  # a value right in form, wrong for DuckDB
        return json_error(400, f"a value cannot be compared with its column: "
                           f"{str(exc).splitlines()[0]}")
    except duckdb.OutOfMemoryException:  # DASHBOARD_DUCKDB_MEMORY_LIMIT: a deep sorted page
        log.warning("a request needed more memory than DuckDB may use: %s", request.full_path)
        return json_error(400, "this page needs more memory than the server gives one request "
                               "(a large offset with an order, most likely): narrow it with "
                               "filters, or download the rows as a file")
    response = respond(snapshot, body)
    response.headers["Cache-Control"] = "public, max-age=31536000" if \
        request.args.get("snapshot") else "no-cache"
    return response


def _find(cursor: duckdb.DuckDBPyConnection, dataset_id: str, snapshot: Snapshot) -> tuple:
    found = cursor.execute(CATALOGUE.format(and_id="AND dataset_id = ?"),
                           [dataset_id]).fetchone()
    if found is None:
        raise NotFound(no_dataset(dataset_id, snapshot.id))
    return found


def _described(row: tuple, cursor: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    (dataset_id, title, description, theme, keywords, frequency, publisher, contact_name,
     contact_email, licence_id, licence_title, licence_url, rows, columns) = row
    files = {fmt: (name, size, digest, note) for fmt, name, size, digest, note in cursor.execute(
        "SELECT format, file_name, bytes, sha256, note FROM opendata.files "
        "WHERE dataset_id = ?", [dataset_id]).fetchall()}
    base = request.host_url.rstrip("/")
    return {
        "id": dataset_id, "title": title, "description": description, "theme": theme,
        "keywords": keywords, "frequency": frequency, "rows": rows,
        "publisher": publisher, "contact": {"name": contact_name, "email": contact_email},
        "licence": {"id": licence_id, "title": licence_title, "url": licence_url},
        "columns": json.loads(columns),
        "rows_url": f"{base}{PREFIX}/datasets/{dataset_id}/rows",
        "downloads": [{"format": fmt, "media_type": MEDIA_TYPES[fmt],
                       "url": base + file_path(dataset_id, fmt) if files[fmt][0] else None,
                       "bytes": files[fmt][1], "sha256": files[fmt][2], "note": files[fmt][3]}
                      for fmt in FORMATS if fmt in files],
    }


def _kpi(tile: Tile) -> dict[str, Any]:
    base = request.host_url.rstrip("/")
    latest: Point | None = tile.latest
    return {**asdict(tile.definition),
            "latest": None if latest is None else {
                key: _plain(value) for key, value in asdict(latest).items()
                if key not in ("breakdown_value",)},
            "page_url": f"{base}/kpi/{tile.definition.id}",
            "series_url": f"{base}{PREFIX}/kpis/{tile.definition.id}"}


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON has it: dates in ISO 8601, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
