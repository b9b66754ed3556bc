"""The sample files committed in data/sample/ are exactly what the generator writes."""

import gzip
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT
from etl.sample import generate

SHIPPED = PROJECT_ROOT / "data" / "sample"
COMMITTED = ["budget_lines.csv", "permits.csv", "engagement_events.csv.gz", "population.csv",
             "citizen_feedback.csv", "resident_survey.csv", "resident_survey_dictionary.csv",
             "initiatives.json"]
LIMIT = 5 * 1024 * 1024  # larger files are generated at first run, not committed


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fresh")
    generate(folder)
    return folder


def _content(path: Path) -> bytes:
    # Compare gzip files by content: another zlib build may compress the same bytes differently.
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


@pytest.mark.parametrize("name", COMMITTED)
def test_a_committed_sample_file_equals_the_generators_output(fresh, name):
    assert _content(SHIPPED / name) == _content(fresh / name)


def test_only_the_files_over_5_mb_are_left_to_the_first_run(fresh):
    sizes = {path.name: path.stat().st_size for path in fresh.iterdir()}
    assert sorted(n for n, size in sizes.items() if size <= LIMIT) == sorted(COMMITTED)
    ignored = (PROJECT_ROOT / ".gitignore").read_text()
    assert all(f"data/sample/{n}" in ignored for n, size in sizes.items() if size > LIMIT)
