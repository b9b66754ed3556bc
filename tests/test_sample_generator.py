"""The sample city's generator: deterministic bytes, the files' contract, and their mess."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from etl.sample import AS_OF, CITY_NAME, FILE_NAMES, START, generate
from etl.sample.__main__ import main
from etl.sample.writer import Chunk, write_csv

SMALL = 20_000
DEFAULT_REQUESTS = 210_000
BUDGET_HEADER = (
    " Fiscal Year ,Department , Program,Fund,Account Type,  Budgeted Amount,Revised Amount ,"
    "Actual Amount"
)
REQUESTS_HEADER = (
    "case_id,opened,closed,due,request_type,department,district,channel,status,latitude,"
    "longitude,description"
)
US_STYLE = "%m/%d/%Y %I:%M %p"
ISO_STYLE = "%Y-%m-%d %H:%M:%S"
CURRENCY = re.compile(r"^(\$\d{1,3}(,\d{3})*\.\d{2}|\(\$\d{1,3}(,\d{3})*\.\d{2}\))$")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    generate(folder, requests=SMALL)
    return folder


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("full")
    generate(folder)
    return folder


def _text(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8")


def _lines(path: Path) -> list[str]:
    return _text(path).removeprefix("\ufeff").split("\n")


def _frame(path: Path) -> pd.DataFrame:
    """The file as text, blank lines and exact duplicates dropped (values not stripped)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame[(frame != "").any(axis=1)]
    return frame.drop_duplicates().reset_index(drop=True)


def _timestamps(column: pd.Series) -> pd.Series:
    iso = pd.to_datetime(column, format=ISO_STYLE, errors="coerce")
    return iso.fillna(pd.to_datetime(column, format=US_STYLE, errors="coerce"))


# Determinism -------------------------------------------------------------------------------


def test_two_runs_write_byte_identical_files(small: Path, tmp_path: Path) -> None:
    paths = generate(tmp_path, requests=SMALL)
    assert sorted(paths) == sorted(FILE_NAMES)
    for name, path in paths.items():
        assert path.read_bytes() == (small / name).read_bytes(), name


def test_two_default_size_runs_write_byte_identical_files(full: Path, tmp_path: Path) -> None:
    paths = generate(tmp_path)
    for name, path in paths.items():
        assert path.read_bytes() == (full / name).read_bytes(), name


def test_another_seed_gives_other_activity_in_the_same_city(small: Path, tmp_path: Path) -> None:
    paths = generate(tmp_path, requests=SMALL, seed=7)
    other = paths["service_requests.csv"].read_bytes()
    assert other != (small / "service_requests.csv").read_bytes()
    assert paths["population.csv"].read_bytes() == (small / "population.csv").read_bytes()


def test_the_gzip_header_carries_no_time_and_no_file_name(small: Path) -> None:
    header = (small / "engagement_events.csv.gz").read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] & 0x08 == 0  # no FNAME field
    assert header[4:8] == b"\0\0\0\0"  # mtime 0


def test_the_public_constants_describe_the_period() -> None:
    assert (START.isoformat(), AS_OF.isoformat(), CITY_NAME) == (
        "2023-11-01", "2026-10-31", "Millbrook")


# CSV format --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in FILE_NAMES if ".csv" in n])
def test_fields_are_quoted_only_when_needed_with_newline_endings(small: Path, name: str) -> None:
    text = _text(small / name)
    assert "\r" not in text and text.endswith("\n")
    quoted = 0
    for line in text.removeprefix("\ufeff").split("\n")[1:-1]:
        if not line.strip(","):
            continue  # the blank-line mess
        rewritten = io.StringIO()
        csv.writer(rewritten, lineterminator="\n").writerow(next(csv.reader([line])))
        assert rewritten.getvalue() == line + "\n"  # minimal quoting gives back the same line
        quoted += '"' in line
    if name in ("budget_lines.csv", "service_requests.csv", "permits.csv"):
        assert quoted > 0


def test_an_interrupted_write_leaves_neither_file_nor_temporary(tmp_path: Path) -> None:
    def chunks():
        yield Chunk([pa.array(["a"])])
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_csv(tmp_path / "x.csv", "h", chunks())
    assert list(tmp_path.iterdir()) == []


