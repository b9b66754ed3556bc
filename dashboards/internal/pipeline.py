"""Pipeline health: the ETL runs over time, each source's freshness against its schedule, the
quarantine (with a CSV of the rows held back), and the kept snapshots.

Everyone signed in reads it; admins also run the ETL now and make a kept snapshot current
(rollback), both recorded in the audit log. While a run goes on, the page asks every few
seconds and redraws what it shows.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from dash import ALL, Dash, Input, Output, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Blueprint, Response, request
from flask_login import current_user

from appdb.accounts import Account
from appdb.audit import record
from appdb.runs import FAILED, RUNNING
from config.settings import PROJECT_ROOT, Settings
from dashboards import context
from dashboards.access import ADMIN, ADMINS, VIEWER, sees_all
from dashboards.components.chart import PALETTE, accessible_chart, base_layout, dict_figure
from dashboards.components.formatting import count
from dashboards.components.freshness import ago, updated, utc_time
from dashboards.components.tables import scrolling
from dashboards.guard import guarded_callback, protect
from etl.errors import ConfigError
from etl.health import (
    GRACE,
    QUARANTINE_COLUMNS,
    Freshness,
    HeldBack,
    RunSummary,
    freshness,
    quarantine_rows,
    quarantine_summary,
    recent_runs,
    source_loads,
)
from opendata.files_route import json_error
from opendata.stream import csv_bytes
from warehouse.manifest import ManifestError, read_manifest
from warehouse.reader import NoSnapshotError, WarehouseReader
from warehouse.writer import PublishError, WarehouseBusyError, rollback, warehouse_lock

log = logging.getLogger(__name__)

PATH = "/internal/pipeline"
NAME = "Pipeline health"
PURPOSE = "ETL runs, each source's freshness against its schedule, the quarantine, snapshots"
QUARANTINE_CSV = PATH + "/quarantine.csv"
RUNS_SHOWN = 20
POLL_MS = 3000
# How long the page keeps asking for a run it started to show up in the run log.
WAIT_FOR_START = timedelta(minutes=1)
ROLLBACK = "pipeline-rollback"

STATUS_WORDS = {"running": "Running", "published": "Published", "dry-run": "Checked only",
                "failed": "Failed", "abandoned": "Stopped before the end"}
TRIGGER_WORDS = {"cli": "command line", "schedule": "schedule", "manual": "by hand"}


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    now = datetime.now(UTC)
    runs = recent_runs(context.settings().database_url, RUNS_SHOWN)
    admin = account.role == ADMIN
    return html.Div(className="pipeline", children=[
        html.H1(NAME),
        html.P("The ETL's runs, how fresh each source is against its schedule, the rows its "
               "checks held back, and the data versions (snapshots) kept for rollback."),
        dcc.Interval(id="pipeline-poll", interval=POLL_MS, disabled=not _polling(runs, None, now)),
        dcc.Store(id="pipeline-run-signal"),
        dcc.Store(id="pipeline-rollback-signal"),
        html.Section(className="pipeline-now", **{"aria-labelledby": "pipeline-now-title"},
                     children=[
            html.H2("Now", id="pipeline-now-title"),
            html.Div(id="pipeline-status", children=_status(runs, now)),
            html.Div(className="pipeline-run", children=[
                html.Button("Run ETL now", id="pipeline-run-now", type="button",
                            className="btn btn-primary"),
                html.P(id="pipeline-run-message", role="status", className="pipeline-message"),
            ]) if admin else html.P("Admins can start a run here and roll back to a kept "
                                    "snapshot.", className="text-muted"),
        ]),
        html.Div(id="pipeline-live", children=_live(runs, now)),
        html.Section(**{"aria-labelledby": "pipeline-snapshots-title"}, children=[
            html.H2("Snapshots", id="pipeline-snapshots-title"),
            html.P("Each published data version is kept for rollback; the current one is what "
                   "every page, API answer and download shows."),
            html.P(id="pipeline-rollback-message", role="status", className="pipeline-message")
            if admin else None,
            html.Div(id="pipeline-snapshots", children=_snapshots(admin)),
        ]),
    ])


# ---------------------------------------------------------------- what the page shows


def _status(runs: list[RunSummary], now: datetime) -> html.P:
    if not runs:
        return html.P("No run yet.")
    last = runs[0]
    started = [utc_time(last.started_at), f" ({ago(last.started_at, now)})"]
    if last.status == RUNNING:
        return html.P(["A run is in progress: started ", TRIGGER_WORDS.get(last.trigger, ""),
                       " at ", *started, ". This page follows it."], className="fw-semibold")
    outcome = (f"published snapshot {last.snapshot_id}" if last.snapshot_id
               else STATUS_WORDS.get(last.status, last.status).lower())
    return html.P(["No run in progress. The last run started at ", *started, " and ", outcome,
                   "."])


def _live(runs: list[RunSummary], now: datetime) -> list[html.Section]:
    settings, reader = context.settings(), context.reader()
    try:
        with reader.cursor() as (_, cursor):
            loads, held = source_loads(cursor), quarantine_summary(cursor)
    except NoSnapshotError:
        loads, held = {}, None
    return [_runs(runs), _sources(settings, loads, now),
            _quarantine(held, sees_all(current_user.account))]


def _runs(runs: list[RunSummary]) -> html.Section:
    return html.Section(**{"aria-labelledby": "pipeline-runs-title"}, children=[
        html.H2("Runs", id="pipeline-runs-title"),
        _runs_chart(runs),
        scrolling(html.Table(
            id="pipeline-runs", className="table table-sm data-table", children=[
                html.Caption(f"The latest {RUNS_SHOWN} runs, newest first"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "Started (UTC)", "Status", "Started by", "Seconds", "Rows read",
                    "Rows loaded", "Rows held back", "Snapshot", "Error")])),
                html.Tbody([_run_row(r) for r in runs] or html.Tr(html.Td(
                    "No run yet.", colSpan=9))),
            ]), "Runs"),
    ])


def _run_row(run: RunSummary) -> html.Tr:
    failed = run.status == FAILED
    return html.Tr([
        html.Th(utc_time(run.started_at), scope="row"),
        html.Td(STATUS_WORDS.get(run.status, run.status),
                className="status-text-red fw-semibold" if failed else None),
        html.Td(TRIGGER_WORDS.get(run.trigger, run.trigger)),
        html.Td("" if run.seconds is None else f"{run.seconds:,.1f}"),
        html.Td(count(run.rows_read)),
        html.Td(count(run.rows_loaded)),
        html.Td(count(run.rows_quarantined)),
        html.Td(run.snapshot_id or ""),
        html.Td(run.error or "", className="pipeline-error"),
    ])


def _runs_chart(runs: list[RunSummary]) -> html.Section:
    ended = [r for r in reversed(runs) if r.seconds is not None]
    failed = [r for r in ended if r.status == FAILED]
    good = [r for r in ended if r.status != FAILED]

    def trace(name: str, chosen: list[RunSummary], symbol: str, colour: str) -> dict:
        return {"type": "scatter", "mode": "markers", "name": name,
                "x": [r.started_at.isoformat() for r in chosen], "y": [r.seconds for r in chosen],
                "customdata": [r.rows_loaded for r in chosen],
                "hovertemplate": "%{y:,.1f} s, %{customdata:,} rows loaded",
                "marker": {"symbol": symbol, "size": 11, "color": colour}}

    figure = dict_figure([trace("Finished", good, "circle", PALETTE[0]),
                          trace("Failed", failed, "x", PALETTE[5])],
                         base_layout("Run started (UTC)", "Seconds", height=280))
    latest = next(iter(reversed(good)), None)
    summary = (f"Of the last {len(ended)} finished runs, {len(failed)} failed (marked with a "
               f"cross). " + (f"The latest good run took {latest.seconds:,.1f} seconds and "
                              f"loaded {count(latest.rows_loaded)} rows." if latest else ""))
    return accessible_chart(
        "pipeline-runs-chart", "How long each run took", summary, figure,
        ["Started (UTC)", "Status", "Seconds", "Rows loaded"],
        [(f"{r.started_at:%Y-%m-%d %H:%M:%S}", STATUS_WORDS.get(r.status, r.status), r.seconds,
          r.rows_loaded) for r in ended], heading_level=3)


def _sources(settings: Settings, loads: dict, now: datetime) -> html.Section:
    title = html.H2("Sources: freshness against their schedules", id="pipeline-sources-title")
    try:
        found = freshness(settings.sources_file, loads, now)
    except ConfigError as exc:
        return html.Section(**{"aria-labelledby": "pipeline-sources-title"}, children=[
            title, html.P(f"The sources cannot be read: {exc}", role="alert",
                          className="pipeline-error")])
    late = [f.source for f in found if f.late]
    return html.Section(**{"aria-labelledby": "pipeline-sources-title"}, children=[
        title,
        html.P(f"Late: {', '.join(late)}." if late else "No source is late.",
               id="pipeline-late", className="fw-semibold"),
        html.P("A source is late when a scheduled load fell due after its last load in the "
               f"current snapshot and none has arrived within {GRACE.seconds // 60} minutes "
               "(or one schedule period, when that is shorter).", className="text-muted"),
        scrolling(html.Table(
            id="pipeline-sources", className="table table-sm data-table", children=[
                html.Caption("Each source of sources.yaml, its schedule and its last load"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "Source", "Feeds table", "Schedule", "Last loaded", "Next load due",
                    "Status")])),
                html.Tbody([_source_row(f, now) for f in found]),
            ]), "Sources"),
    ])


def _source_row(f: Freshness, now: datetime) -> html.Tr:
    if f.last_load is None:
        state, style = "Not loaded yet", "status-text-amber"
    elif f.schedule is None:
        state, style = "Not scheduled (loaded when someone runs it)", None
    elif f.late:
        state, style = f"Late: a load was due {ago(f.due, now)}", "status-text-red"
    else:
        state, style = "On time", None
    return html.Tr([
        html.Th(f.source, scope="row"),
        html.Td(f.table),
        html.Td(f.schedule or "none"),
        html.Td(updated(f.last_load.isoformat(), now) if f.last_load else "never"),
        html.Td(utc_time(f.due) if f.due else ""),
        html.Td(state, className=f"{style or ''} fw-semibold".strip()),
    ])


def _quarantine(held: list[HeldBack] | None, rows_shown: bool) -> html.Section:
    """rows_shown: whether the user may download the rows (they are any department's)."""
    title = html.H2("Quarantine: rows held back", id="pipeline-quarantine-title")
    if held is None:
        return html.Section([title, html.P("Nothing has been published yet.")],
                            **{"aria-labelledby": "pipeline-quarantine-title"})
    rows = sum(h.rows for h in held)
    sources = sorted({h.source for h in held})
    return html.Section(**{"aria-labelledby": "pipeline-quarantine-title"}, children=[
        title,
        html.P(f"The current snapshot holds back {count(rows)} rows that failed the ETL's "
               f"checks, from {len(sources)} source{'' if len(sources) == 1 else 's'}: they "
               "were not loaded." if held else
               "The current snapshot holds back no rows: every row passed the checks."),
        (html.P(html.A("Download the rows held back (CSV)", href=QUARANTINE_CSV,
                       id="pipeline-quarantine-csv", download="")) if rows_shown else
         html.P("The rows themselves, from any department, are for viewers and admins."))
        if held else None,
        scrolling(html.Table(
            id="pipeline-quarantine", className="table table-sm data-table", children=[
                html.Caption("Rows held back in the current snapshot, by source, column and "
                              "reason"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "Source", "Table", "Column", "Reason", "Rows", "Last run")])),
                html.Tbody([html.Tr([
                    html.Th(h.source, scope="row"), html.Td(h.table or ""), html.Td(h.column),
                    html.Td(h.reason), html.Td(count(h.rows)), html.Td(h.last_run),
                ]) for h in held]),
            ]), "Rows held back") if held else None,
    ])


