"""Static files for a citizen on a phone: less JavaScript, compressed once, cached for a year.

Measured in bench/README.md ("Page speed"). What `tune_static_assets(app)` changes:

- plotly.js: assets/charts.js loads it the first time a chart comes into view, from the URL in
  the page's `<meta name="plotly-src">`: assets/vendor/plotly/, bar, pie, scatter (lines) and
  treemap only, 1.26 MB (Dash's full bundle: 4.8 MB), cached for a year. dcc.Graph's own fixed
  URL serves the same file. A figure with another trace type draws nothing for that trace:
  rebuild the bundle with it (assets/vendor/build.sh, TRACES=...).
- @babel/polyfill (99 kB, the first script of every page, about 150 ms of main thread on a
  laptop, 600 ms on Lighthouse's phone) is for browsers older than Dash supports; the only
  part Dash's bundles still use is regenerator-runtime, served instead (7 kB).
- dash-ag-grid's bundle (1.3 MB) is in no page: Dash would put it in every one. Its address
  goes in `<meta name="grid-src">`, and assets/grid-loader.js loads it when a dataset page's
  grid comes near the screen (on a phone it cost 1.5 s of blocked main thread at load).
- Scripts are deferred and `_dash-layout` and `_dash-dependencies` are preloaded, so the page
  paints before the scripts run and its two JSON requests go out with the scripts, not after.
- Cache-Control: a year, immutable, for fingerprinted files (Dash's component suites and
  assets carry their version or modification time in the URL); `no-cache` (revalidate with the
  ETag) for the rest. The page itself and Dash's JSON are never cached.
- Compression: flask-compress (compress=True) compresses every response quickly (zstd 3); the
  static files are compressed again once per process at the smallest settings (brotli 11,
  gzip 9) in a background thread, and served from memory from then on (about 20% fewer bytes).
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import brotli
from dash import Dash
from dash.fingerprint import check_fingerprint
from flask import Flask, Response, request, send_file

from config.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

VENDOR = PROJECT_ROOT / "assets" / "vendor"
PLOTLY_JS_VERSION = "4.1.1"  # the version plotly (the Python package) pins; build.sh says it too
PLOTLY_BUNDLE = VENDOR / "plotly" / f"plotly-{PLOTLY_JS_VERSION}-bar-pie-scatter-treemap.min.js"
REGENERATOR = VENDOR / "regenerator-runtime" / "regenerator-runtime-0.14.1.min.js"
# Where dash-renderer tells dcc.Graph to load plotly.js from when serving locally.
PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
YEAR = 31_536_000
COMPRESSIBLE = {"text/javascript", "application/javascript", "text/css", "application/json",
                "image/svg+xml"}
POLYFILL = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')
RENDERER = re.compile(r"var renderer = (new DashRenderer\(.*?\));", re.DOTALL)
GRID_SCRIPT = re.compile(r'<script src="([^"]*/dash_ag_grid/dash_ag_grid\.[^"]*js)"></script>')


def asset_url(name: str) -> str:
    """A file of assets/ at the address Dash serves it, with the mark that caches it a year."""
    return f"/assets/{name}?m={(PROJECT_ROOT / 'assets' / name).stat().st_mtime}"


def tune_static_assets(app: Dash) -> None:
    """Make a Dash app's JavaScript smaller, cached, compressed once and loaded in parallel."""
    routes = app.config.routes_pathname_prefix
    prefix = app.config.requests_pathname_prefix
    small = _serve_small_plotly(app.server, routes)
    plotly_src = (f"{prefix}assets/vendor/plotly/{PLOTLY_BUNDLE.name}"
                  f"?m={PLOTLY_BUNDLE.stat().st_mtime}") if small else prefix + PLOTLY_PATH
    _rewrite_index(app, prefix, plotly_src)
    app.server.after_request(StaticResponses(routes))


def _serve_small_plotly(server: Flask, routes: str) -> bool:
    """Serve the small bundle at dcc.Graph's URL; False when it does not match plotly.py."""
    from plotly.offline import get_plotlyjs_version

    if get_plotlyjs_version() != PLOTLY_JS_VERSION:
        log.warning("plotly.js %s is installed but the vendored bundle is %s: serving the full "
                    "plotly.js until assets/vendor/build.sh is run for the new version",
                    get_plotlyjs_version(), PLOTLY_JS_VERSION)
        return False
    # A rule without variables wins over Dash's component-suites rule for the same URL.
    server.add_url_rule(routes + PLOTLY_PATH, endpoint=f"{routes}small_plotly_js",
                        view_func=lambda: send_file(PLOTLY_BUNDLE, mimetype="text/javascript"))
    return True


