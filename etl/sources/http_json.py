"""Paged JSON APIs: Socrata SODA ($limit/$offset, $where) and CKAN datastore_search."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Literal

import duckdb
import requests
from pydantic import Field, model_validator

from etl.errors import SourceError
from etl.mapping import SourceBase
from etl.parsing import quote_ident
from etl.sources import (
    RAW_COLUMNS,
    Extracted,
    Input,
    append_rows,
    create_raw_table,
    substitute_env,
)

log = logging.getLogger(__name__)

RETRY_AFTER_CAP = 60.0  # seconds; a server asking for longer is not waited for beyond this
EXCERPT_CHARS = 200  # of a failed response's body, in an error message


class HttpJsonSource(SourceBase):
    kind: Literal["http_json"]
    protocol: Literal["soda", "ckan"]
    # SODA: the resource URL (https://data.city.gov/resource/abcd-1234.json).
    # CKAN: the datastore_search URL (https://ckan.city.gov/api/3/action/datastore_search).
    url: str
    resource_id: str | None = None  # CKAN: the resource to read
    params: dict[str, str] = Field(default_factory=dict)  # extra query parameters
    headers: dict[str, str] = Field(default_factory=dict)  # ${NAME} replaced from the environment
    page_size: int = Field(default=1000, ge=1, le=50000)
    order: str | None = None  # SODA $order (default ':id', so pages do not overlap)
    # SODA: the source field compared with the watermark in $where (incremental pulls).
    watermark_field: str | None = None
    timeout_seconds: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0)  # for timeouts, connection errors, 429 and 5xx
    backoff_seconds: float = Field(default=1.0, ge=0)  # doubled after each retry

    @model_validator(mode="after")
    def _ckan_needs_resource(self) -> HttpJsonSource:
        if self.protocol == "ckan" and not self.resource_id:
            raise ValueError("protocol: ckan needs a resource_id")
        return self


Page = tuple[list[str], list[dict], bytes]  # declared field names, records, raw body


def extract(
    connection: duckdb.DuckDBPyConnection, name: str, source: HttpJsonSource,
    since: str | None = None,
) -> Extracted:
    """Fetch every page into the raw table; a column is added when a record first has its key."""
    headers = {key: substitute_env(name, value, "headers") for key, value in source.headers.items()}
    query = _soda_query(source, since) if source.protocol == "soda" else _ckan_query(source)
    origin = _url(source.url, query)
    table = create_raw_table(connection, name, [])
    columns: list[str] = []
    digest, rows, pages = hashlib.sha256(), 0, 0
    with requests.Session() as session:
        session.headers.update(headers)
        paged = _soda_pages if source.protocol == "soda" else _ckan_pages
        for fields, records, body in paged(session, name, source, query):
            digest.update(body)
            for column in _new_columns(name, columns, fields, records):
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(column)} VARCHAR")
                columns.append(column)
            append_rows(connection, table, origin, rows + 1, columns,
                        [[as_text(r.get(c)) for c in columns] for r in records])
            rows, pages = rows + len(records), pages + 1
    log.info("source %s: %d records in %d pages from %s", name, rows, pages, origin)
    return Extracted(table=table, columns=columns, rows=rows,
                     inputs=[Input(origin=origin, sha256=digest.hexdigest(), rows=rows)])


def as_text(value: object) -> str | None:
    """A JSON value as the raw table's text: objects and arrays as compact JSON, None as NULL."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _soda_query(source: HttpJsonSource, since: str | None) -> dict[str, str]:
    # Without a watermark_field every record is pulled; rows are filtered after parsing.
    query = {**source.params, "$order": source.order or source.params.get("$order", ":id")}
    if since is not None and source.watermark_field:
        quoted = since.replace("'", "''")  # SoQL doubles a quote inside a string
        newer = f"{source.watermark_field} > '{quoted}'"
        where = source.params.get("$where")
        query["$where"] = f"({where}) AND {newer}" if where else newer
    return query


def _ckan_query(source: HttpJsonSource) -> dict[str, str]:
    # datastore_search has no range filter, so `since` is unused: rows are filtered after parsing.
    return {**source.params, "resource_id": source.resource_id}


def _soda_pages(session: requests.Session, name: str, source: HttpJsonSource,
                query: dict[str, str]) -> Iterator[Page]:
    offset = 0
    while True:
        page = {**query, "$limit": str(source.page_size), "$offset": str(offset)}
        response = _get(session, name, source, page)
        records = _json(name, response, "a JSON array of objects")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise _unexpected(name, response, records, "a JSON array of objects")
        log.debug("source %s: offset %d: %d records", name, offset, len(records))
        yield [], records, response.content
        if len(records) < source.page_size:
            return
        offset += source.page_size


