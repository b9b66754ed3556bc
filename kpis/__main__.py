"""`python -m kpis check`: run every KPI of config/kpis.yaml against the current snapshot.

For whoever edits the catalogue: each KPI's rows and latest city-wide value, or what is wrong
with it, without running the ETL. Exit 0 when every KPI runs, 1 when one fails, 2 when the
catalogue itself is invalid or nothing is published.
"""

from __future__ import annotations

import argparse
import sys

from tabulate import tabulate

from config.settings import load_settings
from etl.errors import ConfigError
from kpis.catalogue import catalogue_path, load_catalogue
from kpis.compute import KpiError, define_macros, evaluate, missing_tables
from warehouse.reader import NoSnapshotError, WarehouseReader


def check(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kpis", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check"])
    parser.parse_args(argv)
    settings = load_settings()
    try:
        catalogue = load_catalogue(catalogue_path(settings))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    reader = WarehouseReader(settings.warehouse_dir)
    rows, failed = [], 0
    try:
        with reader.cursor() as (snapshot, cursor):
            define_macros(cursor, catalogue)
            for kpi in catalogue.kpis:
                try:
                    missing = missing_tables(cursor, kpi)
                    count = 0 if missing else evaluate(cursor, kpi, "kpi_check")
                    note = f"no data: {', '.join(missing)} not loaded" if missing else "ok"
                except KpiError as exc:
                    failed += 1
                    count, note = 0, f"FAILED: {exc}"
                rows.append([kpi.id, kpi.period, count, note])
    except NoSnapshotError:
        print("no snapshot is published yet: run `python -m etl run` first", file=sys.stderr)
        return 2
    finally:
        reader.close()
    print(f"catalogue {catalogue.version} against snapshot {snapshot.id}")
    print(tabulate(rows, headers=["kpi", "period", "rows", "result"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(check())
