"""After an ETL run: one digest per subscriber, by each channel they set, each delivery
recorded in alert_deliveries and never made twice. Called by the pipeline once a run has
finished (etl/pipeline.py `run`); it logs its failures and never raises."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from alerts.addresses import webhook_problem
from alerts.audience import digests
from alerts.collect import collect
from alerts.digest import Digest, Run, compose
from alerts.mail import Mailer, MailError, message
from alerts.webhook import post
from appdb.db import utc
from appdb.runs import FAILED, PUBLISHED, RunLog
from appdb.subscriptions import (
    EMAIL,
    WEBHOOK,
    Subscriber,
    claim_delivery,
    finish_delivery,
    subscribers,
)
from config.settings import Settings

log = logging.getLogger(__name__)

RECENT_RUNS = 50  # enough to find this run and the finished one before it in the run log
NO_SMTP = "e-mail is not set up on this server (DASHBOARD_SMTP_HOST is empty)"
NO_SECRET = "webhooks are not set up on this server (DASHBOARD_WEBHOOK_SECRET is empty)"


def after_run(settings: Settings, run_id: str) -> None:
    """Send the alerts of a finished run (published or failed; dry runs send none)."""
    try:
        _after_run(settings, run_id)
    except Exception:
        # An alert that cannot go out must never fail the run or change what it published.
        log.exception("run=%s step=alerts failed", run_id)


def _after_run(settings: Settings, run_id: str) -> None:
    runs = RunLog(settings.database_url).recent(RECENT_RUNS)
    run = next((r for r in runs if r["run_id"] == run_id), None)
    listening = subscribers(settings.database_url)
    if run is None or run["status"] not in (PUBLISHED, FAILED) or not listening:
        return
    before = next((r for r in runs if r["run_id"] < run_id and r["finished_at"]
                   and r["status"] in (PUBLISHED, FAILED)), None)
    since = utc(datetime.fromisoformat(before["finished_at"])) if before else None
    found = collect(settings, run, since, datetime.now(UTC))
    chosen = digests(found.items, listening, found.owners)
    log.info("run=%s step=alerts items=%d recipients=%d", run_id, len(found.items), len(chosen))
    about = Run(run_id, run["snapshot_id"], utc(datetime.fromisoformat(run["finished_at"])))
    with Mailer(settings) as mailer:
        for subscriber, items in chosen:
            digest = compose(settings, about, subscriber.name, items)
            stored = [item.as_json() for item in items]
            address, url = subscriber.channels.email, subscriber.channels.webhook_url
            if address:
                _deliver(settings, run_id, subscriber, EMAIL, stored,
                         partial(_email, settings, mailer, address, digest))
            if url:
                _deliver(settings, run_id, subscriber, WEBHOOK, stored,
                         partial(_webhook, settings, url, digest))


def _deliver(settings: Settings, run_id: str, subscriber: Subscriber, channel: str,
             items: list[dict[str, Any]], send: Callable[[], str | None]) -> None:
    claimed = claim_delivery(settings.database_url, run_id, subscriber.user_id, channel, items)
    if claimed is None:
        log.info("run=%s step=alerts user=%s channel=%s already delivered", run_id,
                 subscriber.name, channel)
        return
    error = send()
    finish_delivery(settings.database_url, claimed, error)
    if error:
        log.warning("run=%s step=alerts user=%s channel=%s failed: %s", run_id,
                    subscriber.name, channel, error)
    else:
        log.info("run=%s step=alerts user=%s channel=%s sent items=%d", run_id,
                 subscriber.name, channel, len(items))


def _email(settings: Settings, mailer: Mailer, address: str, digest: Digest) -> str | None:
    if not settings.smtp_host:
        return NO_SMTP
    try:
        mailer.send(message(settings, address, digest))
    except MailError as exc:
        return str(exc)
    return None


def _webhook(settings: Settings, url: str, digest: Digest) -> str | None:
    if not settings.webhook_secret:
        return NO_SECRET
    return webhook_problem(url) or post(url, settings.webhook_secret, digest.payload)
