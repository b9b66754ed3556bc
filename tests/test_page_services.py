"""The services page and its queries, against a real snapshot of the sample city and a real
server. Expected figures are computed with pandas straight from the sample's files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboards.components.formatting import count, kpi_value
from kpis import service_facts
from tests.dash_client import callback, find, render, text
from tests.expected import read_raw, timestamps
from warehouse.reader import WarehouseReader

BREAKDOWNS = ("department", "district", "channel", "request_type")
VIEW = ["services-view.children", "services-showing.children"]


def requests_file(sample: Path) -> pd.DataFrame:
    """The sample's service requests with parsed times, their month, and None for blanks."""
    raw = read_raw(sample / "service_requests.csv").replace("", None)
    opened, closed = timestamps(raw["opened"]), timestamps(raw["closed"])
    return raw.assign(opened_at=opened, closed_at=closed,
                      month=opened.dt.to_period("M").dt.start_time.dt.date)


def permits_file(sample: Path) -> pd.DataFrame:
    raw = read_raw(sample / "permits.csv").replace("", None)

    def day(column: str) -> pd.Series:
        iso = pd.to_datetime(raw[column], format="%Y-%m-%d", errors="coerce")
        return iso.fillna(pd.to_datetime(raw[column], format="%d-%b-%Y", errors="coerce"))

    return raw.assign(applied=day("applied_date").dt.to_period("M").dt.start_time.dt.date,
                      issued=day("issued_date").dt.to_period("M").dt.start_time.dt.date)


