"""The community page (/engagement): its monthly facts against the sample files, and the page
served by a real app process (window from the query string, the select's callback)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards.components.formatting import count, kpi_value
from kpis.engagement_facts import MIN_SCORES, engagement_facts, months_back, window
from tests.dash_client import find, render, run_callback, table_rows, text
from tests.expected import read_rows
from tests.helpers import query, snapshot_file

# ---------------------------------------------------------------- expected, with pandas


def complete(months: pd.Series, moments: pd.Series) -> pd.Series:
    """Months that end on or before the day of the newest record (as the KPIs count them)."""
    last_day = moments.max().normalize()
    return (months.dt.to_timestamp() + pd.offsets.MonthEnd(0)) <= last_day


def expected_activity(sample: Path) -> pd.DataFrame:
    """One row a complete month, computed from engagement_events.csv.gz alone."""
    events = read_rows(sample / "engagement_events.csv.gz").drop_duplicates("event_id")
    moments = pd.to_datetime(events["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    events = events.assign(month=moments.dt.to_period("M"))
    kind = events["event_type"]

    def per_month(mask: pd.Series) -> pd.Series:
        return events[mask].groupby("month").size()

    contributing = events[kind.isin(["post", "practice_shared"]) & (events["member_id"] != "")]
    scores = events[(kind == "feedback") & (events["satisfaction"] != "")]
    frame = pd.DataFrame({
        "sign_ups": per_month(kind == "sign_up"),
        "contributors": contributing.groupby("month")["member_id"].nunique(),
        "shared": per_month(kind == "practice_shared"),
        "implemented": per_month(kind == "practice_implemented"),
        "webinars": per_month(kind == "webinar_attended"),
        "downloads": per_month(kind == "dataset_downloaded"),
        "scores": scores.groupby("month").size(),
        "satisfaction": scores.groupby("month")["satisfaction"].apply(
            lambda s: s.astype(float).mean()),
    }).sort_index()
    frame[frame.columns.drop("satisfaction")] = frame[frame.columns.drop("satisfaction")] \
        .fillna(0).astype(int)
    frame["members"] = frame["sign_ups"].cumsum()
    return frame[complete(frame.index.to_series(), moments).to_numpy()]


def expected_feedback(sample: Path) -> pd.DataFrame:
    """Yes, no and comment-only answers a complete month, from citizen_feedback.csv alone."""
    answers = read_rows(sample / "citizen_feedback.csv").drop_duplicates("ID")
    moments = pd.to_datetime(answers["Submitted (UTC)"], format="%Y-%m-%d %H:%M:%S")
    word = answers["Was this useful?"].str.lower()
    frame = pd.DataFrame({"month": moments.dt.to_period("M"), "word": word})
    table = pd.crosstab(frame["month"], frame["word"]).sort_index()
    table = table.rename(columns={"yes": "yes", "no": "no", "": "comment_only"})
    return table[complete(table.index.to_series(), moments).to_numpy()]


# ---------------------------------------------------------------- the facts


def test_the_monthly_facts_match_the_sample_files(site):
    workspace, _ = site
    _, path = snapshot_file(workspace)
    with duckdb.connect(str(path), read_only=True) as connection:
        facts = engagement_facts(connection.cursor())
    activity = expected_activity(workspace.sample_dir)
    assert [row.month for row in facts.activity] == [p.start_time.date() for p in activity.index]
    for row, (_, want) in zip(facts.activity, activity.iterrows(), strict=True):
        assert (row.sign_ups, row.members, row.contributors, row.practices_shared,
                row.practices_implemented, row.webinar_attendances, row.downloads,
                row.scores) == (want.sign_ups, want.members, want.contributors, want.shared,
                                want.implemented, want.webinars, want.downloads, want.scores)
        if want.scores >= MIN_SCORES:
            assert row.satisfaction == pytest.approx(want.satisfaction)
        else:
            assert row.satisfaction is None
    feedback = expected_feedback(workspace.sample_dir)
    assert [(r.month, r.useful_yes, r.useful_no, r.comment_only) for r in facts.feedback] == [
        (p.start_time.date(), w["yes"], w["no"], w["comment_only"])
        for p, w in feedback.iterrows()]
    # The contributors counted here are the KPI's own figures.
    kpi = dict(query(workspace, "SELECT period_start, value FROM kpi.series "
                     "WHERE kpi_id = 'active_contributors'"))
    assert {r.month: r.contributors for r in facts.activity} == kpi


def test_the_window_keeps_the_last_twelve_months():
    from datetime import date

    assert months_back(date(2026, 10, 1), 12) == date(2025, 11, 1)
    assert months_back(date(2026, 1, 1), 1) == date(2026, 1, 1)
    assert months_back(date(2026, 1, 1), 13) == date(2025, 1, 1)


def test_the_window_of_the_real_facts(site):
    workspace, _ = site
    _, path = snapshot_file(workspace)
    with duckdb.connect(str(path), read_only=True) as connection:
        facts = engagement_facts(connection.cursor())
    shown = window(facts, 12)
    assert len(shown.activity) == 12 and shown.activity[-1] == facts.activity[-1]
    assert window(facts, None) == facts


# ---------------------------------------------------------------- the page


def last(frame: pd.DataFrame, months: int | None) -> pd.DataFrame:
    return frame if months is None else frame.iloc[-months:]


def assert_charts_show(charts, sample: Path, months: int | None) -> None:
    """The charts' tables hold the expected monthly numbers for the window."""
    activity = last(expected_activity(sample), months)
    label = [p.strftime("%b %Y") for p in activity.index]
    period = text(find(charts, "engagement-period"))
    assert f"The charts show {len(activity)} months, from " \
           f"{activity.index[0].strftime('%B %Y')} to {activity.index[-1].strftime('%B %Y')}" \
        in period
    assert table_rows(find(charts, "engagement-signups")) == [
        [m, count(v)] for m, v in zip(label, activity["sign_ups"], strict=True)]
    assert table_rows(find(charts, "engagement-members-total")) == [
        [m, count(v)] for m, v in zip(label, activity["members"], strict=True)]
    assert [r[:2] for r in table_rows(find(charts, "engagement-contributors"))] == [
        [m, count(v)] for m, v in zip(label, activity["contributors"], strict=True)]
    assert table_rows(find(charts, "engagement-practices")) == [
        [m, count(a), count(b)]
        for m, a, b in zip(label, activity["shared"], activity["implemented"], strict=True)]
    assert [r[:2] for r in table_rows(find(charts, "engagement-webinars"))] == [
        [m, count(v)] for m, v in zip(label, activity["webinars"], strict=True)]
    assert [r[:2] for r in table_rows(find(charts, "engagement-downloads"))] == [
        [m, count(v)] for m, v in zip(label, activity["downloads"], strict=True)]
    assert [r[:2] for r in table_rows(find(charts, "engagement-satisfaction"))] == [
        [m, f"{v:.2f}"] for m, v, n in zip(label, activity["satisfaction"], activity["scores"],
                                           strict=True) if n >= MIN_SCORES]
    signups = text(find(charts, "engagement-signups-summary"))
    assert f"{count(activity['sign_ups'].sum())} people joined" in signups
    feedback = last(expected_feedback(sample), months)
    assert table_rows(find(charts, "engagement-feedback")) == [
        [p.strftime("%b %Y"), count(w["yes"]), count(w["no"]), count(w["comment_only"]),
         count(w["yes"] + w["no"] + w["comment_only"])] for p, w in feedback.iterrows()]


