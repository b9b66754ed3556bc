"""Words for the open-data pages: file formats, file sizes, themes and frequencies as a reader
reads them, and the address of a dataset's page."""

from __future__ import annotations

FORMAT_NAMES = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel (XLSX)"}
THEME_NAMES = {"engagement": "Community"}  # the site's name for it; other themes as written


def dataset_path(dataset_id: str) -> str:
    return f"/data/{dataset_id}"


def file_size(size: int) -> str:
    """'840 bytes', '12.5 kB', '3.1 MB', '1.2 GB' (decimal units, as download tools show)."""
    if size < 1000:
        return f"{size:,} bytes"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000:
            return f"{size:,.1f} {unit}"
    return f"{size / 1000:,.1f} TB"


def theme_name(theme: str) -> str:
    return THEME_NAMES.get(theme, theme.replace("_", " ").capitalize())


def rows_words(rows: int | None) -> str:
    """'20,000 rows', '1 row', 'No data yet'."""
    if rows is None:
        return "No data yet"
    return f"{rows:,} row{'' if rows == 1 else 's'}"
