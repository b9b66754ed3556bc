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


@pytest.mark.parametrize("name", FILE_NAMES)
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
        "feedback",
    }
    assert events["occurred_at"].str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").all()
    assert events["member_id"].str.match(r"^M\d{6}$").all()
    members = events.loc[events["event_type"] == "sign_up", "member_id"]
    assert members.is_unique and 15_000 <= len(members) <= 25_000
    assert "Resident" in set(events["organisation"]) and "Police" in set(events["organisation"])
    assert 8 <= events["topic"].replace("", np.nan).nunique() <= 12


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
    ordered = events.sort_values(["occurred_at", "event_id"])
    first = ordered.drop_duplicates("member_id")
    assert (first["event_type"] == "sign_up").all()
    assert (events["event_id"].str.match(r"^E\d{7}$")).all()


def test_membership_grows_and_webinar_days_spike(events: pd.DataFrame) -> None:
    moments = pd.to_datetime(events["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    sign_ups = moments[events["event_type"] == "sign_up"]
    assert (sign_ups < "2024-11-01").sum() < (sign_ups >= "2025-11-01").sum() * 1.5
    webinar_days = moments[events["event_type"] == "webinar_attended"].dt.date.value_counts()
    assert webinar_days.iloc[0] > 300 and len(webinar_days) < 120


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


def test_if_missing_leaves_existing_files_alone(small: Path, tmp_path: Path, capsys) -> None:
    for name in FILE_NAMES:
        (tmp_path / name).write_bytes(b"keep")
    assert main(["--out", str(tmp_path), "--if-missing"]) == 0
    assert all((tmp_path / name).read_bytes() == b"keep" for name in FILE_NAMES)
    (tmp_path / "permits.csv").unlink()
    assert main(["--out", str(tmp_path), "--if-missing", "--requests", str(SMALL)]) == 0
    assert (tmp_path / "permits.csv").read_bytes() == (small / "permits.csv").read_bytes()
    capsys.readouterr()
