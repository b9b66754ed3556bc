"""One user's digest of a run: its subject, a plain-text and a simple HTML body for e-mail, and
the JSON body of the webhook. One line an item, in the words the pages use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from alerts.items import KPI_WORSE, RUN_FAILED, SOURCE_FAILED, SOURCE_LATE, Item
from config.settings import Settings
from dashboards.access import department_path
from dashboards.components.formatting import kpi_value, published, status_word

HEADINGS = ((KPI_WORSE, "KPIs that got worse"), (SOURCE_FAILED, "Sources that failed"),
            (SOURCE_LATE, "Sources that are late"), (RUN_FAILED, "The data load"))
NOTHING_PUBLISHED = "Nothing was published: the pages still show the data loaded before."


@dataclass(frozen=True)
class Run:
    """The run a digest is about."""

    run_id: str
    snapshot_id: str | None  # None: the run failed
    finished_at: datetime


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    payload: dict[str, Any]  # the webhook's body


def compose(settings: Settings, run: Run, user: str, items: list[Item]) -> Digest:
    """The digest of these items for one user."""
    finished = run.finished_at.astimezone(UTC)
    when = f"{finished.day} {finished:%b %H:%M} UTC"
    count = f"{len(items)} alert{'' if len(items) == 1 else 's'}"
    subject = (f"[{settings.city_name}] {count} after the {when} publish" if run.snapshot_id
               else f"[{settings.city_name}] {count}: the {when} data load failed")
    intro = (f"After the {when} publish (data version {run.snapshot_id}), "
             if run.snapshot_id else f"The {when} data load failed. ")
    intro += f"{'this needs' if len(items) == 1 else 'these need'} your attention:"
    footer = "You get this because you subscribed on the My alerts page: " + \
        (_link(settings, "/internal/alerts") or "/internal/alerts in the internal pages") + \
        ". Change what you hear about there."
    groups = [(heading, [i for i in items if i.kind == kind]) for kind, heading in HEADINGS]
    groups = [(heading, chosen) for heading, chosen in groups if chosen]
    text = [f"Hello {user},", "", intro]
    html = [f"<p>Hello {escape(user)},</p>", f"<p>{escape(intro)}</p>"]
    for heading, chosen in groups:
        text += ["", heading]
        html += [f"<h2>{escape(heading)}</h2>", "<ul>"]
        for item in chosen:
            link = link_for(settings, item)
            text.append(f"- {line(item)}" + (f"\n  {link}" if link else ""))
            html.append(f"<li>{escape(line(item))}" + (
                f' <a href="{escape(link)}">Open</a>' if link else "") + "</li>")
        html.append("</ul>")
    text += ["", footer, ""]
    html.append(f"<p>{escape(footer)}</p>")
    payload = {"run_id": run.run_id, "snapshot_id": run.snapshot_id, "user": user,
               "items": [item.as_json() | {"text": line(item), "link": link_for(settings, item)}
                         for item in items]}
    return Digest(subject, "\n".join(text), "\n".join(html), payload)


def line(item: Item) -> str:
    """One item in words."""
    if item.kind == KPI_WORSE:
        where = f"{item.title}, {item.department}" if item.department else item.title
        before = status_word(item.before) if item.before else "No value"
        value = kpi_value(item.value, item.unit or "count", item.decimals or 0)
        target = kpi_value(item.target, item.unit or "count", item.decimals or 0)
        return (f"{where}: {before} → {status_word(item.after)}. {value} in {item.period}, "
                f"against a target of {target}.")
    if item.kind == SOURCE_FAILED:
        return f"Source {item.title} failed to load: {item.error} {NOTHING_PUBLISHED}"
    if item.kind == SOURCE_LATE:
        return (f"Source {item.title} is late: it last loaded {published(item.last_loaded)} "
                f"and was due to load again at {published(item.due_by)}.")
    return f"The data load failed: {item.error} {NOTHING_PUBLISHED}"


def link_for(settings: Settings, item: Item) -> str | None:
    """Where the item is seen in the internal pages, when DASHBOARD_PUBLIC_URL is set."""
    if item.kind == KPI_WORSE:
        path = (department_path(item.department) if item.department
                else f"/internal/targets?kpi={quote(item.kpi_id or '')}")
    else:
        path = "/internal/pipeline"
    return _link(settings, path)


def _link(settings: Settings, path: str) -> str | None:
    return settings.public_url + path if settings.public_url else None

