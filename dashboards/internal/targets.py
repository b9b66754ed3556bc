"""Targets: admins and a KPI's owner set its target and amber threshold from a period on.
Every change is kept (who, when, old, new), and the KPI's history shows the target in force at
each period and the status it gives there."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html
from flask import request
from flask_login import current_user

from appdb.accounts import Account
from appdb.audit import record
from appdb.targets import Change, add_change, changes, rules
from dashboards import context
from dashboards.access import ADMIN, MANAGER, sets_target
from dashboards.cache import snapshot_cached
from dashboards.components.formatting import kpi_value, status_word
from dashboards.components.tables import scrolling
from dashboards.guard import guarded_callback
from kpis.catalogue import PERIOD_STEP
from kpis.read import Definition, definition, definitions, series
from kpis.targets import in_force, status

PATH = "/internal/targets"
NAME = "Targets"
PURPOSE = "each KPI's target and thresholds, who changed them and when"
MAX_NOTE = 500


def layout(account: Account, path: str, query: dict[str, str]) -> html.Div:
    found = snapshot_cached(definition)(query.get("kpi", ""), None)[1] if query.get("kpi") \
        else None
    return _kpi(account, found) if found else _index(account)


def _index(account: Account) -> html.Div:
    _, all_kpis = snapshot_cached(definitions)(None)
    by_kpi = rules(context.settings().database_url)
    return html.Div([
        html.H1("Targets"),
        html.P("Select a KPI to see its target history, or to change its target (admins, and "
               "managers of the KPI's owner)."),
        scrolling(html.Table(
            id="targets-table", className="table", children=[
                html.Caption("Each KPI's target and amber threshold: the latest change, else "
                             "the catalogue's"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "KPI", "Target", "Amber from", "Changes", "Owner", "You may change it")])),
                html.Tbody([_index_row(account, d, by_kpi.get(d.id, ())) for d in all_kpis]),
            ]), "Targets"),
    ])


def _index_row(account: Account, d: Definition, kpi_rules) -> html.Tr:
    target, amber = in_force(kpi_rules, date.max, d.target, d.amber)
    return html.Tr([
        html.Th(dcc.Link(d.title, href=f"{PATH}?kpi={d.id}"), scope="row"),
        html.Td(kpi_value(target, d.unit, d.decimals)),
        html.Td(kpi_value(amber, d.unit, d.decimals)),
        html.Td(str(len(kpi_rules))),
        html.Td(d.owner),
        html.Td("Yes" if sets_target(account, d.owner) else "No"),
    ])


def _kpi(account: Account, d: Definition) -> html.Div:
    editable = sets_target(account, d.owner)
    return html.Div([
        html.H1(f"Target: {d.title}"),
        html.P([dcc.Link("All targets", href=PATH), " · ",
                f"Owner: {d.owner}. {'Higher' if d.direction == 'higher' else 'Lower'} is "
                "better."]),
        dcc.Store(id="target-kpi", data=d.id),
        _form(d) if editable else html.P(
            "Only admins and managers of the KPI's owner may change its target.",
            className="text-muted"),
        html.Div(id="target-history", children=_history(d)),
    ])


def _form(d: Definition) -> html.Form:
    periods = _periods(d)
    scale = 100 if d.unit == "percent" else 1
    unit = "%" if d.unit == "percent" else d.unit
    target, amber = in_force(rules(context.settings().database_url).get(d.id, ()), date.max,
                             d.target, d.amber)

    def number(field_id: str, label: str, value: float, hint: str) -> html.Div:
        # The hint inside the label, so a screen reader reads it with the field.
        return html.Div(className="mb-2", children=[
            html.Label([f"{label} ({unit}) ", html.Small(hint, className="form-text")],
                       htmlFor=field_id, className="form-label"),
            dcc.Input(id=field_id, type="number", value=round(value * scale, 6), required=True,
                      step="any", className="form-control"),
        ])

    worse = "below" if d.direction == "higher" else "above"
    return html.Form(id="target-form", className="target-form", children=[
        html.H2("Change the target"),
        html.Div(className="mb-2", children=[
            html.Label("From the period", htmlFor="target-from", className="form-label"),
            dbc.Select(id="target-from", options=[{"value": p.isoformat(), "label": label}
                                                  for p, label in periods],
                       value=periods[-1][0].isoformat()),
        ]),
        number("target-value", "Target", target, "On target at or past this value."),
        number("target-amber", "Amber threshold", amber,
               f"Amber between it and the target; red {worse} it."),
        html.Div(className="mb-2", children=[
            html.Label("Reason (optional)", htmlFor="target-note", className="form-label"),
            dcc.Textarea(id="target-note", maxLength=MAX_NOTE, className="form-control"),
        ]),
        html.Button("Save the target", id="target-save", type="button",
                    className="btn btn-primary"),
        html.P(id="target-message", role="status", className="mt-2"),
    ])


def _periods(d: Definition) -> list[tuple[date, str]]:
    """The KPI's periods with values, and the next one: the periods a change may start from."""
    _, points = snapshot_cached(series)(d.id)
    found = [(p.period_start, p.period_label) for p in points]
    latest = found[-1][0] if found else date.today().replace(day=1)
    following = latest + PERIOD_STEP[d.period]
    return [*found, (following, f"The next period (from {following:%d %b %Y})")]


