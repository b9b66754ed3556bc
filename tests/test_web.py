"""The web app served by real processes: health, the page frame, rollback without restart."""

import sys

from config.settings import load_settings
from dashboards.components.formatting import count, money
from dashboards.components.states import safe_layout
from tests import expected
from tests.helpers import ServerProcess, free_port


def test_healthz_names_the_current_snapshot(app_server, published):
    status = published.status()
    answer = app_server.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "snapshot": status["current_snapshot"],
                             "published_at": status["published_at"]}


def test_the_page_has_a_language_the_city_name_and_the_data_version(app_server, published):
    page = app_server.get("/")
    assert page.status_code == 200
    html = page.content.decode("utf-8")  # as the page's <meta charset> tells browsers
    assert '<html lang="en">' in html
    assert "<title>Millbrook Open Data & Performance</title>" in html
    layout = app_server.get("/_dash-layout").text
    assert f"(snapshot {published.status()['current_snapshot']})" in layout
    assert "Skip to main content" in layout


def test_the_app_serves_a_rolled_back_snapshot_without_a_restart(app_server, published):
    first = published.status()["current_snapshot"]
    second = published.etl("run").stdout.strip()
    assert app_server.get("/healthz").json()["snapshot"] == second
    published.etl("rollback")
    assert app_server.get("/healthz").json()["snapshot"] == first
    assert f"(snapshot {first})" in app_server.get("/_dash-layout").text


def test_the_home_page_shows_the_warehouse_figures(published):
    from app import create_app
    from dashboards.public import home

    server = create_app(published.settings)
    with server.test_request_context("/"):
        text = _text(home.layout())
    year, budget = expected.budget_total(published.sample_dir)
    assert money(float(budget)) in text and f"fiscal year {year}" in text
    assert count(expected.requests_closed_in(published.sample_dir, 2026, 10)) in text
    assert "in October 2026" in text
    assert count(expected.active_members(published.sample_dir)) in text


def test_with_nothing_published_pages_say_so_and_health_is_503(tmp_path):
    from app import create_app
    from dashboards.public import home

    settings = load_settings({"DASHBOARD_DATA_DIR": str(tmp_path)})
    server = create_app(settings)
    answer = server.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["status"] == "no-data"
    with server.test_request_context("/"):
        assert "No data has been published yet" in _text(home.layout())


def test_a_failing_page_shows_a_plain_message_and_logs_the_error(caplog):
    @safe_layout
    def broken(**_):
        raise ZeroDivisionError("boom")

    text = _text(broken())
    assert "This page could not be shown" in text and "boom" not in text
    assert "ZeroDivisionError" in caplog.text


def test_gunicorn_serves_app_server(published):
    server = ServerProcess(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{(port := free_port())}", "app:server"],
        published.env, port,
    )
    try:
        assert server.get("/healthz").json()["snapshot"] == published.status()["current_snapshot"]
        assert server.get("/").status_code == 200
    finally:
        server.stop()


def _text(component) -> str:
    """All the text in a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)
