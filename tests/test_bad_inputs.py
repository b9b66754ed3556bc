"""Bad inputs through the real pipeline: each gets its clear error or quarantine reason, and a
failing run leaves the published snapshot exactly as it was."""

import shutil
from collections.abc import Callable, Iterator

import pytest
from openpyxl import Workbook

from tests.helpers import Workspace, write_sources
from tests.http_fixture_server import FixtureServer
from tests.test_etl_run import broken_copy, open_current

POPULATION_COLUMNS = """
    columns:
      year: {from: year, parse: integer}
      district: {from: district}
      population: {from: population, parse: integer}
"""


@pytest.fixture(scope="module")
def api() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


def _only_population(workspace: Workspace, source: str) -> None:
    """A config whose one source is the given population source."""
    (workspace.root / "config" / "sources.yaml").write_text(
        "sources:\n  population:\n" + source + POPULATION_COLUMNS)


def _wrong_delimiter(workspace: Workspace, _api) -> None:
    _only_population(workspace, f"    kind: csv\n    domain: population\n"
                                f"    path: {workspace.sample_dir / 'population.csv'}\n"
                                f"    delimiter: ';'\n")


def _empty_file(workspace: Workspace, _api) -> None:
    broken_copy(workspace, "population.csv", lambda text: "")


def _truncated_gzip(workspace: Workspace, _api) -> None:
    copy = workspace.root / "broken"
    shutil.copytree(workspace.sample_dir, copy)
    path = copy / "engagement_events.csv.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    write_sources(workspace.root / "config", copy)


def _xlsx_header_on_row_3(workspace: Workspace, _api) -> None:
    path = workspace.root / "population.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Millbrook residents by district"])
    sheet.append(["Source: city planning office"])
    sheet.append(["year", "district", "population"])
    sheet.append([2026, "Northgate", 58000])
    book.save(path)
    _only_population(workspace, f"    kind: xlsx\n    domain: population\n    path: {path}\n")


def _http_500_every_time(workspace: Workspace, api: FixtureServer) -> None:
    _only_population(workspace, f"    kind: http_json\n    domain: population\n"
                                f"    protocol: soda\n    url: {api.url('/down.json')}\n"
                                f"    retries: 2\n    backoff_seconds: 0.01\n")


def _database_down(workspace: Workspace, _api) -> None:
    url = f"sqlite:///{workspace.root / 'no-such-folder' / 'city.db'}"
    _only_population(workspace, f"    kind: sql\n    domain: population\n    url: '{url}'\n"
                                f"    query: SELECT year, district, population FROM residents\n")


@pytest.mark.parametrize(
    ("break_it", "words"),
    [
        (_wrong_delimiter, ["source 'population': missing column(s) 'district', 'population', "
                            "'year'", "the source has: 'year,district,population'"]),
        (_empty_file, ["source 'population':", "population.csv is empty (0 bytes)"]),
        (_truncated_gzip, ["source 'engagement_events': cannot read",
                           "engagement_events.csv.gz"]),
        (_xlsx_header_on_row_3, ["source 'population': missing column(s)",
                                 "'Millbrook residents by district'"]),
        (_http_500_every_time, ["source 'population': GET", "failed after 3 attempts: HTTP 500"]),
        (_database_down, ["source 'population': cannot connect to sqlite:///"]),
    ],
    ids=["wrong delimiter", "empty file", "truncated gzip", "xlsx header on row 3",
         "HTTP 500 every time", "database down"],
)
def test_a_source_that_cannot_be_read_fails_the_run_and_changes_nothing_published(
    published: Workspace, api: FixtureServer, break_it: Callable, words: list[str]
):
    before = published.manifest_text()
    break_it(published, api)
    result = published.etl("run", check=False)
    assert result.returncode == 1, result.stderr
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr
    assert published.manifest_text() == before
    assert published.status()["runs"][0]["status"] == "failed"


def test_an_xlsx_with_its_header_on_row_3_loads_when_header_row_says_so(published, api):
    _xlsx_header_on_row_3(published, api)
    config = published.root / "config" / "sources.yaml"
    config.write_text(config.read_text().replace("    kind: xlsx\n",
                                                 "    kind: xlsx\n    header_row: 3\n"))
    published.etl("run")
    with open_current(published) as connection:
        rows = connection.execute(
            "SELECT year, district, population FROM population WHERE _source = 'population'")
        assert rows.fetchall() == [(2026, "Northgate", 58000)]


def _set_field(number: int, index: int, value: str) -> Callable[[str], str]:
    """Set one field of one line (the fields before the free-text description hold no commas)."""
    def edit(text: str) -> str:
        lines = text.split("\n")
        fields = lines[number].split(",")
        fields[index] = value
        lines[number] = ",".join(fields)
        return "\n".join(lines)
    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set_field(10, 1, "11/01/2099 07:00 AM"), (10, "opened", "in the future")),
        (_set_field(12, 2, "01/01/2020 07:00 AM"), (12, "closed", "closed before it was opened")),
    ],
    ids=["opened in the future", "closed before opened"],
)
def test_impossible_dates_are_quarantined_with_the_reason(published, edit, expected):
    broken_copy(published, "service_requests.csv", edit)
    published.etl("run")
    with open_current(published) as connection:
        found = connection.execute(
            "SELECT \"row\", column_name, reason FROM quarantine WHERE source = "
            "'service_requests' AND NOT starts_with(reason, 'duplicate')").fetchall()
    assert expected in found
    assert {row for row, _, _ in found} == {expected[0]}
