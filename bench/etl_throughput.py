"""ETL throughput: N service requests from CSV through the whole pipeline (extract, clean,
validate, load, publish), against DuckDB's own read_csv of the same file into a table.

    .venv/bin/python -m bench.etl_throughput [--requests 1000000]

Writes the sample city's service requests with the real generator into a temporary folder,
then times both in fresh processes' worth of state (a new warehouse each repeat) and prints a
Markdown table row for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from config.settings import PROJECT_ROOT, load_settings
from etl import pipeline
from etl.sample import generate

CONFIG = (PROJECT_ROOT / "config" / "sources.yaml").read_text(encoding="utf-8")


def raw_read_csv(path: Path, folder: Path) -> float:
    """DuckDB's own read_csv (types sniffed) into a table of a new database file."""
    database = folder / f"raw-{time.perf_counter_ns()}.duckdb"
    connection = duckdb.connect(str(database))
    started = time.perf_counter()
    connection.execute(f"CREATE TABLE requests AS SELECT * FROM read_csv('{path}')")
    connection.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def pipeline_run(sample: Path, folder: Path) -> float:
    """The whole pipeline for the one source, into a new warehouse, published."""
    root = folder / f"run-{time.perf_counter_ns()}"
    config = root / "config"
    config.mkdir(parents=True)
    (config / "sources.yaml").write_text(CONFIG.replace("data/sample/", f"{sample}/"))
    settings = load_settings({**os.environ, "DASHBOARD_DATA_DIR": str(root / "data"),
                              "DASHBOARD_CONFIG_DIR": str(config)})
    started = time.perf_counter()
    pipeline.run(settings, sources=["service_requests"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample = folder / "sample"
        generate(sample, requests=args.requests)
        path = sample / "service_requests.csv"
        with open(path, "rb") as handle:
            rows = sum(1 for _ in handle) - 1
        megabytes = path.stat().st_size / 1e6
        raw = [raw_read_csv(path, folder) for _ in range(args.repeats)]
        full = [pipeline_run(sample, folder) for _ in range(args.repeats)]
    raw_s, full_s = statistics.median(raw), statistics.median(full)
    print(f"| {date.today()} | {platform.node() or 'this machine'}, {os.cpu_count()} cores "
          f"| {args.requests:,} requests ({rows:,} lines, {megabytes:.0f} MB) "
          f"| {raw_s:.2f} s ({rows / raw_s:,.0f} rows/s) | {full_s:.2f} s "
          f"({rows / full_s:,.0f} rows/s) | {full_s / raw_s:.2f}x |")


if __name__ == "__main__":
    main()
