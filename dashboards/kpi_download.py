"""GET /downloads/kpi/<kpi_id>.csv: a public KPI's whole series as a CSV file.

A Flask route, not a Dash callback: a callback would send the file base64-encoded inside its
JSON answer. Under /downloads/ so it never meets the KPI pages' own /kpi/<id> paths. The ETag is
the data version and the KPI, so a browser or cache asks again cheaply and gets 304 until a
new snapshot (or a rollback) changes the figures.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from dashboards.cache import snapshot_cached
from kpis.read import definitions
from kpis.series_export import csv_chunks, series_rows
from warehouse.reader import NoSnapshotError

PATH = "/downloads/kpi/<kpi_id>.csv"
NOT_FOUND = "No public KPI has this id. The list of KPIs is at /kpi\n"

kpi_download = Blueprint("kpi_download", __name__)


def download_path(kpi_id: str) -> str:
    """The address of a KPI's CSV download."""
    return PATH.replace("<kpi_id>", kpi_id)


@kpi_download.get(PATH)
def download(kpi_id: str) -> Response:
    """The series of a public KPI as text/csv; 404 with a plain message for any other id."""
    try:
        # Known ids first, so that made-up ids are never computed or cached.
        _, public = snapshot_cached(definitions)()
        if kpi_id not in {d.id for d in public}:
            return _plain(NOT_FOUND, 404)
        snapshot, rows = snapshot_cached(series_rows)(kpi_id)
    except NoSnapshotError:
        return _plain("No data has been published yet.\n", 503)
    if rows is None:  # a new snapshot came between the two reads and dropped the KPI
        return _plain(NOT_FOUND, 404)
    etag = f"{snapshot.id}-{kpi_id}"
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
    else:
        response = Response(
            stream_with_context(csv_chunks(rows)), mimetype="text/csv",
            headers={**headers, "Content-Disposition":
                     f'attachment; filename="{kpi_id}_{snapshot.id}.csv"'})
    response.set_etag(etag)
    return response


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain",
                    headers={"X-Content-Type-Options": "nosniff"})
