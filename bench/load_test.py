"""Load test: 50 readers on gunicorn (4 gthread workers) while the ETL publishes three times.

    .venv/bin/pip install -r bench/requirements-load.txt     # once: locust
    DASHBOARD_CONFIG_DIR=CFG .venv/bin/python -m bench.load_test --data-dir DIR \
        [--users 50] [--duration 60] [--publishes 3] [--source budget_lines] [--redis]

Starts gunicorn (`--workers 4 --worker-class gthread --threads 8`, app:server, with
deploy/gunicorn_conf.py when it exists) on 127.0.0.1 against DIR's current snapshot
(DASHBOARD_DATA_DIR=DIR, DASHBOARD_CONFIG_DIR=--config-dir), records what the public pages ask
on load in Chromium (bench.page_callbacks), reads the catalogue for the API and the files,
warms every worker, then runs locust headless (bench/locustfile.py): --users readers, each
waiting --wait seconds between requests, drawing 8 in 20 requests from the Dash callbacks, 3
from the pages' HTML and layout, 3 from the KPI API, 5 from the dataset API (descriptions and
rows pages, filtered and paged) and 1 whole dataset file. Meanwhile `python -m etl run --source
SOURCE` publishes --publishes times, one after the other (a warehouse takes one run at a time):
the first at --duration / (2 x --publishes) seconds, each next one at its share of --duration
or as soon as the previous is done. The load goes on for --duration seconds and until the last
publish is done (at most --max-duration). `--redis` runs a private redis-server (no
persistence) on a free port and sets DASHBOARD_REDIS_URL.

Prints, in Markdown: requests a second; p50, p95, p99 and errors by kind and overall, also
split into requests during a publish and outside; each publish's wall time, peak memory and
slowest steps; the peak resident memory (VmHWM) of gunicorn's master and each worker; and the
exceptions in the server's log.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import redis
import requests

from bench.lighthouse import default_pages
from bench.page_callbacks import record
from config.settings import PROJECT_ROOT
from tests.helpers import ServerProcess, free_port

LOCUSTFILE = PROJECT_ROOT / "bench" / "locustfile.py"
GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn_conf.py"
KINDS = {"callback": "Dash callbacks", "page": "page HTML and _dash-layout",
         "kpi_api": "KPI API", "dataset_api": "dataset API (descriptions, rows pages)",
         "download": "whole dataset files"}
GOAL_P95_MS = 300.0  # callbacks and API pages (issue 8)
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b")
ETL_STEPS = re.compile(r"step=(stage|kpis|datasets|done)\b.*?(?:seconds=([\d.]+))?$")


@dataclass
class Publish:
    """One `python -m etl run` during the load."""

    planned: float  # seconds after the load started
    started: float = 0.0
    ended: float = 0.0
    code: int | None = None
    peak_mib: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    log: str = ""


# What to ask for ----------------------------------------------------------------------------


def _request(kind: str, name: str, path: str, method: str = "GET", body: bytes | None = None,
             headers: dict[str, str] | None = None) -> dict:
    return {"kind": kind, "name": name, "path": path, "method": method,
            "body": base64.b64encode(body).decode() if body else None, "headers": headers or {}}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_requests(base: str, pages: list[str], recordings: int = 2) -> list[dict]:
    """Each public page's HTML, its layout and the callbacks it makes on load in Chromium
    (the union of `recordings` visits: a busy machine can leave out a late callback, such as
    the dataset grid's, which waits for the grid's script)."""
    calls = {}
    for _ in range(recordings):
        for call in record(base, pages):
            calls.setdefault((call.page, call.name), call)
    plan = []
    for call in calls.values():
        kind = "callback" if call.method == "POST" else "page"
        name = f"{call.page} {call.name}" if kind == "callback" else f"{call.name} {call.page}"
        plan.append(_request(kind, name, _path(call.url), call.method, call.body, call.headers))
    # One _dash-layout is enough: every page asks for the same one.
    layouts = [r for r in plan if r["path"] == "/_dash-layout"]
    return [r for r in plan if r["path"] != "/_dash-layout"] + layouts[:1]


def api_requests(base: str, max_download_bytes: int) -> list[dict]:
    """KPI and dataset API requests and the whole files a reader downloads, from the catalogue."""
    plan = [_request("kpi_api", "GET /api/v1/kpis", "/api/v1/kpis")]
    kpis = requests.get(f"{base}/api/v1/kpis", timeout=60).json()["kpis"]
    plan += [_request("kpi_api", "GET /api/v1/kpis/<id>", f"/api/v1/kpis/{k['id']}")
             for k in kpis]
    datasets = requests.get(f"{base}/api/v1/datasets", timeout=60).json()["datasets"]
    plan.append(_request("dataset_api", "GET /api/v1/datasets", "/api/v1/datasets"))
    for dataset in datasets:
        ident = dataset["id"]
        plan += [_request("dataset_api", "GET /api/v1/datasets/<id>", f"/api/v1/datasets/{ident}"),
                 _request("dataset_api", "rows, first page", f"/api/v1/datasets/{ident}/rows")]
        plan += [_request("download", f"whole {d['format']} file",
                          f"/api/v1/datasets/{ident}.{d['format']}")
                 for d in dataset["downloads"]
                 if d["url"] and d["bytes"] is not None and d["bytes"] <= max_download_bytes]
    plan += _service_request_pages(base, {d["id"] for d in datasets})
    return plan


def _service_request_pages(base: str, datasets: set[str]) -> list[dict]:
    """Rows pages of the big table: two filters (the commonest district and type pairs), a
    date and a channel, and pages further in."""
    if not {"service_requests", "requests_by_district_type"} <= datasets:
        return []
    rows = requests.get(f"{base}/api/v1/datasets/requests_by_district_type/rows",
                        params={"select": "district,request_type", "order": "requests desc",
                                "limit": 500}, timeout=60).json()["rows"]
    pairs = list(dict.fromkeys((r["district"], r["request_type"]) for r in rows))[:10]
    rows_path = "/api/v1/datasets/service_requests/rows?"
    plan = [_request("dataset_api", "service_requests rows, district and type",
                     rows_path + urlencode({"district": d, "request_type": t}))
            for d, t in pairs]
    plan += [_request("dataset_api", "service_requests rows, channel and date",
                      rows_path + urlencode({"channel": channel, "opened_at.gte": "2026-01-01"}))
             for channel in ("Online", "Phone", "In person")]
    plan += [_request("dataset_api", "service_requests rows, district, page 2 to 10",
                      rows_path + urlencode({"district": d, "offset": 100 * page}))
             for page, (d, _) in enumerate(pairs[:9], start=1)]
    return plan


def warm(base: str, plan: list[dict], rounds: int) -> int:
    """Every request `rounds` times, 8 at once, so each worker has done its one-off work
    (first queries, Dash's first request); the number of answers that were not 200."""
    def send(request: dict) -> int:
        body = base64.b64decode(request["body"]) if request["body"] else None
        return requests.request(request["method"], base + request["path"], data=body,
                                headers=request["headers"], timeout=300).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, [r for r in plan for _ in range(rounds)]))
    return sum(code != 200 for code in codes)


