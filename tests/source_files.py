"""Helpers for the file kinds' tests: read a real file through a kind's extract()."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from etl.errors import SourceError
from etl.sources import Extracted

NAME = "budget_lines"


class FileKind:
    """One file kind (csv, xlsx) under test: its config model and its extract()."""

    def __init__(self, kind: str, model: type, extract: Callable) -> None:
        self.kind, self.model, self.extract = kind, model, extract

    def source(self, path: Path | str, **options):
        return self.model(kind=self.kind, domain="budget", columns={}, path=str(path), **options)

    def read(self, path: Path | str, **options) -> tuple[Extracted, list[tuple]]:
        connection = duckdb.connect()
        extracted = self.extract(connection, NAME, self.source(path, **options))
        rows = connection.execute(f"SELECT * FROM {extracted.table} ORDER BY _origin, _record")
        return extracted, rows.fetchall()

    def error(self, path: Path | str, **options) -> str:
        with pytest.raises(SourceError) as error:
            self.read(path, **options)
        assert f"source '{NAME}'" in str(error.value)
        return str(error.value)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