def test_the_page_shows_the_last_twelve_months_and_the_kpis(site):
    workspace, server = site
    page = render(server, "/engagement")
    assert text(page).startswith("Community engagement")
    assert find(page, "engagement-months")["props"]["value"] == "12"
    assert_charts_show(find(page, "engagement-charts"), workspace.sample_dir, 12)
    # Every public engagement KPI has its tile, with its latest value.
    tiles = find(page, "engagement-kpis")
    for kpi_id, value, unit, decimals in query(workspace, """
            SELECT s.kpi_id, s.value, d.unit, d.decimals FROM kpi.series s
            JOIN kpi.definitions d USING (kpi_id)
            WHERE d.domain = 'engagement' AND d.audience = 'public' AND s.breakdown IS NULL
              AND s.is_latest"""):
        assert kpi_value(value, unit, decimals) in text(find(tiles, f"tile-{kpi_id}"))


@pytest.mark.parametrize("search, months", [
    ("?months=all", None), ("?months=12", 12), ("?months=7", 12), ("?months=", 12),
    ("?months=all&months=12", 12), ("?other=1", 12),
])
def test_the_query_string_chooses_the_window_and_bad_values_fall_back(site, search, months):
    workspace, server = site
    page = render(server, "/engagement", search)
    assert find(page, "engagement-months")["props"]["value"] == ("all" if months is None
                                                                else "12")
    assert_charts_show(find(page, "engagement-charts"), workspace.sample_dir, months)


def test_changing_the_window_redraws_the_charts(site):
    workspace, server = site
    charts = run_callback(server, "engagement-charts.children", {"engagement-months.value": "all"})
    assert_charts_show(charts, workspace.sample_dir, None)
    charts = run_callback(server, "engagement-charts.children", {"engagement-months.value": "x"})
    assert_charts_show(charts, workspace.sample_dir, 12)


def test_the_page_holds_no_free_text_from_feedback(site):
    """Only counts of the feedback reach the page: no page paths, ids or comments."""
    workspace, server = site
    shown = text(render(server, "/engagement", "?months=all"))
    feedback = read_rows(workspace.sample_dir / "citizen_feedback.csv")
    assert not any(fid in shown for fid in feedback["ID"].head(50))
    assert "/kpi/" not in shown
