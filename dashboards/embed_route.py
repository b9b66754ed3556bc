"""GET /embed/kpi/<id>: one public KPI's chart as a small standalone page, for a newsroom's iframe.

No site frame and no Dash: the KPI page's own latest-value block and history chart, rendered
on the server (dashboards/prerender.py), drawn by assets/charts.js (which fetches plotly.js
when the chart comes into view) with its "Show the data" table, a source line naming the
snapshot and linking back to the KPI's page, and the data's licence. `?snapshot=<id>` pins a
kept snapshot (cached for a year); an internal or unknown KPI answers a 404 page. Framing by
any site is the point, so the answer allows it (`frame-ancestors *`, no X-Frame-Options).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, make_response, render_template, request
from markupsafe import Markup

from config.settings import Settings
from dashboards.components.formatting import published
from dashboards.components.frame import site_name
from dashboards.components.kpi_chart import series_chart
from dashboards.prerender import to_html
from dashboards.static_assets import PLOTLY_PATH, asset_url
from etl.errors import ConfigError
from kpis.read import definition, series
from opendata.catalogue import PUBLIC_DOMAIN, Licence, datasets_path, load_datasets
from warehouse.reader import NoSnapshotError, UnknownSnapshotError, WarehouseReader

log = logging.getLogger(__name__)

PATH = "/embed/kpi/<kpi_id>"
YEAR = 31_536_000
STYLES = ("site.css", "components.css", "kpi.css")


def embed_path(kpi_id: str) -> str:
    """The address of a KPI's embeddable chart."""
    return PATH.replace("<kpi_id>", kpi_id)


def kpi_embed(reader: WarehouseReader, settings: Settings) -> Blueprint:
    """The blueprint serving embeddable KPI charts from reader's snapshots."""
    licence = _licence(settings)
    assets = {"styles": [asset_url(name) for name in STYLES], "charts_js": asset_url("charts.js"),
              "plotly_src": "/" + PLOTLY_PATH}
    embed = Blueprint("kpi_embed", __name__, template_folder="templates")

    @embed.get(PATH)
    def kpi_chart(kpi_id: str) -> Response:
        # The KPI page's latest figure; its module registers itself with Dash when imported, which
        # only works once the Dash app exists (after this blueprint is made).
        from dashboards.public.kpi import latest_section

        pinned = request.args.get("snapshot") or None
        base = request.host_url.rstrip("/")
        page = {"city_name": settings.city_name, "site": site_name(settings.city_name),
                "list_url": f"{base}/kpi", **assets}
        try:
            with reader.cursor(pinned) as (snapshot, cursor):
                found = definition(cursor, kpi_id)
                points = series(cursor, kpi_id) if found else []
        except NoSnapshotError:
            return _page(page, 503, heading="No data yet",
                         problem="No data has been published yet.")
        except UnknownSnapshotError as exc:
            return _page(page, 404, heading="Data version not kept",
                         problem=f"The {exc}.")
        if found is None:
            return _page(page, 404, heading="KPI not found",
                         problem="There is no published measure at this address.")
        response = _page(
            page, 200, kpi=found, snapshot=snapshot, published=published(snapshot.published_at),
            kpi_url=f"{base}/kpi/{found.id}", licence=licence,
            latest=Markup(to_html(latest_section(found, points))),
            chart=Markup(to_html(series_chart(found, points))))
        if pinned:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
        else:
            response.cache_control.no_cache = True  # the figures change at each publish
        return response

    return embed


def _page(page: dict, status: int, **values) -> Response:
    response = make_response(render_template("kpi_embed.html", **page, **values), status)
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response


def _licence(settings: Settings) -> Licence | None:
    """The open data's licence as config/datasets.yaml states it; None if it cannot be read
    (the ETL reports why), so that no page states a licence the city did not choose."""
    try:
        catalogue = load_datasets(datasets_path(settings), missing_ok=True)
    except ConfigError as exc:
        log.error("embedded charts state no licence until datasets.yaml is fixed: %s", exc)
        return None
    return catalogue.licence if catalogue else PUBLIC_DOMAIN