# The servers --------------------------------------------------------------------------------


@contextmanager
def redis_server(wanted: bool) -> Iterator[str | None]:
    """A private redis-server on a free loopback port, without persistence: its URL."""
    if not wanted:
        yield None
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--redis: redis-server not found (Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except redis.RedisError:  # not listening yet
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.1)
        yield url
        info = redis.Redis.from_url(url).info()
        print(f"redis: {info.get('db0', {}).get('keys', 0)} keys, peak memory "
              f"{info['used_memory_peak'] / 2**20:.0f} MiB", file=sys.stderr)
    finally:
        process.terminate()
        process.wait(timeout=10)


def memory_mib(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_memory(master: int) -> dict[str, float]:
    """VmHWM of gunicorn's master and of each worker (its children)."""
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True,
                             check=False).stdout.split()
    peaks = {f"master {master}": memory_mib(master)}
    peaks |= {f"worker {pid}": memory_mib(int(pid)) for pid in sorted(workers, key=int)}
    return peaks


# The run ------------------------------------------------------------------------------------


def publish(source: str, env: dict[str, str], item: Publish, origin: float, nice: int) -> None:
    """One `python -m etl run --source SOURCE`: its wall time, peak memory and slow steps."""
    with tempfile.TemporaryFile("w+") as log:
        item.started = time.monotonic() - origin
        niced = ["nice", "-n", str(nice)] if nice else []  # nice execs: the same process
        process = subprocess.Popen([*niced, sys.executable, "-m", "etl", "run", "--source", source],
                                   cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        item.ended = time.monotonic() - origin
        item.code = process.returncode
        item.peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
        log.seek(0)
        item.log = log.read()
    for line in item.log.splitlines():
        if (found := ETL_STEPS.search(line)) and found.group(2):
            item.steps[found.group(1)] = float(found.group(2))


def run_load(base: str, plan_path: Path, args: argparse.Namespace, etl_env: dict[str, str],
             log_path: Path) -> tuple[list[Publish], float, float]:
    """Locust for --duration seconds and until the publishes are done; the publishes, and
    when the load started and ended (time.time())."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "--host", base, "--users", str(args.users), "--spawn-rate", str(args.users),
               "--loglevel", "WARNING", "--stop-timeout", "5"]
    spacing = args.duration / max(args.publishes, 1)
    publishes = [Publish(planned=spacing * (i + 0.5)) for i in range(args.publishes)]
    with open(log_path, "w") as log:
        locust = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=log,
                                  env={**os.environ, "LOAD_PLAN": str(plan_path)})
        started_at, origin = time.time(), time.monotonic()
        done = threading.Event()

        def publisher() -> None:
            for item in publishes:
                time.sleep(max(0.0, item.planned - (time.monotonic() - origin)))
                print(f"  publish {publishes.index(item) + 1} at {time.monotonic() - origin:.0f} s",
                      file=sys.stderr)
                publish(args.source, etl_env, item, origin, args.etl_nice)
                print(f"  publish {publishes.index(item) + 1} done in "
                      f"{item.ended - item.started:.1f} s (exit {item.code})", file=sys.stderr)
            done.set()

        thread = threading.Thread(target=publisher, daemon=True)
        thread.start()
        while True:
            elapsed = time.monotonic() - origin
            if locust.poll() is not None:
                raise SystemExit(f"locust stopped early (exit {locust.returncode}); see {log_path}")
            if (elapsed >= args.duration and done.is_set()) or elapsed >= args.max_duration:
                break
            time.sleep(0.5)
        ended_at = time.time()
        locust.send_signal(signal.SIGTERM)  # locust saves the records as it quits
        locust.wait(timeout=60)
        thread.join()  # a publish still running at --max-duration is waited for, not killed
    return publishes, started_at, ended_at


# The figures --------------------------------------------------------------------------------


def quantile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def row(label: str, records: list[tuple], seconds: float) -> str:
    if not records:
        return f"| {label} | 0 | | | | | |"
    times = [r[3] for r in records]
    errors = sum(1 for r in records if r[6] is not None)
    return (f"| {label} | {len(records):,} | {len(records) / seconds:.1f} | "
            f"{quantile(times, 50):.0f} | {quantile(times, 95):.0f} | {quantile(times, 99):.0f} | "
            f"{errors} |")


def server_errors(log: str) -> dict[str, int]:
    """The exceptions the app logged ("Exception on /path [METHOD]"), by their last line."""
    reasons: dict[str, int] = {}
    for chunk in log.split(" ERROR app: Exception on ")[1:]:
        # The traceback ends at the next log line; its last exception line is the one raised.
        last = [line for line in chunk.splitlines()[1:] if EXCEPTION_LINE.match(line)]
        reason = f"{chunk.split(maxsplit=1)[0]}: {last[-1] if last else '?'}"
        reasons[reason] = reasons.get(reason, 0) + 1
    return reasons


def report(records: list[tuple], publishes: list[Publish], started: float, ended: float,
           memory: dict[str, dict[str, float]], args: argparse.Namespace, load: tuple,
           logged: dict[str, int]) -> str:
    seconds = ended - started
    # Publish windows as wall-clock times, cut to the load's (the last may end after it).
    windows = [(started + p.started, min(started + p.ended, ended)) for p in publishes
               if p.ended and started + p.started < ended]

    def busy(r: tuple) -> bool:
        return any(a <= r[0] <= b for a, b in windows)

    lines = [f"{args.users} users, {seconds:.0f} s of load (at least {args.duration:g} s, and "
             f"until the last publish was done), waits {args.wait[0]:g} to {args.wait[1]:g} s; "
             f"redis: {'yes' if args.redis else 'no'}; ETL niceness {args.etl_nice}; gunicorn "
             f"config: {args.gunicorn_config if args.gunicorn_config.is_file() else 'none'}; "
             f"{os.cpu_count()} cores, load average "
             f"{load[0]:.2f} before, {os.getloadavg()[0]:.2f} after", "",
             "| requests | count | per second | p50 ms | p95 ms | p99 ms | errors |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind, label in KINDS.items():
        lines.append(row(label, [r for r in records if r[1] == kind], seconds))
    lines.append(row("**all**", records, seconds))
    busy_seconds = sum(b - a for a, b in windows)
    quiet_seconds = max(seconds - busy_seconds, 1e-9)
    lines += ["", "During a publish and outside (callbacks and API pages only):", "",
              "| requests | count | per second | p50 ms | p95 ms | p99 ms | errors |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    site = [r for r in records if r[1] in ("callback", "kpi_api", "dataset_api")]
    lines.append(row("during a publish", [r for r in site if busy(r)], max(busy_seconds, 1e-9)))
    lines.append(row("no publish running", [r for r in site if not busy(r)], quiet_seconds))
    lines += ["", "| publish | started at | wall time | peak memory | KPIs / dataset files "
              "| exit |", "| --- | --- | --- | --- | --- | --- |"]
    for number, p in enumerate(publishes, start=1):
        steps = f"{p.steps.get('kpis', 0):.1f} s / {p.steps.get('datasets', 0):.1f} s"
        lines.append(f"| {number} | {p.started:.0f} s | {p.ended - p.started:.1f} s | "
                     f"{p.peak_mib:,.0f} MiB | {steps} | {p.code} |")
    lines += ["", "| process | VmHWM after warming | VmHWM at the end |", "| --- | --- | --- |"]
    for name, peak in memory["end"].items():
        lines.append(f"| {name} | {memory['start'].get(name, 0):,.0f} MiB | {peak:,.0f} MiB |")
    failed = [r for r in records if r[6] is not None]
    if failed:
        lines += ["", "Errors (first 10):", ""]
        lines += [f"- {r[1]} {r[2]}: HTTP {r[5]} {r[6]}" for r in failed[:10]]
    if logged:
        lines += ["", "Exceptions in the server's log, warm-up included (count, path: exception):",
                  ""]
        lines += [f"- {count} x {reason[:300]}" for reason, count in logged.items()]
    worst = {kind: quantile([r[3] for r in records if r[1] == kind], 95)
             for kind in ("callback", "kpi_api", "dataset_api")
             if any(r[1] == kind for r in records)}
    missed = [f"{KINDS[k]} p95 {v:.0f} ms" for k, v in worst.items() if v > GOAL_P95_MS]
    lines += ["", f"Goal: no errors ({len(failed)}), p95 of callbacks and API pages under "
              f"{GOAL_P95_MS:.0f} ms ({'met' if not missed else 'missed: ' + ', '.join(missed)})."]
    lines += ["", "Row for bench/README.md:", "", summary_row(records, publishes, seconds, memory,
                                                             args, load)]
    return "\n".join(lines)


def _spread(records: list[tuple]) -> str:
    times = [r[3] for r in records]
    if not times:
        return "none"
    return " / ".join(f"{quantile(times, q):.0f}" for q in (50, 95, 99))


def summary_row(records: list[tuple], publishes: list[Publish], seconds: float,
                memory: dict[str, dict[str, float]], args: argparse.Namespace,
                load: tuple) -> str:
    """One line: | Redis | ETL niceness | load before / after | req/s | callbacks | API | files |
    all | errors | publishes | VmHWM |, latencies as p50 / p95 / p99 ms."""
    api = [r for r in records if r[1] in ("kpi_api", "dataset_api")]
    workers = [v for k, v in memory["end"].items() if k.startswith("worker")]
    master = next(v for k, v in memory["end"].items() if k.startswith("master"))
    walls = ", ".join(f"{p.ended - p.started:.0f}" for p in publishes)
    errors = sum(1 for r in records if r[6] is not None)
    return (f"| {'yes' if args.redis else 'no'} | {args.etl_nice} "
            f"| {load[0]:.1f} / {os.getloadavg()[0]:.1f} "
            f"| {len(records) / seconds:.1f} ({seconds:.0f} s) "
            f"| {_spread([r for r in records if r[1] == 'callback'])} | {_spread(api)} "
            f"| {_spread([r for r in records if r[1] == 'download'])} | {_spread(records)} "
            f"| {errors} | {walls or 'none'}{' s' if walls else ''} "
            f"| {min(workers):,.0f}-{max(workers):,.0f} / {master:,.0f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="DASHBOARD_DATA_DIR of a published city (10M requests for issue 8)")
    parser.add_argument("--config-dir", type=Path,
                        default=os.environ.get("DASHBOARD_CONFIG_DIR") or None,
                        help="its DASHBOARD_CONFIG_DIR (default: the environment's)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load at least")
    parser.add_argument("--max-duration", type=float, default=240.0,
                        help="seconds of load at most, publishes done or not")
    parser.add_argument("--wait", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="seconds a user waits between requests (default 0.5 1.5)")
    parser.add_argument("--publishes", type=int, default=3)
    parser.add_argument("--source", default="budget_lines", help="the source each publish loads")
    parser.add_argument("--etl-nice", type=int, default=0, metavar="N",
                        help="run the publishes at this niceness (default 0, as the web workers)")
    parser.add_argument("--retention", type=int, default=2,
                        help="DASHBOARD_SNAPSHOT_RETENTION of the publishes: a 10M city's "
                             "snapshot and files take about 5 GB each (default 2)")
    parser.add_argument("--max-download-mb", type=float, default=10.0,
                        help="the whole files drawn are those up to this size (default 10)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--gunicorn-config", type=Path, default=GUNICORN_CONFIG,
                        help="gunicorn's config file, if it exists (default: %(default)s)")
    parser.add_argument("--redis", action="store_true",
                        help="run a private redis-server and set DASHBOARD_REDIS_URL")
    parser.add_argument("--keep", type=Path, help="also keep the plan, records and logs here")
    args = parser.parse_args()
    if args.config_dir:
        os.environ["DASHBOARD_CONFIG_DIR"] = str(args.config_dir.resolve())
    os.environ["DASHBOARD_DATA_DIR"] = str(args.data_dir.resolve())
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    port = free_port()
    # Production's settings (keep-alive, timeouts) when there is a config; the command line's
    # address, workers and threads override it.
    config = ["-c", str(args.gunicorn_config)] if args.gunicorn_config.is_file() else []
    gunicorn = [sys.executable, "-m", "gunicorn", *config, "--bind", f"127.0.0.1:{port}",
                "--workers", str(args.workers), "--worker-class", "gthread",
                "--threads", str(args.threads), "app:server"]
    with tempfile.TemporaryDirectory() as scratch, redis_server(args.redis) as redis_url:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if redis_url:
            os.environ["DASHBOARD_REDIS_URL"] = redis_url
        etl_env = {**os.environ, "DASHBOARD_LOG_LEVEL": "INFO",
                   "DASHBOARD_SNAPSHOT_RETENTION": str(args.retention)}
        # Request logging off: it costs server time, and nobody reads it here.
        server = ServerProcess(gunicorn, {**os.environ, "DASHBOARD_LOG_LEVEL": "WARNING"}, port)
        try:
            base, master = server.url, server.process.pid
            print(f"gunicorn at {base} (master {master}); recording the pages in Chromium",
                  file=sys.stderr)
            pages = [*default_pages(), "/data", "/data/service_requests"]
            plan = page_requests(base, pages) + api_requests(
                base, int(args.max_download_mb * 2**20))
            print(f"{len(plan)} requests in the plan; warming every worker", file=sys.stderr)
            not_ok = warm(base, plan, rounds=args.workers * 2)
            if not_ok:
                print(f"warning: {not_ok} warm-up answers were not 200", file=sys.stderr)
            memory = {"start": server_memory(master)}
            plan_path = folder / "plan.json"
            records_path = folder / "records.json"
            by_kind: dict[str, list[dict]] = {kind: [] for kind in KINDS}
            for request in plan:
                by_kind[request["kind"]].append(request)
            plan_path.write_text(json.dumps({"wait": list(args.wait), "requests": by_kind,
                                             "records": str(records_path)}))
            print(f"load: {args.users} users for {args.duration:.0f} s, {args.publishes} "
                  f"publishes of {args.source}", file=sys.stderr)
            publishes, started, ended = run_load(base, plan_path, args, etl_env,
                                                 folder / "locust.log")
            memory["end"] = server_memory(master)
        finally:
            server_log = server.stop()
            (folder / "gunicorn.log").write_text(server_log)
        records = json.loads(records_path.read_text())
        for number, item in enumerate(publishes, start=1):
            (folder / f"publish-{number}.log").write_text(item.log)
        (folder / "run.json").write_text(json.dumps({
            "started": started, "ended": ended, "memory": memory, "load_before": load,
            "publishes": [{k: v for k, v in vars(p).items() if k != "log"} for p in publishes],
        }, indent=1))
    # Only what was sent inside the load's window (locust's last answers come after it).
    records = [r for r in records if r[0] is not None and r[0] <= ended]
    print(report(records, publishes, started, ended, memory, args, load,
                 server_errors(server_log)))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(this process peaked at {own:,.0f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