def _ckan_pages(session: requests.Session, name: str, source: HttpJsonSource,
                query: dict[str, str]) -> Iterator[Page]:
    offset = 0
    while True:
        page = {**query, "limit": str(source.page_size), "offset": str(offset)}
        response = _get(session, name, source, page)
        result = _ckan_result(name, response)
        records, total = result["records"], result.get("total")
        log.debug("source %s: offset %d: %d of %s records", name, offset, len(records), total)
        yield [f["id"] for f in result["fields"]], records, response.content
        # By what was returned, not page_size: CKAN caps a page at its rows_max setting.
        offset += len(records)
        if not records or (offset >= total if isinstance(total, int)
                           else len(records) < source.page_size):
            return


def _ckan_result(name: str, response: requests.Response) -> dict:
    expected = ('{"success": true, "result": {"records": [...], "fields": [{"id": ...}]}}')
    body = _json(name, response, expected)
    if isinstance(body, dict) and body.get("success") is False:
        raise SourceError(f"source '{name}': GET {response.url}: CKAN reports "
                          f"{_api_error(body) or 'success: false'}")
    result = body.get("result") if isinstance(body, dict) else None
    if not (isinstance(result, dict) and isinstance(result.get("records"), list)
            and all(isinstance(r, dict) for r in result["records"])
            and isinstance(result.get("fields"), list)
            and all(isinstance(f, dict) and "id" in f for f in result["fields"])):
        raise _unexpected(name, response, body, expected)
    return result


def _get(session: requests.Session, name: str, source: HttpJsonSource,
         params: dict[str, str]) -> requests.Response:
    """GET with retries: connection errors, timeouts, 429 and 5xx wait and try again."""
    url = _url(source.url, params)
    attempts, delay = source.retries + 1, source.backoff_seconds
    for attempt in range(1, attempts + 1):
        wait = delay
        try:
            response = session.get(url, timeout=source.timeout_seconds)
        except requests.Timeout:
            failure = f"timed out after {source.timeout_seconds:g} s"
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            failure = f"connection error: {exc}"
        except requests.RequestException as exc:
            raise SourceError(f"source '{name}': GET {url} failed: {exc}") from None
        else:
            if response.ok:
                return response
            failure = f"HTTP {response.status_code} {_excerpt(response)}".rstrip()
            if response.status_code != 429 and response.status_code < 500:
                raise SourceError(f"source '{name}': GET {url} failed: {failure}")
            wait = _retry_after(response, delay)
        if attempt < attempts:
            log.warning("source %s: GET %s: %s; attempt %d of %d in %.2f s",
                        name, url, failure, attempt + 1, attempts, wait)
            time.sleep(wait)
            delay *= 2
    raise SourceError(f"source '{name}': GET {url} failed after {attempts} attempts: {failure}")


def _retry_after(response: requests.Response, backoff: float) -> float:
    value = response.headers.get("Retry-After", "")
    # Only the numeric form is honoured; an HTTP date falls back to the backoff.
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_CAP)
    except ValueError:
        return backoff


def _json(name: str, response: requests.Response, expected: str) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        raise SourceError(f"source '{name}': GET {response.url} returned a body that is not "
                          f"JSON (expected {expected}): {_excerpt(response)}") from None


def _unexpected(name: str, response: requests.Response, body: object,
                expected: str) -> SourceError:
    found = _api_error(body) if isinstance(body, dict) else None
    shown = found or json.dumps(body, ensure_ascii=False)[:EXCERPT_CHARS]
    return SourceError(f"source '{name}': GET {response.url} returned {shown}, "
                       f"expected {expected}")


def _api_error(body: dict) -> str | None:
    """The message of a SODA ({"message": ...}) or CKAN ({"error": {...}}) error body."""
    error = body.get("error")
    if isinstance(error, dict):
        # CKAN: {"__type": "Validation Error", "resource_id": ["..."]} or {..., "message": ...}
        detail = error.get("message") or json.dumps(
            {k: v for k, v in error.items() if k != "__type"}, ensure_ascii=False)
        return f"{error.get('__type', 'error')}: {detail}"
    message = body.get("message")
    return message if isinstance(message, str) else None


def _excerpt(response: requests.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    found = _api_error(body) if isinstance(body, dict) else None
    text = found or " ".join(response.text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _url(base: str, params: dict[str, str]) -> str:
    return requests.Request("GET", base, params=params).prepare().url


def _new_columns(name: str, columns: list[str], fields: list[str],
                 records: list[dict]) -> list[str]:
    """Keys not yet columns, in first-seen order: declared fields first, then record keys."""
    known = {c.lower(): c for c in (*RAW_COLUMNS, *columns)}
    present, new = set(columns), []
    for key in (*fields, *(k for record in records for k in record)):
        if key in present:
            continue
        # DuckDB names ignore case, so 'ID' and 'id' would be one column.
        if key.lower() in known:
            raise SourceError(f"source '{name}': the field '{key}' clashes with "
                              f"'{known[key.lower()]}' (column names ignore case, and _origin "
                              "and _record are reserved)")
        known[key.lower()] = key
        present.add(key)
        new.append(key)
    return new


