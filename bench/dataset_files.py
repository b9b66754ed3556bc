"""Dataset files at publish: each format's time and size for one dataset of a snapshot, and
XLSX written by opendata/xlsx.py against openpyxl's write-only mode.

    .venv/bin/python -m bench.dataset_files --data-dir DIR [--dataset service_requests]

Reads the current snapshot of DIR's warehouse (a run with datasets.yaml must have published
it), writes each file into a temporary folder as the publish does, and prints a Markdown table.
openpyxl is skipped above --openpyxl-max-rows (default 1,000,000): about 7,000 rows a second.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from opendata.exports import EXCEL_MAX_ROWS, neutralised, write_exports
from opendata.publish import dataset_view
from opendata.xlsx import write_xlsx
from warehouse.connect import open_read_only
from warehouse.manifest import read_manifest


def openpyxl_xlsx(connection, query: str, names: list[str], path: Path) -> None:
    """The way the openpyxl documentation writes a large sheet: write-only, row by row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(names)
    for batch in connection.cursor().sql(query).to_arrow_reader(50_000):
        for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
            sheet.append(row)
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("DASHBOARD_DATA_DIR", "data")))
    parser.add_argument("--dataset", default="service_requests")
    parser.add_argument("--openpyxl-max-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    warehouse = args.data_dir / "warehouse"
    snapshot = read_manifest(warehouse).current
    connection = open_read_only(snapshot.path(warehouse))
    view = dataset_view(args.dataset)
    columns = [(name, kind) for name, kind in connection.execute(
        "SELECT c.value ->> 'name', c.value ->> 'type' FROM opendata.datasets AS d, "
        "json_each(d.columns) AS c WHERE d.dataset_id = ?", [args.dataset]).fetchall()]
    rows = connection.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
    print(f"snapshot {snapshot.id}, dataset {args.dataset}: {rows:,} rows, "
          f"{len(columns)} columns; load average {os.getloadavg()[0]:.1f}\n")
    print("| file | writer | seconds | size |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        made = write_exports(connection, view, columns, rows, Path(folder), "all")
        total = time.perf_counter() - started
        sizes = ", ".join(f"{f.format} {f.bytes / 2**20:,.1f} MiB" if f.bytes
                          else f"{f.format}: not made" for f in made)
        print(f"| all four | opendata.exports (the publish step) | {total:.1f} | {sizes} |")
        for fmt in ("csv", "parquet"):
            started = time.perf_counter()
            connection.execute(f"COPY (SELECT * FROM {view}) TO '{folder}/copy.{fmt}' "
                               f"(FORMAT {fmt})")
            print(f"| {fmt} | DuckDB COPY alone | {time.perf_counter() - started:.1f} | |")
        safe = f"SELECT {neutralised(columns)} FROM {view}"
        if rows <= EXCEL_MAX_ROWS:
            started = time.perf_counter()
            write_xlsx(connection, safe, columns, Path(folder) / "ours.xlsx")
            print(f"| xlsx | opendata/xlsx.py | {time.perf_counter() - started:.1f} | "
                  f"{(Path(folder) / 'ours.xlsx').stat().st_size / 2**20:,.1f} MiB |")
        if rows <= args.openpyxl_max_rows:
            started = time.perf_counter()
            openpyxl_xlsx(connection, safe, [n for n, _ in columns], Path(folder) / "o.xlsx")
            print(f"| xlsx | openpyxl write-only | {time.perf_counter() - started:.1f} | "
                  f"{(Path(folder) / 'o.xlsx').stat().st_size / 2**20:,.1f} MiB |")
    connection.close()


if __name__ == "__main__":
    main()