def _rewrite_index(app: Dash, prefix: str, plotly_src: str) -> None:
    """Wrap app.interpolate_index: swap the polyfill, defer scripts, preload Dash's JSON, say
    where plotly.js is."""
    interpolate = app.interpolate_index
    regenerator = (f"{prefix}assets/vendor/regenerator-runtime/{REGENERATOR.name}"
                   f"?m={REGENERATOR.stat().st_mtime}")
    preload = "".join(f'<link rel="preload" href="{prefix}{name}" as="fetch" crossorigin>'
                      for name in ("_dash-layout", "_dash-dependencies"))
    # Deferred scripts run in order after parsing, then DOMContentLoaded starts the renderer.
    # Set on the app once, not per page: app.csp_hashes() hashes app.renderer, so the
    # Content-Security-Policy (dashboards/security.py) allows exactly the script pages carry.
    app.renderer, found = RENDERER.subn(
        r"document.addEventListener('DOMContentLoaded', function () {"
        r" window.renderer = \1; });", app.renderer)

    def interpolate_index(**kwargs: str) -> str:
        scripts = POLYFILL.sub(f'<script src="{regenerator}"></script>', kwargs["scripts"])
        grid = GRID_SCRIPT.search(scripts)
        if grid:
            scripts = GRID_SCRIPT.sub("", scripts)
            kwargs["metas"] += f'<meta name="grid-src" content="{grid.group(1)}">'
        if found:
            scripts = scripts.replace("<script src=", "<script defer src=")
        kwargs["scripts"] = scripts
        kwargs["css"] = preload + kwargs["css"]
        kwargs["metas"] += f'<meta name="plotly-src" content="{plotly_src}">'
        return interpolate(**kwargs)

    app.interpolate_index = interpolate_index


class StaticResponses:
    """An after_request hook setting Cache-Control on static files and serving them from the
    precompressed copies; it runs before flask-compress's, which then leaves them alone."""

    def __init__(self, routes: str) -> None:
        self.suites = routes + "_dash-component-suites/"
        self.assets = routes + "assets/"
        self.favicon = routes + "_favicon.ico"
        self.compressed = Precompressed()

    def __call__(self, response: Response) -> Response:
        key = self.static_key(request.path)
        if key is None or response.status_code not in (200, 304):
            return response
        fingerprinted = (check_fingerprint(request.path)[1] if key.startswith(self.suites)
                         else "m" in request.args or "v" in request.args)
        if fingerprinted:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.expires = None
        else:
            response.cache_control.no_cache = True
        encoded = "Content-Encoding" in response.headers
        if response.status_code == 200 and request.method == "GET" and not encoded \
                and response.mimetype in COMPRESSIBLE:
            self.compress(response, key)
        return response

    def static_key(self, path: str) -> str | None:
        """The file a static URL names (fingerprint removed), or None for other URLs."""
        if path.startswith(self.suites):
            return check_fingerprint(path)[0]
        if path.startswith(self.assets) or path == self.favicon:
            return path
        return None

    def compress(self, response: Response, key: str) -> None:
        coding = _preferred_coding(request.headers.get("Accept-Encoding", ""))
        if coding is None:
            return
        response.direct_passthrough = False  # Flask's static files stream from disk
        data = response.get_data()
        found = self.compressed.get(key, coding, data)
        if found is None:
            return  # flask-compress compresses this one quickly
        response.set_data(found)
        response.headers["Content-Encoding"] = coding
        response.vary.add("Accept-Encoding")
        etag, weak = response.get_etag()
        if etag:
            # Another body, another validator; the browser revalidates with this one.
            response.set_etag(f"{etag}:{coding}", weak=weak)
            response.make_conditional(request)


def _preferred_coding(accept_encoding: str) -> str | None:
    """br when the client takes it (the smallest), else gzip, else None."""
    accepted = set()
    for part in accept_encoding.lower().split(","):
        coding, _, weight = part.partition(";")
        try:
            quality = float(weight.strip().removeprefix("q=")) if weight else 1.0
        except ValueError:
            quality = 1.0
        if quality > 0:
            accepted.add(coding.strip())
    return next((c for c in ("br", "gzip") if c in accepted), None)


class Precompressed:
    """Static bodies compressed at the smallest settings, once per process, in the background."""

    LIMIT = 64 * 2**20  # bytes kept; Dash's and the site's static files take about 3 MB

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], tuple[int, int, bytes]] = {}
        self._queued: set[tuple[str, str]] = set()
        self._size = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # made on first use: after a fork

    def get(self, key: str, coding: str, data: bytes) -> bytes | None:
        """The compressed body for this file and coding, or None and compress it for next time."""
        check = (len(data), zlib.crc32(data))
        with self._lock:
            found = self._done.get((key, coding))
            if found is not None and found[:2] == check:
                return found[2]
            if (key, coding) in self._queued or self._size > self.LIMIT:
                return None
            self._queued.add((key, coding))
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="precompress")
        self._pool.submit(self._compress, key, coding, data, check)
        return None

    def _compress(self, key: str, coding: str, data: bytes, check: tuple[int, int]) -> None:
        try:
            body = brotli.compress(data, quality=11) if coding == "br" else gzip.compress(data, 9)
        except Exception:
            log.exception("compressing %s failed", key)
            body = None
        with self._lock:
            self._queued.discard((key, coding))
            if body is not None:
                old = self._done.get((key, coding))
                self._size += len(body) - (len(old[2]) if old else 0)
                self._done[(key, coding)] = (*check, body)
