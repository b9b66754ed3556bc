"""Open-data serving against DuckDB's own COPY of the same rows, in the same run.

    .venv/bin/python -m bench.open_data --data-dir DIR [--dataset service_requests]

Starts gunicorn (one threaded worker, as `make serve` runs it) on DIR's current snapshot and
measures: the whole CSV download (the file made at publish) and a filtered CSV download
(streamed from DuckDB in Arrow batches), each fetched by curl to disk and set against COPY
writing the same rows to disk; the worker's peak memory (VmHWM) over all of it; and the rows
API's latency for two-filter pages. Prints a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench.lighthouse import load_note, running_site
from opendata.publish import dataset_view
from opendata.rows import build
from opendata.stream import csv_select
from warehouse.connect import open_read_only
from warehouse.manifest import read_manifest


def copy_seconds(connection, query: str, params: list, folder: Path) -> tuple[float, int]:
    """COPY (query) TO a CSV file: seconds and bytes."""
    path = folder / "copy.csv"
    started = time.perf_counter()
    connection.execute(f"COPY ({query}) TO '{path}' (FORMAT csv, HEADER true)", params)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    return seconds, size


def download_seconds(url: str, params: dict, folder: Path) -> tuple[float, int]:
    """GET url into a file with curl: seconds and bytes. (Python's HTTP clients decode a
    chunked answer, as a stream is sent, at about a third of the speed measured here.)"""
    path = folder / "download.csv"
    query = f"?{urlencode(params)}" if params else ""
    started = time.perf_counter()
    subprocess.run(["curl", "--silent", "--fail", "--output", str(path), url + query],
                   check=True)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    return seconds, size


def peak_rss_mib(master: int) -> float:
    """The largest peak resident memory (VmHWM) among the server's processes."""
    pids = [master, *map(int, subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                                             text=True, check=False).stdout.split())]
    peaks = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def server_pid(port_url: str) -> int:
    port = port_url.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", f"gunicorn.*127.0.0.1:{port}"], capture_output=True,
                           text=True, check=True).stdout.split()
    return min(map(int, found))  # the master starts first


def latencies(base: str, dataset: str, pairs: list[tuple[str, str]], repeats: int
              ) -> list[float]:
    times = []
    session = requests.Session()
    for _ in range(repeats):
        for district, kind in pairs:
            started = time.perf_counter()
            answer = session.get(f"{base}/api/v1/datasets/{dataset}/rows",
                                 params={"district": district, "request_type": kind},
                                 timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("DASHBOARD_DATA_DIR", "data")))
    parser.add_argument("--dataset", default="service_requests")
    parser.add_argument("--filter", default=json.dumps(
        {"opened_at.gte": "2024-01-01", "channel": "Phone"}),
        help="the filtered download's parameters, as JSON")
    parser.add_argument("--repeats", type=int, default=20, help="rounds of API pages")
    args = parser.parse_args()
    started_load = os.getloadavg()[0]
    warehouse = args.data_dir / "warehouse"
    snapshot = read_manifest(warehouse).current
    connection = open_read_only(snapshot.path(warehouse))
    dictionary = json.loads(connection.execute(
        "SELECT columns FROM opendata.datasets WHERE dataset_id = ?",
        [args.dataset]).fetchall()[0][0])
    kinds = [(c["name"], c["type"]) for c in dictionary]
    relation = dataset_view(args.dataset)
    everything = f"SELECT {csv_select(kinds)} FROM {relation}"
    wanted = build(relation, dictionary, json.loads(args.filter), paged=False)
    chosen = [(name, kind) for name, kind in kinds if name in wanted.columns]
    filtered = f"SELECT {csv_select(chosen)} FROM ({wanted.sql})"
    pairs = connection.execute(
        f"SELECT district, request_type FROM {relation} GROUP BY ALL "
        "ORDER BY count(*) DESC, district, request_type LIMIT 10").fetchall()
    rows = connection.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    matching = connection.execute(f"SELECT count(*) FROM ({wanted.sql})",
                                  wanted.params).fetchall()[0][0]
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers",
                "1", "--worker-class", "gthread", "--threads", "4", "app:server"]
    results = {}
    with tempfile.TemporaryDirectory() as scratch, \
            running_site(None, args.data_dir, gunicorn) as base:
        folder = Path(scratch)
        master = server_pid(base)
        url = f"{base}/api/v1/datasets/{args.dataset}.csv"
        requests.get(f"{base}/api/v1/datasets", timeout=60).raise_for_status()  # warm
        peaks = {"after start": peak_rss_mib(master)}
        results["copy_all"] = copy_seconds(connection, everything, [], folder)
        results["download_all"] = download_seconds(url, {}, folder)
        peaks["after the whole CSV"] = peak_rss_mib(master)
        results["copy_filtered"] = copy_seconds(connection, filtered, wanted.params, folder)
        results["stream_filtered"] = download_seconds(url, json.loads(args.filter), folder)
        peaks["after the filtered CSV"] = peak_rss_mib(master)
        api = latencies(base, args.dataset, pairs, args.repeats)
        peaks["after the API pages"] = peak_rss_mib(master)
    connection.close()

    def rate(key: str) -> str:
        seconds, size = results[key]
        return f"{seconds:.1f} s, {size / seconds / 2**20:.0f} MiB/s"

    ratio_all = results["copy_all"][0] / results["download_all"][0]
    ratio_filtered = results["copy_filtered"][0] / results["stream_filtered"][0]
    quantiles = statistics.quantiles(api, n=100)
    print(f"{args.dataset}: {rows:,} rows; filter {args.filter}: {matching:,} rows; "
          f"{load_note(started_load)}\n")
    print("| measure | DuckDB COPY to disk | served, to disk | served / COPY rate |")
    print("| --- | --- | --- | --- |")
    print(f"| whole CSV ({results['download_all'][1] / 2**20:,.0f} MiB) | {rate('copy_all')} "
          f"| {rate('download_all')} | {ratio_all:.2f}x |")
    print(f"| filtered CSV ({results['stream_filtered'][1] / 2**20:,.0f} MiB) | "
          f"{rate('copy_filtered')} | {rate('stream_filtered')} | {ratio_filtered:.2f}x |")
    print("\nworker peak memory (VmHWM): " + ", ".join(
        f"{mib:.0f} MiB {when}" for when, mib in peaks.items()))
    print(f"rows API, two filters (district, request_type), {len(api)} pages of 100: "
          f"p50 {statistics.median(api):.0f} ms, p95 {quantiles[94]:.0f} ms")


if __name__ == "__main__":
    main()
