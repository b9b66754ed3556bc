"""A real HTTP server on 127.0.0.1 for the http_json source tests: a small Socrata (SODA)
resource, a CKAN datastore_search, and endpoints that fail in the ways real APIs do.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

SODA_RECORDS = 2_345
CKAN_RECORDS = 530
CKAN_ROWS_MAX = 150  # like CKAN's ckan.datastore.search.rows_max: a page never holds more
CKAN_FIELDS = ["_id", "name", "amount", "approved"]
SLOW_SECONDS = 2.0
COMPLAINTS = ["Noise", "Pothole", "Graffiti", "Street Light"]


def soda_record(i: int) -> dict:
    """The i-th record (1-based) as Socrata serves it: null fields are left out."""
    record = {
        "unique_key": str(100_000 + i),
        "complaint_type": COMPLAINTS[i % len(COMPLAINTS)],
        "updated_at": (datetime(2024, 1, 1) + timedelta(minutes=i)).isoformat() + ".000",
        "is_closed": i % 2 == 0,
        "votes": i % 7,
    }
    if i % 10 == 0:
        record["location"] = {"latitude": "41.88", "longitude": "-87.63"}
    if i > 2_000:  # a key first seen on a late page
        record["resolution"] = f"Closed by crew {i % 5}"
    return record


def ckan_record(i: int) -> dict:
    # Keys in another order than `fields`, which is the order that counts.
    return {"approved": i % 3 == 0, "amount": f"{i * 1.5:.2f}", "name": f"Vendor {i}", "_id": i}


SODA = [soda_record(i) for i in range(SODA_RECORDS, 0, -1)]  # stored newest first: $order counts
CKAN = [ckan_record(i) for i in range(1, CKAN_RECORDS + 1)]
CONDITION = re.compile(r"(\w+)\s*(>|<|=)\s*'((?:[^']|'')*)'")


class FixtureServer(ThreadingHTTPServer):
    """Serves the fixtures and counts the requests each path receives."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[str] = Counter()
        self.queries: list[tuple[str, dict[str, str]]] = []  # (path, query) of each request
        self.headers: list[dict[str, str]] = []
        self.release = threading.Event()  # ends a slow response at shutdown
        # A short poll: shutdown() waits up to one poll, once per test.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()
        self._thread.join()

    def handle_error(self, request: object, client_address: tuple) -> None:
        # A client that gave up (the timeout test) closes its socket: not a server fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on the server's counters, not its log."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.server.hits[parts.path] += 1
        self.server.queries.append((parts.path, query))
        self.server.headers.append(dict(self.headers))
        first = self.server.hits[parts.path] == 1
        routes = {
            "/resource/requests.json": lambda: self._soda(query),
            "/api/3/action/datastore_search": lambda: self._ckan(query),
            # 500, then a good page: a retry must succeed.
            "/flaky.json": lambda: (self._send(500, "oops") if first
                                    else self._json([{"id": "1"}, {"id": "2"}])),
            # 429 asking for one second, then an empty page.
            "/throttled.json": lambda: (self._send(429, "slow down", {"Retry-After": "1"})
                                        if first else self._json([])),
            "/down.json": lambda: self._send(500, "<html>Internal Server Error</html>"),
            "/gone.json": lambda: self._send(404, "no such resource"),
            "/html.json": lambda: self._send(200, "<html><body>Maintenance</body></html>"),
            "/object.json": lambda: self._json({"rows": []}),
            "/slow.json": self._slow,
            "/token.json": self._token,
        }
        routes.get(parts.path, lambda: self._send(404, "not found"))()

    def _soda(self, query: dict[str, str]) -> None:
        rows = SODA
        where = query.get("$where")
        if where is not None:
            conditions = CONDITION.findall(where)
            if not conditions:
                return self._json({"message": f"cannot parse $where: {where}"}, 400)
            # Every condition must hold: the fixture reads "a AND (b) AND c" as its parts.
            rows = [r for r in rows if all(_holds(r, f, op, v.replace("''", "'"))
                                           for f, op, v in conditions)]
        field, _, direction = query.get("$order", ":id").partition(" ")
        key = (lambda r: int(r["unique_key"])) if field == ":id" else (lambda r: r.get(field, ""))
        rows = sorted(rows, key=key, reverse=direction.upper() == "DESC")
        offset, limit = int(query.get("$offset", 0)), int(query.get("$limit", 1000))
        self._json(rows[offset:offset + limit])

    def _ckan(self, query: dict[str, str]) -> None:
        resource = query.get("resource_id")
        if resource == "broken":
            return self._json({"success": False, "error": {
                "__type": "Validation Error", "message": "Access denied: resource is private"}})
        if resource == "missing":  # what CKAN really answers for an unknown resource
            return self._json({"success": False, "error": {
                "__type": "Not Found Error", "message": "Not found: Resource was not found."}},
                404)
        if resource != "vendors":
            return self._json({"success": True, "result": {"weird": True}})
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 100)), CKAN_ROWS_MAX)
        self._json({"success": True, "result": {
            "resource_id": resource, "total": len(CKAN),
            "fields": [{"id": f, "type": "text"} for f in CKAN_FIELDS],
            "records": CKAN[offset:offset + limit]}})

    def _token(self) -> None:
        if self.headers.get("X-App-Token") == "tok-123":
            self._json([{"ok": "yes"}])
        else:
            self._json({"message": "app token missing or wrong"}, 403)

    def _slow(self) -> None:
        self.server.release.wait(SLOW_SECONDS)
        self._json([])

    def _json(self, body: object, status: int = 200) -> None:
        self._send(status, json.dumps(body), {"Content-Type": "application/json"})

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _holds(record: dict, field: str, op: str, value: str) -> bool:
    found = record.get(field)
    if found is None:
        return False
    return {">": found > value, "<": found < value, "=": found == value}[op]