def _history(d: Definition) -> list:
    database_url = context.settings().database_url
    made = changes(database_url, d.id)
    kpi_rules = rules(database_url).get(d.id, ())
    _, points = snapshot_cached(series)(d.id)

    def shown(value: float) -> str:
        return kpi_value(value, d.unit, d.decimals)

    return [
        html.H2("Changes"),
        scrolling(html.Table(
            id="target-changes", className="table", children=[
                html.Caption(f"Every change to the target of {d.title}, newest first"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "When (UTC)", "Who", "From the period", "Target", "Amber", "Reason")])),
                html.Tbody([html.Tr([
                    html.Td(html.Time(f"{c.changed_at:%Y-%m-%d %H:%M}",
                                      dateTime=c.changed_at.isoformat())),
                    html.Td(c.changed_by),
                    html.Td(f"{c.effective_from:%d %b %Y}"),
                    html.Td(f"{shown(c.previous_target)} → {shown(c.target)}"),
                    html.Td(f"{shown(c.previous_amber)} → {shown(c.amber)}"),
                    html.Td(c.note or ""),
                ]) for c in reversed(made)] or html.Tr(html.Td(
                    f"No change yet: the catalogue's target ({shown(d.target)}) applies.",
                    colSpan=6))),
            ]), "Changes"),
        html.H2("History"),
        scrolling(html.Table(
            id="target-periods", className="table table-sm", children=[
                html.Caption(f"{d.title} at each period, judged by the target in force then"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "Period", "Value", "Target in force", "Status")])),
                html.Tbody([_period_row(d, kpi_rules, p) for p in reversed(points)]),
            ]), "History"),
    ]


def _period_row(d: Definition, kpi_rules, point) -> html.Tr:
    target, amber = in_force(kpi_rules, point.period_start, d.target, d.amber)
    judged = status(point.value, d.direction, target, amber)
    return html.Tr([
        html.Th(point.period_label, scope="row"),
        html.Td(kpi_value(point.value, d.unit, d.decimals)),
        html.Td(kpi_value(target, d.unit, d.decimals)),
        html.Td(status_word(judged), className=f"status-text-{judged}"),
    ])


def _owner_scope(account: Account, values: dict) -> str | None:
    kpi_id = values.get("target-kpi.data")
    with context.reader().cursor() as (_, cursor):
        found = definition(cursor, kpi_id, None) if isinstance(kpi_id, str) else None
    if found is None:
        return "no such KPI"
    if not sets_target(account, found.owner):
        return f"only admins and managers of {found.owner} change this target"
    return None


def check(d: Definition, start: str | None, target: float | None, amber: float | None,
          note: str | None) -> tuple[date, float, float, str | None]:
    """The change as stored (fractions for percents), or ValueError saying what is wrong."""
    allowed = {p.isoformat(): p for p, _ in _periods(d)}
    if start not in allowed:
        raise ValueError("Choose the period the target applies from.")
    values = []
    for name, value in (("target", target), ("amber threshold", amber)):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"The {name} must be a number.")
        values.append(value / 100 if d.unit == "percent" else float(value))
    new_target, new_amber = values
    if (d.direction == "higher" and new_amber > new_target) or \
            (d.direction == "lower" and new_amber < new_target):
        side = "at or below" if d.direction == "higher" else "at or above"
        raise ValueError(f"Higher is {'better' if d.direction == 'higher' else 'worse'} for "
                         f"this KPI: the amber threshold must be {side} the target.")
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValueError(f"The reason is longer than {MAX_NOTE} characters.")
    return allowed[start], new_target, new_amber, text or None


def register(app: Dash) -> None:
    @guarded_callback(app, Output("target-message", "children"),
                      Output("target-history", "children"),
                      Input("target-save", "n_clicks"), State("target-kpi", "data"),
                      State("target-from", "value"), State("target-value", "value"),
                      State("target-amber", "value"), State("target-note", "value"),
                      prevent_initial_call=True, roles=frozenset({ADMIN, MANAGER}),
                      scope=_owner_scope)
    def save(_clicks, kpi_id, start, target, amber, note):
        settings = context.settings()
        _, d = snapshot_cached(definition)(kpi_id, None)
        try:
            effective, new_target, new_amber, text = check(d, start, target, amber, note)
        except ValueError as exc:
            return str(exc), _history(d)
        old_target, old_amber = in_force(rules(settings.database_url).get(d.id, ()),
                                         effective, d.target, d.amber)
        actor = current_user.account.name
        add_change(settings.database_url, Change(
            d.id, effective, new_target, new_amber, old_target, old_amber, actor,
            datetime.now(UTC), text))
        record(settings.database_url, "target_changed", actor, request.remote_addr,
               kpi=d.id, effective_from=effective.isoformat(), old_target=old_target,
               new_target=new_target, old_amber=old_amber, new_amber=new_amber)
        return (f"Saved: from {effective:%d %b %Y}, target "
                f"{kpi_value(new_target, d.unit, d.decimals)}, amber from "
                f"{kpi_value(new_amber, d.unit, d.decimals)}. Public pages follow at the next "
                "publish."), _history(d)
