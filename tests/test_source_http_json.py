"""The http_json source kind against a real HTTP server on 127.0.0.1 (SODA and CKAN)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import duckdb
import pytest

from etl.errors import SourceError
from etl.sources import http_json
from etl.sources.http_json import HttpJsonSource, extract
from tests.helpers import free_port
from tests.http_fixture_server import (
    CKAN_FIELDS,
    CKAN_RECORDS,
    CKAN_ROWS_MAX,
    SLOW_SECONDS,
    SODA_RECORDS,
    FixtureServer,
    soda_record,
)

SODA_PATH = "/resource/requests.json"
CKAN_PATH = "/api/3/action/datastore_search"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def source(url: str, protocol: str = "soda", **fields: object) -> HttpJsonSource:
    # Quick failures: tests of retries must not sleep a real backoff.
    defaults = {"retries": 2, "backoff_seconds": 0.001, "timeout_seconds": 5}
    return HttpJsonSource(kind="http_json", protocol=protocol, url=url, domain="service_requests",
                          columns={}, **{**defaults, **fields})


def offsets(server: FixtureServer, path: str, key: str) -> list[int]:
    return [int(query[key]) for p, query in server.queries if p == path]


@pytest.mark.parametrize(("page_size", "requests"), [(500, 5), (469, 6), (5_000, 1)])
def test_soda_pages_until_a_short_or_empty_page(server, db, page_size, requests):
    extracted = extract(db, "requests", source(server.url(SODA_PATH), page_size=page_size))
    assert extracted.rows == SODA_RECORDS
    assert db.execute(f"SELECT count(*) FROM {extracted.table}").fetchone()[0] == SODA_RECORDS
    # 2,345 = 5 x 469: after five full pages only an empty sixth one says the end is reached.
    assert server.hits[SODA_PATH] == requests
    assert offsets(server, SODA_PATH, "$offset") == [page_size * n for n in range(requests)]
    assert {q["$limit"] for _, q in server.queries} == {str(page_size)}
    assert {q["$order"] for _, q in server.queries} == {":id"}


def test_soda_records_become_text_columns_in_first_seen_order(server, db):
    extracted = extract(db, "requests", source(server.url(SODA_PATH), page_size=500))
    # location first appears in record 10, resolution in record 2,001 (on the fifth page).
    assert extracted.columns == ["unique_key", "complaint_type", "updated_at", "is_closed",
                                 "votes", "location", "resolution"]
    described = db.execute(f"DESCRIBE {extracted.table}").fetchall()
    assert [(d[0], d[1]) for d in described] == [
        ("_origin", "VARCHAR"), ("_record", "BIGINT"),
        *[(c, "VARCHAR") for c in extracted.columns]]
    rows = db.execute(f"SELECT _record, unique_key, is_closed, votes, location, resolution "
                      f"FROM {extracted.table} ORDER BY _record").fetchall()
    # The server stores records newest first; $order=:id makes _record follow the id.
    assert [r[0] for r in rows] == list(range(1, SODA_RECORDS + 1))
    assert [r[1] for r in rows] == [str(100_000 + i) for i in range(1, SODA_RECORDS + 1)]
    assert rows[9] == (10, "100010", "true", "3",
                       '{"latitude":"41.88","longitude":"-87.63"}', None)
    assert rows[0][2:] == ("false", "1", None, None)
    assert rows[2000][5] == soda_record(2001)["resolution"]


def test_soda_origin_is_the_url_without_paging_params(server, db):
    extracted = extract(db, "requests", source(server.url(SODA_PATH), page_size=1000,
                                               params={"borough": "BRONX"}, order="updated_at"))
    origin = server.url(SODA_PATH) + "?borough=BRONX&%24order=updated_at"
    assert extracted.inputs[0].origin == origin
    assert extracted.inputs[0].rows == SODA_RECORDS
    assert db.execute(f"SELECT DISTINCT _origin FROM {extracted.table}").fetchall() == [(origin,)]
    assert {q["borough"] for _, q in server.queries} == {"BRONX"}


def test_soda_watermark_pulls_only_newer_records(server, db):
    since = soda_record(2_000)["updated_at"]
    extracted = extract(db, "requests", source(server.url(SODA_PATH), page_size=100,
                                               watermark_field="updated_at"), since=since)
    assert extracted.rows == SODA_RECORDS - 2_000
    assert {q["$where"] for _, q in server.queries} == {f"updated_at > '{since}'"}
    first, last = db.execute(f"SELECT min(updated_at), max(updated_at) "
                             f"FROM {extracted.table}").fetchone()
    assert first == soda_record(2_001)["updated_at"]
    assert last == soda_record(SODA_RECORDS)["updated_at"]


def test_soda_watermark_is_anded_with_a_configured_where(server, db):
    since = soda_record(2_000)["updated_at"]
    extracted = extract(db, "requests", source(server.url(SODA_PATH),
                                               params={"$where": "complaint_type = 'Noise'"},
                                               watermark_field="updated_at"), since=since)
    noise = [i for i in range(2_001, SODA_RECORDS + 1)
             if soda_record(i)["complaint_type"] == "Noise"]
    assert extracted.rows == len(noise)
    assert server.queries[0][1]["$where"] == (f"(complaint_type = 'Noise') AND "
                                              f"updated_at > '{since}'")


def test_soda_without_a_watermark_field_loads_everything(server, db):
    extracted = extract(db, "requests", source(server.url(SODA_PATH)), since="2024-06-01")
    assert extracted.rows == SODA_RECORDS
    assert all("$where" not in q for _, q in server.queries)


def test_checksum_is_the_same_for_identical_fetches(server, db):
    first = extract(db, "requests", source(server.url(SODA_PATH), page_size=700))
    again = extract(db, "requests", source(server.url(SODA_PATH), page_size=700))
    newer = extract(db, "requests", source(server.url(SODA_PATH), page_size=700,
                                           watermark_field="updated_at"), since="2024-01-02")
    assert first.inputs[0].sha256 == again.inputs[0].sha256
    assert len(first.inputs[0].sha256) == 64
    assert newer.inputs[0].sha256 != first.inputs[0].sha256


def test_ckan_pages_to_total_in_fields_order(server, db):
    extracted = extract(db, "vendors", source(server.url(CKAN_PATH), protocol="ckan",
                                              resource_id="vendors", page_size=200))
    assert extracted.rows == CKAN_RECORDS
    assert extracted.columns == CKAN_FIELDS  # CKAN's own _id is kept
    # The server caps pages at 150 records: offsets advance by what came back, not page_size.
    assert offsets(server, CKAN_PATH, "offset") == [0, 150, 300, 450]
    assert CKAN_ROWS_MAX == 150
    assert {q["resource_id"] for _, q in server.queries} == {"vendors"}
    rows = db.execute(f"SELECT _record, _id, name, amount, approved FROM {extracted.table} "
                      f"ORDER BY _record").fetchall()
    assert rows[0] == (1, "1", "Vendor 1", "1.50", "false")
    assert rows[2] == (3, "3", "Vendor 3", "4.50", "true")
    assert [r[0] for r in rows] == [int(r[1]) for r in rows] == list(range(1, CKAN_RECORDS + 1))
    assert extracted.inputs[0].origin == server.url(CKAN_PATH) + "?resource_id=vendors"


def test_ckan_success_false_raises_the_api_message(server, db):
    with pytest.raises(SourceError, match="Access denied: resource is private") as raised:
        extract(db, "vendors", source(server.url(CKAN_PATH), protocol="ckan",
                                      resource_id="broken"))
    assert str(raised.value).startswith("source 'vendors': GET http://127.0.0.1:")


def test_ckan_not_found_fails_at_once_with_the_api_message(server, db):
    with pytest.raises(SourceError, match="HTTP 404 Not Found Error: Not found: Resource was"):
        extract(db, "vendors", source(server.url(CKAN_PATH), protocol="ckan",
                                      resource_id="missing"))
    assert server.hits[CKAN_PATH] == 1


def test_ckan_body_of_another_shape_is_an_error(server, db):
    with pytest.raises(SourceError, match=r'returned \{"success": true.*expected \{"success"'):
        extract(db, "vendors", source(server.url(CKAN_PATH), protocol="ckan",
                                      resource_id="other"))


def test_a_500_is_retried_and_the_retry_succeeds(server, db):
    extracted = extract(db, "flaky", source(server.url("/flaky.json")))
    assert extracted.rows == 2
    assert server.hits["/flaky.json"] == 2
    assert db.execute(f"SELECT _record, id FROM {extracted.table} ORDER BY 1").fetchall() == [
        (1, "1"), (2, "2")]


def test_a_server_that_keeps_failing_raises_after_the_retries(server, db):
    url = server.url("/down.json")
    with pytest.raises(SourceError) as raised:
        extract(db, "down", source(url, retries=2, page_size=10))
    assert server.hits["/down.json"] == 3
    assert str(raised.value) == (
        f"source 'down': GET {url}?%24order=%3Aid&%24limit=10&%24offset=0 failed after 3 "
        "attempts: HTTP 500 <html>Internal Server Error</html>")


def test_a_404_fails_at_once(server, db):
    with pytest.raises(SourceError, match=r"gone\.json.* failed: HTTP 404 no such resource$"):
        extract(db, "gone", source(server.url("/gone.json"), retries=3))
    assert server.hits["/gone.json"] == 1


def test_a_429_waits_as_long_as_retry_after_says(server, db):
    started = time.monotonic()
    extracted = extract(db, "throttled", source(server.url("/throttled.json")))
    assert time.monotonic() - started >= 1.0  # the backoff alone would be a millisecond
    assert server.hits["/throttled.json"] == 2
    assert extracted.rows == 0
    assert extracted.columns == []


def test_a_body_that_is_not_json_is_an_error(server, db):
    with pytest.raises(SourceError, match=r"html\.json\?.* returned a body that is not JSON "
                                          r"\(expected a JSON array of objects\): <html>"):
        extract(db, "html", source(server.url("/html.json")))


def test_an_object_instead_of_an_array_is_an_error(server, db):
    with pytest.raises(SourceError, match=r'returned \{"rows": \[\]\}, expected a JSON array'):
        extract(db, "object", source(server.url("/object.json")))


def test_a_slow_server_times_out_and_is_retried(server, db):
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"failed after 2 attempts: timed out after 0\.2 s$"):
        extract(db, "slow", source(server.url("/slow.json"), timeout_seconds=0.2, retries=1))
    assert time.monotonic() - started < SLOW_SECONDS
    assert server.hits["/slow.json"] == 2


def test_a_refused_connection_raises_after_the_retries(db):
    url = f"http://127.0.0.1:{free_port()}/resource/x.json"
    with pytest.raises(SourceError, match="failed after 2 attempts: connection error"):
        extract(db, "closed", source(url, retries=1))


def test_headers_come_from_the_environment_and_are_never_logged(server, db, monkeypatch,
                                                                  caplog):
    monkeypatch.setenv("CITY_APP_TOKEN", "tok-123")
    caplog.set_level(logging.DEBUG, logger=http_json.__name__)
    extracted = extract(db, "token", source(server.url("/token.json"),
                                            headers={"X-App-Token": "${CITY_APP_TOKEN}"}))
    assert extracted.rows == 1
    assert server.headers[0]["X-App-Token"] == "tok-123"
    assert [r.levelname for r in caplog.records] == ["DEBUG", "INFO"]  # one page, one summary
    assert "tok-123" not in caplog.text


def test_a_missing_header_variable_fails_before_any_request(server, db, monkeypatch):
    monkeypatch.delenv("CITY_APP_TOKEN", raising=False)
    with pytest.raises(SourceError, match="source 'token': environment variable CITY_APP_TOKEN"):
        extract(db, "token", source(server.url("/token.json"),
                                    headers={"X-App-Token": "${CITY_APP_TOKEN}"}))
    assert sum(server.hits.values()) == 0


@pytest.mark.parametrize(("value", "text"), [
    (None, None), ("", ""), ("a'b", "a'b"), (True, "true"), (False, "false"), (42, "42"),
    (1.5, "1.5"), ({"a": [1, None]}, '{"a":[1,null]}'), (["é"], '["é"]'),
])
def test_json_values_become_text(value, text):
    assert http_json.as_text(value) == text
