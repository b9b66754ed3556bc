"""Server time of each public page's requests: the page, its layout and its Dash callbacks.

    .venv/bin/python -m bench.page_callbacks [--data-dir DIR | --url URL] [--repeats 50] [PAGE ...]

Opens each page once in Chromium and records every callback the page makes on load (POST
/_dash-update-component, body and headers), then replays the page's HTML, GET /_dash-layout and
each recorded callback with `requests` on one keep-alive session: --warmup times unmeasured,
then --repeats times measured. Prints p50, p95 and max of the wall time (loopback, so this is
the server's time plus a fraction of a millisecond), and the size of the answer.
Callbacks a visitor triggers later (a changed select) are not recorded: give their page's URL
with the query string that sets them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import requests

from bench.lighthouse import add_site_arguments, default_pages, load_note, running_site
from tests.browser import CHROMIUM, FLAGS

CALLBACK = "/_dash-update-component"
# Headers the browser sets that requests sets itself, or that would make a replay differ.
SKIPPED_HEADERS = {"content-length", "host", "connection", "accept-encoding", "cookie"}


@dataclass
class Call:
    """One request to replay: what it is called in the table, and how to send it."""

    page: str
    name: str
    method: str
    url: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def callback_name(body: dict) -> str:
    """The callback's outputs, as id.property, for the table."""
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    names = []
    for output in outputs:
        if isinstance(output, dict):
            ident = output.get("id")
            ident = json.dumps(ident, separators=(",", ":")) if isinstance(ident, dict) else ident
            names.append(f"{ident}.{output.get('property')}")
    return ", ".join(names) or str(body.get("output", "?"))


def record(base: str, pages: list[str]) -> list[Call]:
    """Every request worth timing that each page makes on load in a real Chromium."""
    from playwright.sync_api import sync_playwright

    calls: list[Call] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for page_path in pages:
                calls += [Call(page_path, "page HTML", "GET", base + page_path),
                          Call(page_path, "_dash-layout", "GET", base + "/_dash-layout")]
                calls += _callbacks_of(browser, base, page_path)
        finally:
            browser.close()
    return calls


def _callbacks_of(browser, base: str, page_path: str) -> list[Call]:
    context = browser.new_context()
    page = context.new_page()
    requests_seen = []
    page.on("request", lambda r: requests_seen.append(r) if CALLBACK in r.url else None)
    page.goto(base + page_path, wait_until="networkidle")
    page.wait_for_timeout(500)  # a chained callback can start just after the network idles
    calls = []
    for request in requests_seen:
        body = request.post_data_buffer or b""
        headers = {k: v for k, v in request.all_headers().items()
                   if k.lower() not in SKIPPED_HEADERS and not k.startswith(":")}
        calls.append(Call(page_path, callback_name(json.loads(body or b"{}")), "POST",
                          request.url, body, headers))
    context.close()
    return calls


def time_call(session: requests.Session, call: Call, warmup: int, repeats: int) -> dict:
    """Wall times in ms of `repeats` requests after `warmup` unmeasured ones."""
    times, status, size = [], 0, 0
    for i in range(warmup + repeats):
        started = time.perf_counter()
        answer = session.request(call.method, call.url, data=call.body, headers=call.headers,
                                 timeout=120)
        size = len(answer.content)  # read in full, inside the timing
        elapsed = (time.perf_counter() - started) * 1000
        status = answer.status_code
        if i >= warmup:
            times.append(elapsed)
    quantiles = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50": statistics.median(times), "p95": quantiles[94], "max": max(times),
            "status": status, "bytes": size}


def table(rows: list[tuple[Call, dict]]) -> str:
    """The Markdown table: one row per page and request."""
    lines = ["| page | request | p50 ms | p95 ms | max ms | answer |",
             "| --- | --- | --- | --- | --- | --- |"]
    for call, r in rows:
        answer = f"{r['bytes'] / 1024:,.1f} KiB" + ("" if r["status"] == 200
                                                   else f" (HTTP {r['status']})")
        lines.append(f"| {call.page} | {call.name} | {r['p50']:.1f} | {r['p95']:.1f} "
                     f"| {r['max']:.1f} | {answer} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_site_arguments(parser)
    parser.add_argument("--repeats", type=int, default=50, help="measured requests (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured first (default 3)")
    args = parser.parse_args()
    pages = args.pages or default_pages()
    load = os.getloadavg()[0]
    with running_site(args.url, args.data_dir) as base:
        calls = record(base, pages)
        rows = []
        with requests.Session() as session:
            for call in calls:
                rows.append((call, time_call(session, call, args.warmup, args.repeats)))
                print(f"{call.page} {call.name}: p95 {rows[-1][1]['p95']:.1f} ms",
                      file=sys.stderr)
    print(table(rows))
    print(f"\n{args.repeats} requests each after {args.warmup} unmeasured; {load_note(load)}")
    slowest = max(rows, key=lambda row: row[1]["p95"])
    print(f"\nslowest p95: {slowest[0].page} {slowest[0].name} {slowest[1]['p95']:.1f} ms",
          file=sys.stderr)


if __name__ == "__main__":
    main()
