"""GET /api/v1/datasets/<id>.<format>: a public dataset's whole file, made at publish.

Served from disk by Flask's send_file: Content-Length, Range (resume, parallel parts), an
ETag that is the file's sha256 (the same as in the catalogue), and a file name naming the
dataset and the snapshot. `?snapshot=<id>` serves a kept earlier snapshot's file, so a story's
numbers can be fetched again exactly; such an address never changes, so it is cached for a
year. Every answer says its snapshot in `X-Snapshot-Id` and `X-Snapshot-Published-At`. Each
download is counted per day, dataset and format (appdb.downloads), never who made it.

With any of the rows API's parameters (`select`, `where`, `order`, `<column>=value`, ...) the
address gives just those rows instead, streamed (opendata.filtered_download): no ETag or
Range then, and the file name says `_filtered`.
"""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack

import duckdb
from flask import Blueprint, Response, jsonify, request, send_file

from appdb.downloads import count_download
from opendata.exports import FORMATS, MEDIA_TYPES
from opendata.filtered_download import TooManyRows, filtered
from opendata.rows import BadRequest
from warehouse.reader import NoSnapshotError, UnknownSnapshotError, WarehouseReader
from warehouse.writer import downloads_dir

log = logging.getLogger(__name__)

PATH = "/api/v1/datasets/<dataset_id>.<file_format>"
YEAR = 31_536_000


def file_path(dataset_id: str, file_format: str) -> str:
    """The address of a dataset's file."""
    return PATH.replace("<dataset_id>", dataset_id).replace("<file_format>", file_format)


def dataset_files(reader: WarehouseReader, database_url: str) -> Blueprint:
    """The blueprint serving dataset files from reader's snapshots, counting into database_url."""
    files = Blueprint("dataset_files", __name__)
    files.add_url_rule(PATH, view_func=lambda dataset_id, file_format: _download(
        reader, database_url, dataset_id, file_format))
    return files


def _download(reader: WarehouseReader, database_url: str, dataset_id: str,
              file_format: str) -> Response:
    if file_format not in FORMATS:
        return json_error(404, f"no such format {file_format!r}: the formats are "
                           f"{', '.join(FORMATS)}")
    pinned = request.args.get("snapshot") or None
    stack = ExitStack()  # a filtered download keeps its cursor until the last byte is sent
    try:
        snapshot, cursor = stack.enter_context(reader.cursor(pinned))
        found = cursor.execute(
            "SELECT f.file_name, f.sha256, f.note, d.columns FROM opendata.files AS f "
            "JOIN opendata.datasets AS d USING (dataset_id) "
            "WHERE d.dataset_id = ? AND d.audience = 'public' AND f.format = ?",
            [dataset_id, file_format]).fetchall()  # all: the result finished, for what follows
    except NoSnapshotError:
        return json_error(503, "no data has been published yet")
    except UnknownSnapshotError as exc:
        return json_error(404, str(exc))
    except duckdb.CatalogException:  # published before open data: no opendata schema
        found = []
    headers = {"X-Snapshot-Id": snapshot.id, "X-Snapshot-Published-At": snapshot.published_at,
               "X-Content-Type-Options": "nosniff"}
    if not found:
        stack.close()
        return json_error(404, no_dataset(dataset_id, snapshot.id), headers)
    file_name, sha256, note, dictionary = found[0]
    asked = {k: v for k, v in request.args.items() if k != "snapshot"}
    if asked:
        try:
            response = filtered(stack, cursor, dataset_id, file_format, json.loads(dictionary),
                                asked, f"{dataset_id}_{snapshot.id}_filtered.{file_format}")
        except BadRequest as exc:
            return json_error(400, str(exc), headers)
        except TooManyRows as exc:
            return json_error(406, str(exc), headers)
    else:
        stack.close()
        if file_name is None:
            return json_error(406, note, headers)
        path = downloads_dir(reader.warehouse_dir, snapshot.id) / file_name
        response = send_file(path, mimetype=MEDIA_TYPES[file_format], as_attachment=True,
                             download_name=f"{dataset_id}_{snapshot.id}.{file_format}",
                             etag=sha256, conditional=True, max_age=YEAR if pinned else None)
    response.headers.update(headers)
    if pinned:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
    else:
        response.cache_control.no_cache = True  # the current file changes at each publish
    if response.status_code == 200 or (response.status_code == 206 and _from_the_start()):
        _count(database_url, dataset_id, file_format)
    return response


def _from_the_start() -> bool:
    """A range request for the file's first byte: one download, not a resumed one."""
    ranges = request.range
    return ranges is not None and ranges.ranges and ranges.ranges[0][0] == 0


def _count(database_url: str, dataset_id: str, file_format: str) -> None:
    try:
        count_download(database_url, dataset_id, file_format)
    except Exception:  # a count lost is better than a download refused
        log.exception("counting a download of %s.%s failed", dataset_id, file_format)


def no_dataset(dataset_id: str, snapshot_id: str) -> str:
    """What asking for a dataset the snapshot does not publish (or not publicly) is told."""
    return (f"no public dataset {dataset_id[:100]!r} in snapshot {snapshot_id}: the list is at "
            "/api/v1/datasets")


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """{"error": message, "status": status} with that status."""
    response = jsonify(error=message, status=status)
    response.status_code = status
    response.headers.update(headers or {})
    return response