# budget_lines.csv ------------------------------------------------------------------------


def test_budget_starts_with_a_bom_and_the_messy_header(small: Path) -> None:
    raw = (small / "budget_lines.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + BUDGET_HEADER.encode() + b"\n")


def test_budget_covers_fy2023_to_fy2027_and_at_least_14_departments(small: Path) -> None:
    budget = _frame(small / "budget_lines.csv")
    budget.columns = [c.strip() for c in budget.columns]
    assert sorted(budget["Fiscal Year"].unique()) == [f"FY{y}" for y in range(2023, 2028)]
    assert budget["Department"].nunique() >= 14
    for department in ("Police", "Fire", "Public Works", "Parks & Recreation", "Library"):
        assert department in set(budget["Department"])
    assert 2_000 <= len(budget) <= 4_000


def _money(column: pd.Series) -> pd.Series:
    negative = column.str.startswith("(")
    value = column.str.replace(r"[$,()]", "", regex=True).astype(float)
    return value.where(~negative, -value)


def test_budget_amounts_are_currency_strings_of_a_realistic_size(small: Path) -> None:
    budget = _frame(small / "budget_lines.csv")
    budget.columns = [c.strip() for c in budget.columns]
    amounts = ["Budgeted Amount", "Revised Amount", "Actual Amount"]
    for column in amounts:
        assert budget[column].str.match(CURRENCY).all(), column
    money = budget[amounts].apply(_money)
    totals = money.groupby(budget["Fiscal Year"]).sum()
    assert totals["Budgeted Amount"].between(1.55e9, 1.95e9).all()
    assert (totals["Budgeted Amount"].diff().dropna() > 0).all()
    assert (money["Actual Amount"] < 0).sum() >= 3  # refunds and reversals, "($1,234.50)"
    assert (money["Revised Amount"] == 0).sum() >= 3
    spent = totals["Actual Amount"] / totals["Revised Amount"]
    assert spent["FY2027"] == pytest.approx(0.33, abs=0.03)
    assert spent.drop("FY2027").between(0.92, 1.01).all()
    by_department = money["Budgeted Amount"].groupby(budget["Department"]).sum()
    assert set(by_department.nlargest(3).index) == {"Police", "Fire", "Public Works"}


def test_budget_has_adjacent_duplicate_rows_and_blank_lines(small: Path) -> None:
    lines = _lines(small / "budget_lines.csv")[1:-1]
    adjacent = sum(a == b and a.strip(",") != "" for a, b in itertools.pairwise(lines))
    data = [line for line in lines if line.strip(",")]
    assert 0.003 * len(data) <= adjacent <= 0.008 * len(data)
    assert "" in lines and ",,,,,,," in lines
    assert all(line.strip(",") for line in lines[:5])  # the first lines are records


# service_requests.csv -----------------------------------------------------------------------


def test_service_requests_hold_the_requested_number_of_distinct_cases(full: Path) -> None:
    lines = _lines(full / "service_requests.csv")
    assert lines[0] == REQUESTS_HEADER
    requests = _frame(full / "service_requests.csv")
    assert len(requests) == DEFAULT_REQUESTS == requests["case_id"].nunique()
    records = [line for line in lines[1:] if line.strip(",")]
    duplicates = len(records) - DEFAULT_REQUESTS
    assert 0.002 * DEFAULT_REQUESTS <= duplicates <= 0.004 * DEFAULT_REQUESTS
    assert sum(1 for line in lines[1:-1] if not line.strip(",")) >= 10  # blank lines


def test_case_ids_carry_the_opening_year_and_increase_with_time(small: Path) -> None:
    requests = _frame(small / "service_requests.csv")
    ids = requests["case_id"]
    assert ids.str.match(r"^SR-\d{4}-\d{7}$").all()
    opened = _timestamps(requests["opened"])
    assert (ids.str[3:7].astype(int) == opened.dt.year).all()
    assert ids.is_monotonic_increasing and ids.is_unique
    assert opened.is_monotonic_increasing
    assert opened.min() >= pd.Timestamp("2023-11-01") and opened.max() < pd.Timestamp("2026-11-01")


def test_timestamps_are_us_style_before_april_2024_and_iso_after(small: Path) -> None:
    requests = _frame(small / "service_requests.csv")
    opened = _timestamps(requests["opened"])
    legacy = opened < pd.Timestamp("2024-04-01")
    for column in ("opened", "closed", "due"):
        values = requests[column]
        filled = values != ""
        us = pd.to_datetime(values, format=US_STYLE, errors="coerce").notna()
        iso = pd.to_datetime(values, format=ISO_STYLE, errors="coerce").notna()
        assert (us == (legacy & filled)).all(), column
        assert (iso == (~legacy & filled)).all(), column
    assert requests.loc[legacy.idxmax(), "opened"][2] == "/"


def test_closed_is_blank_exactly_for_open_cases_and_never_after_the_as_of_date(
    small: Path,
) -> None:
    requests = _frame(small / "service_requests.csv")
    status = requests["status"]
    assert set(status) == {"Closed", "Open", "In progress", "Cancelled"}
    assert ((requests["closed"] == "") == status.isin(["Open", "In progress"])).all()
    assert status.value_counts(normalize=True)["Closed"] > 0.9
    assert status.value_counts(normalize=True)["Cancelled"] == pytest.approx(0.02, abs=0.006)
    opened, closed = _timestamps(requests["opened"]), _timestamps(requests["closed"])
    assert (closed.dropna() >= opened[closed.notna()]).all()
    assert closed.max() < pd.Timestamp("2026-11-01")
    old_open = status.isin(["Open", "In progress"]) & (opened < pd.Timestamp("2026-01-01"))
    assert old_open.sum() > 20  # a backlog of old open cases


def test_most_cases_close_within_their_sla_and_more_are_late_in_winter(full: Path) -> None:
    requests = _frame(full / "service_requests.csv")
    closed = requests[requests["status"] == "Closed"]
    late = _timestamps(closed["closed"]) > _timestamps(closed["due"])
    assert late.mean() == pytest.approx(0.14, abs=0.04)
    month = _timestamps(closed["opened"]).dt.month
    potholes = closed["request_type"].str.strip() == "Pothole"
    winter = potholes & month.isin([12, 1, 2])
    summer = potholes & month.isin([6, 7, 8])
    assert late[winter].mean() > late[summer].mean() + 0.03


def test_online_share_rises_from_about_30_to_about_55_percent(full: Path) -> None:
    requests = _frame(full / "service_requests.csv")
    assert set(requests["channel"]) == {"Online", "Phone", "In person"}
    opened = _timestamps(requests["opened"])
    online = requests["channel"] == "Online"
    first = online[opened < pd.Timestamp("2024-02-01")].mean()
    last = online[opened >= pd.Timestamp("2026-08-01")].mean()
    assert 0.25 <= first <= 0.35 and 0.45 <= last <= 0.60


def test_snow_requests_come_only_from_december_to_february(full: Path) -> None:
    requests = _frame(full / "service_requests.csv")
    months = _timestamps(requests["opened"]).dt.month
    snow = requests["request_type"].str.strip() == "Snow and ice removal"
    assert snow.sum() > 1_000
    assert set(months[snow]) == {12, 1, 2}
    grass = requests["request_type"].str.strip() == "Overgrown grass and weeds"
    assert months[grass].isin([5, 6, 7, 8, 9]).mean() > 0.8
    potholes = requests["request_type"].str.strip() == "Pothole"
    by_month = months[potholes].value_counts()
    assert by_month[[2, 3, 4]].mean() > 2 * by_month[[7, 8, 9]].mean()


def test_weekdays_and_daytime_are_busier(full: Path) -> None:
    opened = _timestamps(_frame(full / "service_requests.csv")["opened"])
    weekday = opened.dt.day_of_week.value_counts(normalize=True)
    assert weekday[[0, 1, 2, 3, 4]].min() > 1.3 * weekday[[5, 6]].max()
    hour = opened.dt.hour.value_counts(normalize=True)
    assert hour[10] > 5 * hour[4]


def test_volume_grows_from_one_year_to_the_next(full: Path) -> None:
    opened = _timestamps(_frame(full / "service_requests.csv")["opened"])
    first = ((opened >= "2023-11-01") & (opened < "2024-11-01")).sum()
    last = ((opened >= "2025-11-01") & (opened < "2026-11-01")).sum()
    assert 1.03 < last / first < 1.15


def test_about_one_percent_of_districts_or_types_carry_a_stray_space(small: Path) -> None:
    requests = _frame(small / "service_requests.csv")
    stray = (requests["district"] != requests["district"].str.strip()) | (
        requests["request_type"] != requests["request_type"].str.strip()
    )
    assert stray.mean() == pytest.approx(0.01, abs=0.004)
    assert requests["district"].str.strip().nunique() == 8
    assert 18 <= requests["request_type"].str.strip().nunique() <= 24


def test_coordinates_lie_in_the_city_box_with_six_decimals(small: Path) -> None:
    requests = _frame(small / "service_requests.csv")
    for column, low, high in (("latitude", 41.70, 41.90), ("longitude", -87.80, -87.55)):
        assert requests[column].str.match(r"^-?\d+\.\d{6}$").all()
        assert requests[column].astype(float).between(low, high).all()
    assert (requests["description"] != "").all()


# permits.csv ---------------------------------------------------------------------------------


def test_permits_use_counter_dates_exactly_for_in_person_applications(small: Path) -> None:
    lines = _lines(small / "permits.csv")
    assert lines[0] == (
        "permit_number,permit_type,district,applied_date,issued_date,status,valuation,channel"
    )
    permits = _frame(small / "permits.csv")
    assert 29_000 <= len(permits) <= 31_000 and permits["permit_number"].is_unique
    assert permits["permit_number"].str.match(r"^BP-\d{2}-\d{6}$").all()
    counter = permits["channel"] == "In person"
    assert set(permits["channel"]) == {"Online", "In person"}
    assert counter.mean() == pytest.approx(0.15, abs=0.03)
    dmy = permits["applied_date"].str.match(r"^\d{2}-[A-Z][a-z]{2}-\d{4}$")
    iso = permits["applied_date"].str.match(r"^\d{4}-\d{2}-\d{2}$")
    assert (dmy == counter).all() and (iso == ~counter).all()
    assert permits["valuation"].str.match(CURRENCY).all()


def test_permits_are_issued_after_applying_and_only_issued_ones_have_a_date(small: Path) -> None:
    permits = _frame(small / "permits.csv")
    assert set(permits["status"]) == {"Issued", "Under review", "Applied", "Denied", "Withdrawn"}
    issued = permits["status"] == "Issued"
    assert ((permits["issued_date"] != "") == issued).all()

    def day(column: pd.Series) -> pd.Series:
        iso = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
        return iso.fillna(pd.to_datetime(column, format="%d-%b-%Y", errors="coerce"))

    waited = (day(permits["issued_date"]) - day(permits["applied_date"])).dt.days[issued]
    electrical = permits["permit_type"][issued] == "Electrical"
    new_building = permits["permit_type"][issued] == "Building - New Construction"
    assert waited[electrical].between(3, 10).all()
    assert waited[new_building].between(30, 120).all()


def test_permits_have_a_few_duplicate_rows_and_blank_lines(small: Path) -> None:
    lines = _lines(small / "permits.csv")[1:-1]
    assert sum(a == b and a != "" for a, b in itertools.pairwise(lines)) >= 5
    assert "" in lines
    assert re.match(r"^[^,]+,[^,]+,[^,]+,\d{4}-\d{2}-\d{2},", lines[1])


# engagement_events.csv.gz -----------------------------------------------------------------


@pytest.fixture(scope="module")
def events(full: Path) -> pd.DataFrame:
    return _frame(full / "engagement_events.csv.gz")


def test_engagement_has_every_event_type_and_over_100k_events(events: pd.DataFrame) -> None:
    assert list(events.columns) == [
        "event_id", "occurred_at", "event_type", "member_id", "organisation", "topic",
        "practice_id", "satisfaction",
    ]
    assert len(events) >= 100_000 and events["event_id"].is_unique
    assert set(events["event_type"]) == {
        "sign_up", "post", "practice_shared", "practice_implemented", "webinar_attended",
        "feedback", "dataset_downloaded",
    }
    assert events["occurred_at"].str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").all()
    anonymous = events["member_id"] == ""
    assert events.loc[~anonymous, "member_id"].str.match(r"^M\d{6}$").all()
    assert (events.loc[anonymous, "event_type"] == "dataset_downloaded").all()
    assert (events.loc[anonymous, "organisation"] == "").all()
    members = events.loc[events["event_type"] == "sign_up", "member_id"]
    assert members.is_unique and 15_000 <= len(members) <= 25_000
    assert "Resident" in set(events["organisation"]) and "Police" in set(events["organisation"])
    platform = events["event_type"] != "dataset_downloaded"
    assert 8 <= events.loc[platform, "topic"].replace("", np.nan).nunique() <= 12


def test_satisfaction_is_given_only_with_feedback_and_mostly_four(events: pd.DataFrame) -> None:
    feedback = events["event_type"] == "feedback"
    assert (events.loc[~feedback, "satisfaction"] == "").all()
    scores = events.loc[feedback, "satisfaction"].astype(int)
    assert scores.between(1, 5).all() and scores.mode()[0] == 4


def test_practices_are_implemented_only_after_being_shared(events: pd.DataFrame) -> None:
    practice = events["event_type"].isin(["practice_shared", "practice_implemented"])
    assert (events.loc[practice, "practice_id"].str.match(r"^P\d{5}$")).all()
    assert (events.loc[~practice, "practice_id"] == "").all()
    shared = events[events["event_type"] == "practice_shared"].set_index("practice_id")
    assert shared.index.is_unique
    implemented = events[events["event_type"] == "practice_implemented"]
    assert len(implemented) > 1_000
    when_shared = shared["occurred_at"].reindex(implemented["practice_id"]).to_numpy()
    assert (implemented["occurred_at"].to_numpy() > when_shared).all()


def test_a_members_first_event_is_their_sign_up(events: pd.DataFrame) -> None:
    ordered = events[events["member_id"] != ""].sort_values(["occurred_at", "event_id"])
    first = ordered.drop_duplicates("member_id")
    assert (first["event_type"] == "sign_up").all()
    assert (events["event_id"].str.match(r"^E\d{7}$")).all()


def test_membership_grows_and_webinar_days_spike(events: pd.DataFrame) -> None:
    moments = pd.to_datetime(events["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    sign_ups = moments[events["event_type"] == "sign_up"]
    assert (sign_ups < "2024-11-01").sum() < (sign_ups >= "2025-11-01").sum() * 1.5
    webinar_days = moments[events["event_type"] == "webinar_attended"].dt.date.value_counts()
    assert webinar_days.iloc[0] > 300 and len(webinar_days) < 120


def _downloads(events: pd.DataFrame) -> pd.DataFrame:
    downloads = events[events["event_type"] == "dataset_downloaded"].copy()
    downloads["month"] = downloads["occurred_at"].str[:7]
    return downloads


def test_downloads_grow_from_hundreds_to_about_1500_a_month(events: pd.DataFrame) -> None:
    per_month = _downloads(events)["month"].value_counts().sort_index()
    assert len(per_month) == 36 and per_month.index[0] == "2023-11"
    assert 250 <= per_month.iloc[0] <= 500 and 1_200 <= per_month.iloc[-1] <= 1_800
    assert per_month.min() >= 250 and per_month.max() <= 2_500
    first_year, last_year = per_month.iloc[:12].sum(), per_month.iloc[-12:].sum()
    assert 2.0 < last_year / first_year < 3.5


def test_budget_downloads_spike_around_june_adoption(events: pd.DataFrame) -> None:
    downloads = _downloads(events)
    budget = downloads[downloads["topic"] == "budget_lines"]["month"].value_counts()
    others = downloads[downloads["topic"] != "budget_lines"]["month"].value_counts()
    for year in (2024, 2025, 2026):
        june, may, july = (f"{year}-06", f"{year}-05", f"{year}-07")
        assert budget[june] > 2 * max(budget[may], budget[july])
        assert others[june] < 1.3 * others[may]  # the spike is the budget's


def test_downloads_name_a_dataset_and_are_mostly_anonymous(events: pd.DataFrame) -> None:
    downloads = _downloads(events)
    assert set(downloads["topic"]) == {
        "budget_lines", "service_requests", "permits", "engagement", "kpi_values"}
    assert (downloads["member_id"] == "").mean() == pytest.approx(0.85, abs=0.03)
    assert (downloads[["practice_id", "satisfaction"]] == "").all().all()
    signed_in = downloads[downloads["member_id"] != ""]
    assert (signed_in["organisation"] != "").all()
    moments = pd.to_datetime(downloads["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    weekday = moments.dt.day_of_week.value_counts(normalize=True)
    assert weekday[[0, 1, 2, 3]].min() > 1.4 * weekday[[5, 6]].max()


# citizen_feedback.csv ----------------------------------------------------------------------


FEEDBACK_HEADER = ("ID,Submitted (UTC),Page,KPI,Dataset,Data version,Was this useful?,Status,"
                   "Answered (UTC)")
FEEDBACK_STYLE = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def feedback(small: Path) -> pd.DataFrame:
    frame = _frame(small / "citizen_feedback.csv")
    frame["submitted"] = pd.to_datetime(frame["Submitted (UTC)"], format=FEEDBACK_STYLE)
    frame["answered"] = pd.to_datetime(frame["Answered (UTC)"], format=FEEDBACK_STYLE,
                                       errors="coerce")
    return frame


def test_feedback_has_its_header_ids_in_time_order_and_a_few_hundred_to_1500_a_month(
    small: Path, feedback: pd.DataFrame,
) -> None:
    assert _lines(small / "citizen_feedback.csv")[0] == FEEDBACK_HEADER
    assert feedback["ID"].str.match(r"^F-\d{6}$").all() and feedback["ID"].is_unique
    assert feedback["ID"].is_monotonic_increasing
    assert feedback["submitted"].is_monotonic_increasing
    assert feedback["submitted"].min() >= pd.Timestamp("2023-11-01")
    assert feedback["submitted"].max() < pd.Timestamp("2026-11-01")
    per_month = feedback["submitted"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert len(per_month) == 36
    assert per_month.min() >= 200 and per_month.max() <= 1_500
    assert per_month.iloc[:3].mean() < 400 and per_month.iloc[-3:].mean() > 1_000


def test_feedback_pages_name_their_kpi_or_dataset(feedback: pd.DataFrame) -> None:
    page = feedback["Page"]
    kpi_page = page.str.startswith("/kpi/")
    assert set(page[~kpi_page]) == {"/", "/budget", "/services", "/engagement", "/data"}
    assert (page[kpi_page] == "/kpi/" + feedback.loc[kpi_page, "KPI"]).all()
    assert (feedback.loc[~kpi_page, "KPI"] == "").all()
    assert {"median_days_to_close", "resident_satisfaction"} <= set(feedback["KPI"])
    data = page == "/data"
    assert (feedback.loc[~data, "Dataset"] == "").all()
    assert (feedback.loc[data, "Dataset"] != "").mean() == pytest.approx(0.8, abs=0.05)
    assert set(feedback["Dataset"]) - {""} == {
        "budget_lines", "service_requests", "permits", "engagement", "kpi_values"}


def test_feedback_is_mostly_useful_written_as_the_form_of_the_day(feedback: pd.DataFrame) -> None:
    answer = feedback["Was this useful?"]
    v2 = feedback["submitted"] >= pd.Timestamp("2024-04-01")
    assert set(answer[~v2]) == {"yes", "no", ""} and set(answer[v2]) == {"Yes", "No", ""}
    given = answer[answer != ""].str.lower()
    assert 0.60 <= (given == "yes").mean() <= 0.75
    assert (answer == "").mean() == pytest.approx(0.08, abs=0.02)  # a comment alone
    by_page = (given == "yes").groupby(feedback["Page"].str.replace(r"/kpi/.*", "/kpi", regex=True))
    assert by_page.mean().between(0.58, 0.78).all()


def test_feedback_shows_the_snapshot_published_the_night_before_from_form_v2(
    feedback: pd.DataFrame,
) -> None:
    version = feedback["Data version"]
    v2 = feedback["submitted"] >= pd.Timestamp("2024-04-01")
    assert (version[~v2] == "").all()
    assert version[v2].str.match(r"^\d{8}T03\d{4}\d{3}Z$").all()
    published = pd.to_datetime(version[v2].str[:15], format="%Y%m%dT%H%M%S")
    shown_for = feedback.loc[v2, "submitted"] - published
    # The nightly run publishes at 03:00-03:03 UTC; an answer just before it shows the last one.
    assert (shown_for > pd.Timedelta(0)).all()
    assert (shown_for < pd.Timedelta(days=1, minutes=5)).all()


def test_comments_are_answered_in_hours_to_weeks_faster_over_time(feedback: pd.DataFrame) -> None:
    answered = feedback["answered"].notna()
    assert answered.mean() == pytest.approx(0.40, abs=0.04)
    assert (feedback["Was this useful?"][~answered] != "").mean() > 0.99  # comments get answers
    waited = (feedback["answered"] - feedback["submitted"])[answered]
    assert waited.min() >= pd.Timedelta(hours=1) and waited.max() <= pd.Timedelta(days=23)
    year = feedback.loc[answered, "submitted"].dt.year
    median_days = waited.dt.total_seconds().groupby(year).median() / 86_400
    assert 3.5 <= median_days[2024] <= 6.0 and 1.0 <= median_days[2026] <= 3.0
    assert median_days.is_monotonic_decreasing
    local_hour = (feedback.loc[answered, "answered"] - pd.Timedelta(hours=6)).dt.hour
    assert local_hour.between(8, 16).all()  # office hours
    assert feedback["answered"].max() < pd.Timestamp("2026-11-01")


def test_feedback_status_follows_the_answer(feedback: pd.DataFrame) -> None:
    status, answered = feedback["Status"], feedback["answered"].notna()
    assert set(status) == {"New", "Answered", "Closed"}
    assert (status[answered] != "New").all()
    assert (status[status == "Answered"].index.isin(status[answered].index)).all()
    new = feedback[status == "New"]
    assert new["answered"].isna().all()
    assert new["submitted"].min() > pd.Timestamp("2026-10-01")  # only the newest are still new
    old_answers = answered & (feedback["answered"] < pd.Timestamp("2026-10-01"))
    assert (status[old_answers] == "Closed").mean() > 0.9


def test_feedback_has_a_few_duplicate_rows_and_blank_lines(small: Path) -> None:
    lines = _lines(small / "citizen_feedback.csv")[1:-1]
    adjacent = sum(a == b and a.strip(",") != "" for a, b in itertools.pairwise(lines))
    assert 20 <= adjacent <= 80
    assert "" in lines and ",,,,,,,," in lines


# resident_survey.csv -----------------------------------------------------------------------


QUESTIONS = ["Q1", "Q2", "Q3", "Q4", "Q5"]


@pytest.fixture(scope="module")
def survey(small: Path) -> pd.DataFrame:
    return _frame(small / "resident_survey.csv")


def test_survey_is_wide_one_row_per_respondent_and_one_wave_per_fiscal_year(
    small: Path, survey: pd.DataFrame,
) -> None:
    assert _lines(small / "resident_survey.csv")[0] == (
        "respondent_id,wave,district,Q1,Q2,Q3,Q4,Q5,weight")
    waves = survey.groupby("wave").size()
    assert list(waves.index) == [f"Millbrook Resident Survey FY{y}" for y in (2024, 2025, 2026)]
    assert waves.between(800, 1_200).all()
    assert survey["respondent_id"].str.match(r"^R\d{2}-\d{4}$").all()
    assert survey["respondent_id"].is_unique
    assert (survey["respondent_id"].str[1:3] == survey["wave"].str[-2:]).all()
    assert set(survey["district"]) == {str(d) for d in range(1, 9)}


def test_survey_answers_are_codes_1_to_5_or_9_and_a_few_blanks(survey: pd.DataFrame) -> None:
    for question in QUESTIONS:
        answers = survey[question]
        assert set(answers) == {"", "1", "2", "3", "4", "5", "9"}, question
        assert (answers == "").mean() < 0.03
    dont_know = (survey[QUESTIONS] == "9").mean()
    assert dont_know["Q1"] < 0.04 and dont_know["Q4"] > 0.1  # many never called 311


def test_survey_weights_bring_each_district_to_its_share_of_residents(
    survey: pd.DataFrame,
) -> None:
    weight = survey["weight"].astype(float)
    assert survey["weight"].str.match(r"^\d\.\d{4}$").all() and weight.between(0.5, 2).all()
    for _, wave in survey.assign(weight=weight).groupby("wave"):
        assert wave["weight"].sum() == pytest.approx(len(wave), rel=0.001)
        shares = wave.groupby("district")["weight"].sum() / wave["weight"].sum()
        assert shares["8"] == pytest.approx(0.15, abs=0.005)  # Eastfield, by population
        assert shares["6"] == pytest.approx(0.09, abs=0.005)  # Harbor


def test_overall_satisfaction_drifts_by_district_and_year(survey: pd.DataFrame) -> None:
    rated = survey[survey["Q1"].isin(["1", "2", "3", "4", "5"])]
    satisfied = rated["Q1"].isin(["4", "5"])
    by_wave = satisfied.groupby(rated["wave"].str[-4:]).mean()
    assert by_wave.between(0.45, 0.65).all()
    table = satisfied.groupby([rated["district"], rated["wave"].str[-4:]]).mean().unstack()
    assert table.max().max() - table.min().min() > 0.12  # districts differ
    assert table.loc["5", "2026"] - table.loc["5", "2024"] > 0.05  # Riverside improves
    assert table.loc["8", "2026"] < table.loc["8", "2024"]  # Eastfield slips


def test_the_survey_dictionary_decodes_every_question_and_code(small: Path) -> None:
    dictionary = _frame(small / "resident_survey_dictionary.csv")
    assert list(dictionary.columns) == ["question_id", "question_text", "responses"]
    assert list(dictionary["question_id"]) == QUESTIONS
    assert "quality of services" in dictionary.loc[0, "question_text"]
    for responses in dictionary["responses"]:
        codes = dict(re.findall(r"(\d+) - ([^,]+)", responses))
        assert codes == {"5": "Very satisfied", "4": "Satisfied",
                         "3": "Neither satisfied nor dissatisfied", "2": "Dissatisfied",
                         "1": "Very dissatisfied", "9": "Don't know"}


# population.csv ----------------------------------------------------------------------------


def test_population_has_eight_districts_for_four_years(small: Path) -> None:
    assert _lines(small / "population.csv")[0] == "year,district,population"
    population = _frame(small / "population.csv")
    assert len(population) == 32
    totals = population["population"].astype(int).groupby(population["year"]).sum()
    assert list(totals.index) == ["2023", "2024", "2025", "2026"]
    assert 400_000 <= totals["2023"] <= 410_000 and 415_000 <= totals["2026"] <= 425_000
    assert totals.is_monotonic_increasing


# The command ---------------------------------------------------------------------------------


def test_the_command_writes_every_file_and_prints_a_line_for_each(tmp_path: Path, capsys) -> None:
    assert main(["--out", str(tmp_path), "--requests", "2000", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    for name in FILE_NAMES:
        assert (tmp_path / name).is_file() and name in printed
    assert "2,000 rows" in printed


def test_scale_is_the_documented_name_of_requests(tmp_path: Path, capsys) -> None:
    assert main(["--out", str(tmp_path / "scale"), "--scale", "2000", "--seed", "3"]) == 0
    assert main(["--out", str(tmp_path / "requests"), "--requests", "2000", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("2,000 rows") == 2
    assert ((tmp_path / "scale" / "service_requests.csv").read_bytes()
            == (tmp_path / "requests" / "service_requests.csv").read_bytes())


def test_if_missing_leaves_existing_files_alone(small: Path, tmp_path: Path, capsys) -> None:
    for name in FILE_NAMES:
        (tmp_path / name).write_bytes(b"keep")
    assert main(["--out", str(tmp_path), "--if-missing"]) == 0
    assert all((tmp_path / name).read_bytes() == b"keep" for name in FILE_NAMES)
    (tmp_path / "permits.csv").unlink()
    assert main(["--out", str(tmp_path), "--if-missing", "--requests", str(SMALL)]) == 0
    assert (tmp_path / "permits.csv").read_bytes() == (small / "permits.csv").read_bytes()
    capsys.readouterr()
