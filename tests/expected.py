"""Figures computed straight from the sample files with pandas, independently of the ETL's SQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

US_STYLE = "%m/%d/%Y %I:%M %p"
ISO = "%Y-%m-%d %H:%M:%S"


def read_rows(path: Path) -> pd.DataFrame:
    """A sample file as text, header and values trimmed, blank rows dropped."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    return frame[(frame != "").any(axis=1)]


def read_raw(path: Path) -> pd.DataFrame:
    """A sample file's distinct rows."""
    return read_rows(path).drop_duplicates()


def duplicate_rows(path: Path) -> int:
    """How many rows repeat an earlier row exactly."""
    return int(read_rows(path).duplicated().sum())


def currency(text: str) -> Decimal:
    negative = text.startswith("(")
    value = Decimal(text.strip("()").replace("$", "").replace(",", ""))
    return -value if negative else value


def timestamps(column: pd.Series) -> pd.Series:
    iso = pd.to_datetime(column, format=ISO, errors="coerce")
    return iso.fillna(pd.to_datetime(column, format=US_STYLE, errors="coerce"))


def budget_total(sample: Path) -> tuple[int, Decimal]:
    """The latest fiscal year and its total adopted budget."""
    budget = read_raw(sample / "budget_lines.csv")
    years = budget["Fiscal Year"].str.removeprefix("FY").astype(int)
    latest = years.max()
    return int(latest), sum(currency(v) for v in budget.loc[years == latest, "Budgeted Amount"])


def requests_closed_in(sample: Path, year: int, month: int) -> int:
    requests = read_raw(sample / "service_requests.csv")
    closed = timestamps(requests["closed"])
    return int(((closed.dt.year == year) & (closed.dt.month == month)).sum())


def active_members(sample: Path, days: int = 30) -> int:
    events = read_raw(sample / "engagement_events.csv.gz")
    moments = pd.to_datetime(events["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    newest = moments.max()
    recent = (moments > newest - pd.Timedelta(days=days)) & (moments <= newest)
    members = events.loc[recent, "member_id"]
    return members[members != ""].nunique()  # anonymous downloads have no member


def row_counts(sample: Path) -> dict[str, int]:
    """Rows each domain table should hold after blank and duplicate rows are dropped."""
    return {
        # One row per line and amount kind (budgeted, revised, actual).
        "budget_lines": 3 * len(read_raw(sample / "budget_lines.csv")),
        "service_requests": read_raw(sample / "service_requests.csv")["case_id"].nunique(),
        "permits": read_raw(sample / "permits.csv")["permit_number"].nunique(),
        "engagement_events": read_raw(sample / "engagement_events.csv.gz")["event_id"].nunique(),
        "population": len(read_raw(sample / "population.csv")),
    }
