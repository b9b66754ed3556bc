"""Fixtures: a small real sample city, isolated workspaces, a real server process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.sample import generate
from tests.helpers import ServerProcess, Workspace, free_port, published_site, write_sources
from tests.internal_client import STAFF, staffed_site

SAMPLE_REQUESTS = 20_000  # the real generator, at a tenth of the default size, for speed


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city's source files, written once per test session by the real generator."""
    folder = tmp_path_factory.mktemp("sample")
    generate(folder, requests=SAMPLE_REQUESTS)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
         ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """One published sample city and `python app.py` serving it, shared by a module's tests.

    For tests that only read: an ETL run and a server start for each test would take minutes.
    A test that changes the workspace (runs the ETL again, rolls back) uses `published` and
    `app_server` instead."""
    with published_site(tmp_path_factory.mktemp("site"), small_sample) as both:
        yield both


@pytest.fixture
def workspace(tmp_path: Path, small_sample: Path) -> Workspace:
    write_sources(tmp_path / "config", small_sample)
    return Workspace(root=tmp_path, sample_dir=small_sample)


@pytest.fixture
def published(workspace: Workspace) -> Workspace:
    """A workspace with one snapshot published by a real ETL run."""
    workspace.etl("run")
    return workspace


@pytest.fixture
def app_server(published: Workspace) -> Iterator[ServerProcess]:
    """`python app.py` serving the published workspace on a free port."""
    server = ServerProcess([sys.executable, "app.py"], published.env, free_port())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory, small_sample: Path
               ) -> Iterator[tuple[Workspace, ServerProcess]]:
    """A published sample city served with one user, the admin ada (tests/internal_client.py)."""
    with staffed_site(tmp_path_factory.mktemp("admin-site"), small_sample,
                      {"ada": STAFF["ada"]}) as both:
        yield both
