"""Lighthouse on the public pages: performance and accessibility, desktop and mobile presets.

    npm ci --prefix bench          # once: Lighthouse from bench/package-lock.json
    .venv/bin/python -m bench.lighthouse [--data-dir DIR | --url URL] [--runs 3] [PAGE ...]

Starts `python app.py` on a free port against the data folder (default: DASHBOARD_DATA_DIR or
./data), or measures a server already running at --url, and prints a Markdown table. Each page
and preset runs --runs times in a fresh Chromium; the run with the median performance score is
shown. Lighthouse's own network and CPU throttling (simulated) applies to both presets.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

from config.settings import PROJECT_ROOT, load_settings
from tests.browser import CHROMIUM, FLAGS

LIGHTHOUSE = PROJECT_ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
PRESETS = ("desktop", "mobile")
STATIC_PAGES = ("/", "/budget", "/services", "/engagement")


def first_kpi_id(config_dir: Path) -> str | None:
    """The first KPI's id in kpis.yaml (a mapping of id to KPI, or a list of KPIs with an id)."""
    path = config_dir / "kpis.yaml"
    if not path.exists():
        return None
    kpis = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("kpis") or {}
    if isinstance(kpis, dict):
        return next(iter(kpis), None)
    return next((k["id"] for k in kpis if isinstance(k, dict) and "id" in k), None)


def default_pages() -> list[str]:
    """The public pages: the fixed ones and the first KPI's page, when KPIs are configured."""
    kpi = first_kpi_id(load_settings().config_dir)
    return [*STATIC_PAGES, f"/kpi/{kpi}"] if kpi else list(STATIC_PAGES)


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """The options saying which site to measure, shared by the page benchmarks."""
    parser.add_argument("pages", nargs="*", help="paths to measure (default: the public pages)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="base URL of a server already running")
    where.add_argument("--data-dir", type=Path,
                       help="start python app.py against this DASHBOARD_DATA_DIR (default: "
                            "the configured one)")


def load_note(started: float) -> str:
    """The machine and how busy it was: Lighthouse's simulated phone CPU scales observed times."""
    return (f"{os.cpu_count()} cores; load average (1 min) {started:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_site(url: str | None, data_dir: Path | None,
                 server: list[str] | None = None) -> Iterator[str]:
    """The base URL of the site to measure: --url as given, else `python app.py` (or the server
    command given, with {port} in it) started here."""
    if url:
        yield url.rstrip("/")
        return
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port),
           # Request logging off: it costs server time, and nobody reads it here.
           "DASHBOARD_LOG_LEVEL": "WARNING"}
    if data_dir:
        env["DASHBOARD_DATA_DIR"] = str(data_dir.resolve())
    base = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
    with tempfile.TemporaryFile("w+") as log:
        command = [part.format(port=port) for part in server or [sys.executable, "app.py"]]
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_until_up(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_up(base: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"the server exited early:\n{log.read()}")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
            raise SystemExit(f"{base}/healthz is not ok: is there a published snapshot?")
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


def lighthouse(url: str, preset: str) -> dict:
    """One Lighthouse run of one page with one preset, in a fresh headless Chromium."""
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: npm ci --prefix bench")
    command = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
               "--only-categories=performance,accessibility",
               f"--chrome-flags={' '.join([*FLAGS, '--headless'])}"]
    if preset == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM},
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url} ({preset}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def summary(report: dict) -> dict:
    """The figures the table shows, from one Lighthouse report."""
    audits, categories = report["audits"], report["categories"]
    failing = [audit_id for ref in categories["accessibility"]["auditRefs"]
               if (audit_id := ref["id"]) in audits and audits[audit_id]["score"] == 0]
    return {
        "performance": categories["performance"]["score"],
        "accessibility": categories["accessibility"]["score"],
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "error": report.get("runtimeError", {}).get("message"),
        "failing": failing,
    }


def measure(base: str, page: str, preset: str, runs: int) -> dict:
    """The run with the median performance score of `runs` runs."""
    results = sorted((summary(lighthouse(base + page, preset)) for _ in range(runs)),
                     key=lambda r: r["performance"] or 0)
    return results[len(results) // 2] | {
        "spread": [r["performance"] for r in results] if runs > 1 else None}


def _score(value: float | None) -> str:
    return "error" if value is None else f"{value:.2f}"


def table(rows: list[tuple[str, str, dict]]) -> str:
    """The Markdown table: page, preset, scores, paints, blocking time, layout shift, bytes."""
    lines = ["| page | preset | performance | accessibility | FCP | LCP | TBT | CLS | bytes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for page, preset, r in rows:
        performance = _score(r["performance"])
        if r["spread"]:
            performance += f" ({'-'.join(_score(s) for s in (r['spread'][0], r['spread'][-1]))})"
        lines.append(
            f"| {page} | {preset} | {performance} | {_score(r['accessibility'])} "
            f"| {r['fcp'] / 1000:.1f} s | {r['lcp'] / 1000:.1f} s | {r['tbt']:.0f} ms "
            f"| {r['cls']:.3f} | {r['bytes'] / 1024:,.0f} KiB |")
    notes = []
    for page, preset, r in rows:
        if r["error"]:
            notes.append(f"- {page} ({preset}): Lighthouse error: {r['error']}")
        if r["failing"]:
            notes.append(f"- {page} ({preset}): failing accessibility audits: "
                         f"{', '.join(r['failing'])}")
    return "\n".join(lines + (["", *notes] if notes else []))


def warm(base: str, pages: list[str], settle: float) -> None:
    """Load every page once, so one-off work is done before measuring, as on a running server."""
    # A first query, and compressing each static file once in the background: see static_assets.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for page in pages:
            browser.new_page().goto(base + page, wait_until="networkidle")
        browser.close()
    time.sleep(settle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_site_arguments(parser)
    parser.add_argument("--preset", action="append", choices=PRESETS, dest="presets",
                        help="desktop or mobile, may be repeated (default: both)")
    parser.add_argument("--settle", type=float, default=15,
                        help="seconds to wait after loading each page once (default 15)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per page and preset; the median is shown (default 1)")
    args = parser.parse_args()
    pages = args.pages or default_pages()
    rows = []
    load = os.getloadavg()[0]
    with running_site(args.url, args.data_dir) as base:
        warm(base, pages, args.settle)
        for page in pages:
            for preset in args.presets or PRESETS:
                result = measure(base, page, preset, args.runs)
                rows.append((page, preset, result))
                print(f"{page} {preset}: performance {_score(result['performance'])}",
                      file=sys.stderr)
    print(table(rows))
    print(f"\n{load_note(load)}")


if __name__ == "__main__":
    main()
