"""The source kinds, by the `kind` a source names in sources.yaml."""

from __future__ import annotations

from types import ModuleType
from typing import Annotated

import duckdb
from pydantic import Field

from etl.sources import Extracted, csv, http_json, sql, xlsx

KINDS: dict[str, ModuleType] = {"csv": csv, "xlsx": xlsx, "sql": sql, "http_json": http_json}

AnySource = Annotated[
    csv.CsvSource | xlsx.XlsxSource | sql.SqlSource | http_json.HttpJsonSource,
    Field(discriminator="kind"),
]


def extract(connection: duckdb.DuckDBPyConnection, name: str, source, since: str | None = None
            ) -> Extracted:
    """Read one source into a raw table; `since` is the watermark for incremental pulls."""
    return KINDS[source.kind].extract(connection, name, source, since)