def _snapshots(admin: bool) -> html.Div:
    manifest = read_manifest(context.settings().warehouse_dir)
    if not manifest.snapshots:
        return html.P("No snapshot has been published yet.")
    current = manifest.current.id if manifest.current else None
    heads = ["Snapshot", "Published (UTC)", "Built by run", "Size", "Status"]
    return scrolling(html.Table(
        id="pipeline-snapshot-table", className="table table-sm data-table", children=[
            html.Caption("The kept snapshots, newest first"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                heads + (["Rollback"] if admin else [])])),
            html.Tbody([html.Tr([
                html.Th(s.id, scope="row"),
                html.Td(utc_time(datetime.fromisoformat(s.published_at))),
                html.Td(s.run_id),
                html.Td(f"{s.size / 1e6:,.1f} MB"),
                html.Td("Current" if s.id == current else "Kept",
                        className="fw-semibold" if s.id == current else None),
                *([html.Td(None if s.id == current else html.Button(
                    ["Make current",
                     html.Span(f" (snapshot {s.id})", className="visually-hidden")],
                    id={"type": ROLLBACK, "snapshot": s.id}, type="button",
                    className="btn btn-outline-primary btn-sm"))] if admin else []),
            ]) for s in reversed(manifest.snapshots)]),
        ]), "Snapshots")