def last_months(frame: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """The rows of the latest `months` calendar months the requests cover."""
    latest = pd.Period(max(frame["month"]), "M")
    return frame[frame["month"] >= (latest - (months - 1)).start_time.date()]


def median_days_closed(requests: pd.DataFrame, month: object, district: str) -> float:
    closed = requests[(requests["status"] == "Closed") & requests["closed_at"].notna()
                      & (requests["district"] == district)]
    closed = closed[closed["closed_at"].dt.to_period("M").dt.start_time.dt.date == month]
    return ((closed["closed_at"] - closed["opened_at"]).dt.total_seconds()).median() / 86400


# ------------------------------------------------------------------ the queries


def test_the_service_queries_match_the_source_files(site):
    workspace, _ = site
    requests = requests_file(workspace.sample_dir)
    permits = permits_file(workspace.sample_dir)
    reader = WarehouseReader(workspace.settings.warehouse_dir)
    try:
        with reader.cursor() as (_, cursor):
            volumes = {by: service_facts.request_volumes(cursor, by) for by in BREAKDOWNS}
            city_permits = service_facts.permit_volumes(cursor)
            district_permits = service_facts.permit_volumes(cursor, "district")
            harbor = service_facts.kpi_panel(cursor, "median_days_to_close", "district",
                                             "Harbor")
            backlog = service_facts.kpi_panel(cursor, "backlog", "channel", "Phone")
            with pytest.raises(ValueError):
                service_facts.request_volumes(cursor, "description; DROP TABLE permits")
            with pytest.raises(ValueError):
                service_facts.permit_volumes(cursor, "department")
    finally:
        reader.close()

    for by, found in volumes.items():
        expected = requests.groupby(["month", by, "channel"], dropna=False).size()
        got = {(r.month, r.group, r.channel): r.requests for r in found.rows}
        assert got == {tuple(None if pd.isna(k) else k for k in key): n
                       for key, n in expected.items()}, by
        assert found.data_end == requests["opened_at"].max()

    applied = permits.groupby("applied").size()
    issued = permits.dropna(subset=["issued"]).groupby("issued").size()
    assert {p.month: (p.applied, p.issued) for p in city_permits} == {
        month: (int(applied.get(month, 0)), int(issued.get(month, 0)))
        for month in set(applied.index) | set(issued.index)}
    harbor_applied = permits[permits["district"] == "Harbor"].groupby("applied").size()
    assert {p.month: p.applied for p in district_permits if p.group == "Harbor"} == {
        month: int(n) for month, n in harbor_applied.items()}

    # A KPI panel: the group's trend where the KPI declares the breakdown...
    assert harbor.declared and harbor.member == "Harbor"
    assert {p.breakdown_value for p in harbor.trend} == {"Harbor"}
    latest = harbor.trend[-1]
    assert latest.value == pytest.approx(
        median_days_closed(requests, latest.period_start, "Harbor"), rel=1e-9)
    assert {p.breakdown_value for p in harbor.groups} == set(requests["district"].dropna())
    # ... and the city's where it does not (backlog has no channel breakdown).
    assert not backlog.declared and backlog.member is None and backlog.groups == ()
    assert backlog.trend and all(p.breakdown_value is None for p in backlog.trend)


# ------------------------------------------------------------------ the page


def test_the_services_page_shows_the_file_figures_and_restores_the_view_from_the_url(site):
    workspace, server = site
    requests = requests_file(workspace.sample_dir)
    permits = permits_file(workspace.sample_dir)

    page = render(server, "/services")
    words = text(page)
    assert find(page, "services-by")["props"]["value"] == "department"
    assert find(page, "services-group")["props"]["value"] == "all"
    assert find(page, "services-period")["props"]["value"] == "12m"
    assert "Requests received per month: Whole city" in words
    recent = last_months(requests)
    assert f"{count(len(recent))} requests were received in the last 12 months" in words
    top = recent["department"].value_counts()
    assert f"the most went to {top.index[0]} ({count(top.iloc[0])}," in words
    last = max(permits["applied"])
    assert (f"{count((permits['applied'] == last).sum())} and "
            f"{count((permits['issued'] == last).sum())}.") in words
    for section in ("services-summary", "services-volume", "services-volume-by",
                    "services-median-days-to-close", "services-on-time-rate",
                    "services-backlog", "services-digital-takeup", "services-channels",
                    "services-permits", "services-permits-volume", "feedback"):
        assert find(page, section) is not None, section

    # The query string chooses the view: one district, every month.
    page = render(server, "/services", "?by=district&group=Harbor&period=all")
    words = text(page)
    assert find(page, "services-by")["props"]["value"] == "district"
    assert find(page, "services-group")["props"]["value"] == "Harbor"
    assert find(page, "services-period")["props"]["value"] == "all"
    harbor = requests[requests["district"] == "Harbor"]
    assert "Requests received per month: Harbor" in words
    assert f"Harbor (highlighted) received {count(len(harbor))}" in words
    closed_month = harbor.loc[harbor["status"] == "Closed", "closed_at"].max()
    month = closed_month.to_period("M").start_time.date()
    assert f"{month:%b %Y}, Harbor:" in words
    assert kpi_value(median_days_closed(requests, month, "Harbor"), "days", 1) in words
    assert "Permits applied for and issued: Harbor" in words

    # A breakdown a KPI does not declare: said plainly, the city's figures instead.
    words = text(render(server, "/services", "?by=channel"))
    assert "This measure is not published by channel" in words
    assert "Permits applied for and issued: whole city" in words

    # Bad or repeated values fall back to the defaults, never to an error.
    for search in ("?by=colour&group=Nowhere&period=forever", "?by=district&group=Nowhere",
                   "?by=district&by=channel&period=all&period=12m", "?by=%27%3B--"):
        page = render(server, "/services", search)
        words = text(page)
        assert "could not be shown" not in words, search
        assert find(page, "services-group")["props"]["value"] == "all", search
        assert "Requests received per month: Whole city" in words, search
    assert find(render(server, "/services", "?by=colour"), "services-by")["props"]["value"] == \
        "department"


def test_changing_a_services_select_re_renders_the_charts(site):
    workspace, server = site
    requests = requests_file(workspace.sample_dir)

    # A new breakdown: its groups become the choices, and the whole city is shown again.
    answer = callback(server, ["services-group.options", "services-group.value"],
                      {"services-by.value": "channel"}, state={"services-group.value": "Harbor"})
    options = answer["services-group.options"]
    assert [o["value"] for o in options] == ["all", *sorted(requests["channel"].dropna().unique())]
    assert answer["services-group.value"] == "all"

    answer = callback(server, VIEW, {"services-by.value": "request_type",
                                     "services-group.value": "Pothole",
                                     "services-period.value": "all"})
    words = text(answer["services-view.children"])
    potholes = requests[requests["request_type"] == "Pothole"]
    assert "Requests received per month: Pothole" in words
    assert f"Pothole (highlighted) received {count(len(potholes))}" in words
    assert "Monthly trend: Pothole" in words
    assert answer["services-showing.children"] == \
        "Showing requests by request type for Pothole, all months."

    answer = callback(server, VIEW, {"services-by.value": "department",
                                     "services-group.value": "Pothole",
                                     "services-period.value": "12m"})
    words = text(answer["services-view.children"])
    assert "Requests received per month: Whole city" in words
    assert f"{count(len(last_months(requests)))} requests were received" in words