def _polling(runs: list[RunSummary], started: dict | None, now: datetime) -> bool:
    """Whether the page should keep asking: a run is going, or the one started from this page
    has not reached the run log yet."""
    if runs and runs[0].status == RUNNING:
        return True
    if not isinstance(started, dict) or not isinstance(started.get("at"), str):
        return False
    asked = datetime.fromisoformat(started["at"])
    return now - asked < WAIT_FOR_START and not any(r.started_at >= asked for r in runs)


# ---------------------------------------------------------------- running the ETL


def start_run(settings: Settings) -> int:
    """Start `python -m etl run --trigger manual` in a process of its own and return its id;
    WarehouseBusyError when a run or a rollback holds the warehouse now."""
    # A process, not a thread of this web worker: a gunicorn worker is killed at its timeout
    # and replaced after max_requests, which would kill a run with it (safe, as nothing is
    # published, but lost); the ETL's memory (DuckDB unlimited, pandas) would stay in the
    # worker; and web workers never load the ETL's packages. Its own session keeps it going
    # when the server is stopped with Ctrl-C. Its log lines go where the server's go.
    with warehouse_lock(settings.warehouse_dir):
        pass  # only asks whether the warehouse is free; the run takes the lock itself
    process = subprocess.Popen(
        [sys.executable, "-m", "etl", "run", "--trigger", "manual"], cwd=PROJECT_ROOT,
        env={**os.environ, "DASHBOARD_DATA_DIR": str(settings.data_dir),
             "DASHBOARD_CONFIG_DIR": str(settings.config_dir),
             "DASHBOARD_DATABASE_URL": settings.database_url,
             "DASHBOARD_SNAPSHOT_RETENTION": str(settings.snapshot_retention)},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    threading.Thread(target=_wait_for, args=(process,), daemon=True,
                     name=f"etl-run-{process.pid}").start()
    return process.pid


def _wait_for(process: subprocess.Popen) -> None:
    # Collects the exit status (no zombie is left) and says how it ended.
    code = process.wait()
    (log.info if code == 0 else log.warning)("ETL run started by hand (process %d) exited %d",
                                             process.pid, code)


# ---------------------------------------------------------------- callbacks and the download


def register(app: Dash) -> None:
    @guarded_callback(app, Output("pipeline-status", "children"),
                      Output("pipeline-live", "children"),
                      Output("pipeline-snapshots", "children"),
                      Output("pipeline-poll", "disabled"),
                      Input("pipeline-poll", "n_intervals"),
                      Input("pipeline-run-signal", "data"),
                      Input("pipeline-rollback-signal", "data"), prevent_initial_call=True)
    def refresh(_ticks: int | None, started: dict | None, _rolled: dict | None):
        now = datetime.now(UTC)
        runs = recent_runs(context.settings().database_url, RUNS_SHOWN)
        return (_status(runs, now), _live(runs, now),
                _snapshots(current_user.account.role == ADMIN),
                not _polling(runs, started, now))

    @guarded_callback(app, Output("pipeline-run-message", "children"),
                      Output("pipeline-run-signal", "data"),
                      Input("pipeline-run-now", "n_clicks"), prevent_initial_call=True,
                      roles=ADMINS)
    def run_now(clicks: int | None):
        if not clicks:
            raise PreventUpdate
        settings = context.settings()
        from etl.sources_config import load_sources  # here: see etl.health.freshness

        try:
            load_sources(settings.sources_file)  # a run would stop at once, unseen here
            pid = start_run(settings)
        except ConfigError as exc:
            return f"Not started: the sources cannot be read. {exc}", no_update
        except WarehouseBusyError:
            return ("Not started: a run (or a rollback) is in progress. Its outcome shows "
                    "here when it ends."), {"at": datetime.now(UTC).isoformat()}
        actor = current_user.account.name
        record(settings.database_url, "etl_run_started", actor, request.remote_addr,
               process=pid)
        log.info("%s started an ETL run (process %d)", actor, pid)
        return ("Run started. This page follows it and shows its outcome when it ends."), \
            {"at": datetime.now(UTC).isoformat()}

    @guarded_callback(app, Output("pipeline-rollback-message", "children"),
                      Output("pipeline-rollback-signal", "data"),
                      Input({"type": ROLLBACK, "snapshot": ALL}, "n_clicks"),
                      prevent_initial_call=True, roles=ADMINS)
    def make_current(_clicks: list[int | None]):
        # Also called when the snapshot table is redrawn (new buttons, no click): ignored.
        chosen = ctx.triggered_id
        if not isinstance(chosen, dict) or not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        return _roll_back(str(chosen["snapshot"]))


def _roll_back(snapshot_id: str) -> tuple[str, Any]:
    settings = context.settings()
    try:
        with warehouse_lock(settings.warehouse_dir):
            before = read_manifest(settings.warehouse_dir).current
            after = rollback(settings.warehouse_dir, snapshot_id)
    except WarehouseBusyError:
        return ("Not rolled back: the ETL is running (or someone else is rolling back). Try "
                "again when it ends."), no_update
    except (PublishError, ManifestError) as exc:
        return f"Not rolled back: {exc}", no_update
    actor = current_user.account.name
    record(settings.database_url, "rollback", actor, request.remote_addr,
           **{"from": before.id if before else None, "to": after.id})
    log.info("%s rolled back from snapshot %s to %s", actor, before.id if before else None,
             after.id)
    return (f"Snapshot {after.id} is current now (it was {before.id if before else 'none'}): "
            "every page, API answer and download shows its data."), \
        {"at": datetime.now(UTC).isoformat()}


def routes(reader: WarehouseReader, settings: Settings) -> Blueprint:
    """GET /internal/pipeline/quarantine.csv: the current snapshot's quarantined rows."""
    blueprint = Blueprint("internal_pipeline", __name__)
    protect(QUARANTINE_CSV, frozenset({VIEWER, ADMIN}))  # any department's rows
    blueprint.add_url_rule(QUARANTINE_CSV, "quarantine_csv", lambda: _quarantine_csv(reader))
    return blueprint


def _quarantine_csv(reader: WarehouseReader) -> Response:
    stack = ExitStack()  # the cursor stays open until the last byte is sent
    try:
        snapshot, cursor = stack.enter_context(reader.cursor())
        rows = quarantine_rows(cursor)
    except NoSnapshotError:
        stack.close()
        return json_error(503, "no data has been published yet")
    except BaseException:
        stack.close()
        raise
    response = Response(csv_bytes(rows if rows is not None else [],
                                  [name for name, _ in QUARANTINE_COLUMNS]),
                        mimetype="text/csv")
    response.call_on_close(stack.close)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="quarantine_{snapshot.id}.csv"'
    response.headers["X-Snapshot-Id"] = snapshot.id
    response.cache_control.no_store = True
    return response
