"""Alerts after ETL runs, end to end on real parts: real ETL runs over a copy of the sample city
whose service requests are edited so the on-time KPI turns red, a real SMTP server (aiosmtpd)
and a real HTTP receiver on 127.0.0.1, the real application database; and the "My alerts" page
on a real `python app.py`."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from alerts.addresses import email_problem, webhook_problem
from alerts.audience import digests
from alerts.deliver import after_run
from alerts.digest import line
from alerts.sources import late, readers
from alerts.webhook import SIGNATURE, TIMESTAMP, post
from appdb.accounts import add_user
from appdb.audit import events
from appdb.db import sessions
from appdb.models import AlertDelivery, User
from appdb.runs import RunLog
from appdb.subscriptions import (
    DEPARTMENT,
    KPI,
    Channels,
    replace_subscriptions,
    set_channels,
    subscribed,
    subscribers,
)
from appdb.subscriptions import channels as channels_of
from config.settings import load_settings
from etl.health import source_loads
from etl.sources_config import load_sources
from tests.browser import axe_violations, chromium_page
from tests.dash_client import find, table_rows, text
from tests.helpers import ServerProcess, Workspace, free_port, write_sources
from tests.internal_client import PASSWORD, fire, page, signed_in
from warehouse.reader import WarehouseReader

SECRET = "a-webhook-secret-for-the-tests-only"
PUBLIC = "https://dash.example"
KPI_ID, KPI_TITLE = "on_time_rate", "Requests closed on time"
SUBSCRIBERS = ("ann", "ben")  # subscribed to the on-time KPI
SAVE_KPIS = ["alerts-subscriptions-status.children"]
SAVE_CHANNELS = ["alerts-channels-status.children"]


# ---------------------------------------------------------------- real receivers


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 keeping every POST; /fail answers 500."""

    hooks: list[Hook] = field(default_factory=list)

    def __post_init__(self) -> None:
        hooks = self.hooks

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.append(Hook(self.path, dict(self.headers), body))
                self.send_response(500 if self.path == "/fail" else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verified(hook: Hook, secret: str = SECRET) -> bool:
    """Whether the hook's signature is the HMAC-SHA256 of "timestamp." + body, as
    docs/alerts.md tells a receiver to check it."""
    signed = hook.headers[TIMESTAMP].encode() + b"." + hook.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(hook.headers[SIGNATURE], expected)


# ---------------------------------------------------------------- the city's data, edited


def with_due_dates(original: str, late: bool) -> str:
    """The service requests with those closed in the data's last month all made late (due
    when opened) or all on time (due when closed): the on-time KPI's latest month then reads
    about 0% (red) or 100% (green)."""
    rows = list(csv.reader(io.StringIO(original)))
    header = rows[0]
    opened, closed, due = (header.index(c) for c in ("opened", "closed", "due"))
    # The newest requests are written with ISO dates (the old CRM's are US-style).
    whole = [r for r in rows[1:] if len(r) == len(header)]  # a few rows are broken on purpose
    month = max(r[closed][:7] for r in whole if r[closed][:4].isdigit())
    for row in whole:
        if row[closed].startswith(month):
            row[due] = row[opened] if late else row[closed]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# ---------------------------------------------------------------- the story


@dataclass
class Step:
    run_id: str
    exit_code: int
    mails: list[tuple[list[str], EmailMessage]]  # received during the step
    hooks: list[Hook]


@dataclass
class Story:
    workspace: Workspace
    env: dict[str, str]
    steps: dict[str, Step]
    resent: tuple[int, int]  # mails and hooks received when run "red" was alerted again


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, small_sample: Path) -> Iterator[Story]:
    """Users, subscriptions and channels, then ETL runs one after the other:
    baseline (all on time: green), red (all late), same (no change), broken (a source that
    cannot be read), green again, red again with the mail server down."""
    root = tmp_path_factory.mktemp("alerts")
    sample = root / "sample"
    shutil.copytree(small_sample, sample)  # edited below: never the session's shared files
    write_sources(root / "config", sample)
    workspace = Workspace(root=root, sample_dir=sample)
    (root / "data").mkdir()
    mailbox, receiver = Mailbox(), Receiver()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"DASHBOARD_SMTP_HOST": "127.0.0.1", "DASHBOARD_SMTP_PORT": str(smtp.port),
           "DASHBOARD_SMTP_STARTTLS": "false", "DASHBOARD_SMTP_FROM": "alerts@dash.example",
           "DASHBOARD_WEBHOOK_SECRET": SECRET, "DASHBOARD_PUBLIC_URL": PUBLIC}
    database = workspace.settings.database_url
    users = {
        "ann": ("viewer", (), {KPI: [KPI_ID]}),
        # A manager of Public Works, also (by hand, in the database) subscribed to a department
        # that is not theirs: that one is ignored.
        "ben": ("manager", ("Public Works",),
                {KPI: [KPI_ID], DEPARTMENT: ["Public Works", "Parks & Recreation"]}),
        "carl": ("viewer", (), {KPI: ["webinar_attendance"]}),  # unrelated
        "dora": ("viewer", (), {KPI: [KPI_ID]}),  # made inactive below
        "ada": ("admin", (), {}),
    }
    for name, (role, departments, chosen) in users.items():
        account = add_user(database, name, PASSWORD, role, departments)
        for kind, keys in chosen.items():
            replace_subscriptions(database, account.id, kind, keys)
        set_channels(database, account.id,
                     Channels(f"{name}@city.example", f"{receiver.url}/hook/{name}"))
    with sessions(database).begin() as session:
        session.execute(update(User).where(User.name == "dora").values(active=False))

    requests_csv = sample / "service_requests.csv"
    original = requests_csv.read_text(encoding="utf-8")
    steps: dict[str, Step] = {}

    def step(name: str, data: str, **extra: str) -> None:
        requests_csv.write_text(data, encoding="utf-8")
        mails, hooks = len(mailbox.messages), len(receiver.hooks)
        result = workspace.etl("run", check=False, **(env | extra))
        run_id = RunLog(database).recent(1)[0]["run_id"]
        steps[name] = Step(run_id, result.returncode, mailbox.messages[mails:],
                           receiver.hooks[hooks:])

    try:
        step("baseline", with_due_dates(original, late=False))
        step("red", with_due_dates(original, late=True))
        mails, hooks = len(mailbox.messages), len(receiver.hooks)
        after_run(load_settings(workspace.env | env), steps["red"].run_id)
        resent = (len(mailbox.messages) - mails, len(receiver.hooks) - hooks)
        step("same", with_due_dates(original, late=True))
        step("broken", "case_id,note\nSR-1,not the city's export\n")
        step("green", with_due_dates(original, late=False))
        step("red, mail down", with_due_dates(original, late=True),
             DASHBOARD_SMTP_PORT=str(free_port()))
        yield Story(workspace, env, steps, resent)
    finally:
        smtp.stop()
        receiver.stop()


def by_user(step: Step) -> tuple[dict[str, EmailMessage], dict[str, Hook]]:
    mails = {to.split("@")[0]: message for tos, message in step.mails for to in tos}
    hooks = {hook.path.rsplit("/", 1)[1]: hook for hook in step.hooks}
    return mails, hooks


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_first_publish_is_the_baseline_and_sends_nothing(story):
    baseline = story.steps["baseline"]
    assert baseline.exit_code == 0
    assert (baseline.mails, baseline.hooks) == ([], [])


def test_a_kpi_turned_red_sends_one_email_and_one_signed_webhook_per_subscriber(story):
    red = story.steps["red"]
    assert red.exit_code == 0
    assert sorted(to for tos, _ in red.mails for to in tos) == \
        ["ann@city.example", "ben@city.example"]
    assert sorted(hook.path for hook in red.hooks) == ["/hook/ann", "/hook/ben"]
    for hook in red.hooks:
        assert verified(hook)
        assert not verified(hook, "another secret")
        assert not verified(Hook(hook.path, hook.headers, hook.body.replace(b"red", b"rot")))
        assert hook.headers["Content-Type"] == "application/json"


def test_the_digest_names_the_kpi_with_its_old_and_new_status(story):
    red = story.steps["red"]
    mails, hooks = by_user(red)
    ann = mails["ann"]
    assert ann["Subject"].startswith("[Millbrook] 1 alert after the ")
    assert ann["From"] == "alerts@dash.example"
    body = plain(ann)
    assert f"{KPI_TITLE}: On target → Off target." in body
    assert "against a target of 90.0%" in body
    assert f"{PUBLIC}/internal/targets?kpi={KPI_ID}" in body
    assert f"{PUBLIC}/internal/alerts" in body
    assert KPI_TITLE in ann.get_body(("html",)).get_content()
    payload = hooks["ann"].json()
    assert set(payload) == {"run_id", "snapshot_id", "user", "items"}
    assert (payload["run_id"], payload["snapshot_id"], payload["user"]) == \
        (red.run_id, red.run_id, "ann")
    (item,) = payload["items"]
    assert (item["kind"], item["kpi_id"], item["title"], item["department"]) == \
        ("kpi_worse", KPI_ID, KPI_TITLE, None)
    assert (item["before"], item["after"], item["target"]) == ("green", "red", 0.9)
    assert item["value"] < 0.85
    assert item["text"] in body


def test_a_manager_hears_of_their_own_department_but_not_of_others(story):
    mails, hooks = by_user(story.steps["red"])
    items = hooks["ben"].json()["items"]
    assert [(i["kpi_id"], i["department"]) for i in items] == \
        [(KPI_ID, None), (KPI_ID, "Public Works")]
    assert mails["ben"]["Subject"].startswith("[Millbrook] 2 alerts after the ")
    assert f"{KPI_TITLE}, Public Works: On target → Off target." in plain(mails["ben"])
    assert f"{PUBLIC}/internal/department/Public%20Works" in plain(mails["ben"])


def test_unrelated_and_inactive_users_hear_nothing(story):
    for step in story.steps.values():
        mails, hooks = by_user(step)
        assert not {"carl", "dora", "ada"} & (set(mails) | set(hooks))


def test_a_run_is_never_alerted_twice(story):
    assert story.resent == (0, 0)
    with sessions(story.workspace.settings.database_url)() as session:
        rows = session.execute(select(AlertDelivery.user_id, AlertDelivery.channel).where(
            AlertDelivery.run_id == story.steps["red"].run_id)).all()
    assert len(rows) == len(set(rows)) == 4


def test_a_run_that_changes_nothing_sends_nothing(story):
    same = story.steps["same"]
    assert same.exit_code == 0
    assert (same.mails, same.hooks) == ([], [])


def test_a_failed_run_sends_each_subscriber_a_source_failure_digest(story):
    broken = story.steps["broken"]
    assert broken.exit_code == 1
    mails, hooks = by_user(broken)
    assert sorted(mails) == sorted(hooks) == sorted(SUBSCRIBERS)
    for name in SUBSCRIBERS:
        assert "data load failed" in mails[name]["Subject"]
        assert "Source service_requests failed to load: source 'service_requests': missing " \
               "column(s)" in plain(mails[name])
        assert "Nothing was published" in plain(mails[name])
        payload = hooks[name].json()
        assert verified(hooks[name])
        assert payload["snapshot_id"] is None
        (item,) = payload["items"]
        assert (item["kind"], item["source"]) == ("source_failed", "service_requests")
        assert KPI_ID in item["kpis"]


def test_a_kpi_getting_better_sends_nothing(story):
    green = story.steps["green"]
    assert green.exit_code == 0
    assert (green.mails, green.hooks) == ([], [])


def test_a_delivery_that_fails_is_recorded_and_the_run_still_publishes(story):
    down = story.steps["red, mail down"]
    assert down.exit_code == 0
    assert down.mails == []
    assert sorted(hook.path for hook in down.hooks) == ["/hook/ann", "/hook/ben"]
    with sessions(story.workspace.settings.database_url)() as session:
        rows = session.execute(select(AlertDelivery.channel, AlertDelivery.ok,
                                      AlertDelivery.error, AlertDelivery.items).where(
            AlertDelivery.run_id == down.run_id)).all()
    assert sorted((channel, ok) for channel, ok, _, _ in rows) == \
        [("email", False), ("email", False), ("webhook", True), ("webhook", True)]
    for _, ok, error, items in rows:
        assert ok or "cannot send through 127.0.0.1:" in error
        assert items[0]["kpi_id"] == KPI_ID


def test_a_source_gone_late_is_told_once_to_those_hearing_of_its_kpis(story):
    settings = story.workspace.settings
    sources = load_sources(settings.sources_file)
    reader = WarehouseReader(settings.warehouse_dir)
    try:
        with reader.cursor() as (_, cursor):
            loaded = source_loads(cursor)["service_requests"].at
            two_days_on = loaded + timedelta(days=2)  # two nightly loads missed
            read_by = readers(cursor)
            first = late(settings.sources_file, sources, cursor, read_by, two_days_on, loaded)
            again = late(settings.sources_file, sources, cursor, read_by, two_days_on,
                         two_days_on - timedelta(minutes=1))
            on_time = late(settings.sources_file, sources, cursor, read_by,
                           loaded + timedelta(hours=1), loaded)
    finally:
        reader.close()
    item = next(i for i in first if i.source == "service_requests")
    assert KPI_ID in item.kpis
    assert line(item).startswith("Source service_requests is late: it last loaded ")
    assert (again, on_time) == ([], [])
    listening = {s.name: s for s in subscribers(settings.database_url)}
    assert [s.name for s, _ in digests([item], list(listening.values()), {})] == \
        sorted(SUBSCRIBERS)


def test_a_webhook_is_tried_twice_and_its_failure_returned_not_raised():
    receiver = Receiver()
    try:
        error = post(receiver.url + "/fail", SECRET, {"items": []})
    finally:
        receiver.stop()
    assert error == "the receiver answered 500 Internal Server Error"
    assert [hook.path for hook in receiver.hooks] == ["/fail", "/fail"]
    assert all(verified(hook) for hook in receiver.hooks)


@pytest.mark.parametrize(("address", "refused"), [
    ("ann@city.gov", False), ("a.b+alerts@x.example.org", False),
    ("ann", True), ("ann@city", True), ("ann@@city.gov", True), ("a b@city.gov", True),
    ("ann@city.gov, eve@evil.example", True),
])
def test_an_email_address_is_checked(address, refused):
    assert (email_problem(address) is not None) == refused


@pytest.mark.parametrize(("url", "words"), [
    ("https://hooks.example.com/alerts", None),
    ("http://127.0.0.1:9000/hook", None),
    ("http://localhost/hook", None),
    ("http://hooks.example.com/alerts", "must start with https://"),
    ("ftp://hooks.example.com/", "must start with https://"),
    ("https://user:pw@hooks.example.com/", "without a user name or password"),
    ("hooks.example.com", "Give the full address"),
    ("https://hooks.example.com:99999/", "is not a web address"),
])
def test_a_webhook_address_is_checked(url, words):
    problem = webhook_problem(url)
    assert (problem is None) if words is None else (words in problem)


# ---------------------------------------------------------------- the "My alerts" page


@pytest.fixture(scope="module")
def site(story: Story) -> Iterator[ServerProcess]:
    server = ServerProcess([sys.executable, "app.py"], story.workspace.env | story.env,
                           free_port())
    yield server
    server.stop()


def test_the_page_offers_every_kpi_and_shows_the_alerts_sent(story, site):
    ann = signed_in(site, "ann")
    shown = page(ann, site, "/internal/alerts")
    kpis = find(shown, "alerts-kpis")["props"]
    assert len(kpis["options"]) == 24  # every KPI of the catalogue, the internal ones too
    assert sum(o["label"].endswith(" (internal)") for o in kpis["options"]) == 2
    assert kpis["value"] == [KPI_ID]
    assert find(shown, "alerts-email")["props"]["value"] == "ann@city.example"
    sent = table_rows(find(shown, "alerts-deliveries"))
    runs = {row[2] for row in sent}
    assert {story.steps["red"].run_id, story.steps["broken"].run_id} <= runs
    assert ["Webhook", story.steps["red"].run_id, "1", "Sent"] in [row[1:] for row in sent]
    assert find(shown, "alerts-overview") is None  # for admins only
    ada = page(signed_in(site, "ada"), site, "/internal/alerts")
    assert ["ann", "1", "0", "Yes", "Yes"] in table_rows(find(ada, "alerts-overview"))


def test_subscribing_on_the_page_is_saved_and_audited(story, site):
    database = story.workspace.settings.database_url
    ann = signed_in(site, "ann")
    answer = fire(ann, site, SAVE_KPIS, {"alerts-save-subscriptions.n_clicks": 1},
                  {"alerts-kpis.value": [KPI_ID, "backlog_age"],
                   "alerts-departments.value": ["Housing"]})
    assert answer.status_code == 200, answer.text[:300]
    assert "Saved: you hear about 2 KPIs and 1 department." in \
        text(answer.json()["response"]["alerts-subscriptions-status"]["children"])
    ann_id = _user_id(database, "ann")
    assert subscribed(database, ann_id) == {KPI: ["backlog_age", KPI_ID],
                                            DEPARTMENT: ["Housing"]}
    _, _, actor, detail = next(e for e in events(database) if e[0] == "alerts_changed")
    assert (actor, detail["kpis_added"], detail["departments_added"]) == \
        ("ann", ["backlog_age"], ["Housing"])
    unknown = fire(ann, site, SAVE_KPIS, {"alerts-save-subscriptions.n_clicks": 2},
                   {"alerts-kpis.value": ["no_such_kpi"], "alerts-departments.value": []})
    assert "Not saved: there is no KPI or department no_such_kpi." in \
        text(unknown.json()["response"]["alerts-subscriptions-status"]["children"])
    assert subscribed(database, ann_id)[KPI] == ["backlog_age", KPI_ID]


def test_the_channels_are_checked_then_saved(story, site):
    database = story.workspace.settings.database_url
    carl = signed_in(site, "carl")

    def save(email: str, webhook: str) -> str:
        answer = fire(carl, site, SAVE_CHANNELS, {"alerts-save-channels.n_clicks": 1},
                      {"alerts-email.value": email, "alerts-webhook.value": webhook})
        assert answer.status_code == 200, answer.text[:300]
        return text(answer.json()["response"]["alerts-channels-status"]["children"])

    before = channels_of(database, _user_id(database, "carl"))
    said = save("carl at city", "http://hooks.example.com/x")
    assert "Not saved: 'carl at city' is not an e-mail address" in said
    assert "must start with https://" in said
    assert channels_of(database, _user_id(database, "carl")) == before
    assert save(" carl@city.gov ", "https://hooks.example.com/carl?token=s3cret") == \
        "Saved: your alerts go by e-mail and webhook."
    assert channels_of(database, _user_id(database, "carl")) == \
        Channels("carl@city.gov", "https://hooks.example.com/carl?token=s3cret")
    assert save("", "") == "Saved: you get no alerts until you give an address."
    assert channels_of(database, _user_id(database, "carl")) == Channels()
    logged = [e[3] for e in events(database) if e[0] == "alerts_changed" and e[2] == "carl"]
    assert {"email": "carl@city.gov", "webhook_host": "hooks.example.com"} in logged
    assert "s3cret" not in json.dumps(logged)


def test_a_manager_posting_another_department_by_hand_is_refused(story, site):
    database = story.workspace.settings.database_url
    ben = signed_in(site, "ben")
    shown = page(ben, site, "/internal/alerts")
    assert [o["value"] for o in find(shown, "alerts-departments")["props"]["options"]] == \
        ["Public Works"]
    refused = fire(ben, site, SAVE_KPIS, {"alerts-save-subscriptions.n_clicks": 1},
                   {"alerts-kpis.value": [KPI_ID],
                    "alerts-departments.value": ["Public Works", "Parks & Recreation"]})
    assert refused.status_code == 403
    assert "Parks & Recreation" in refused.json()["error"]
    allowed = fire(ben, site, SAVE_KPIS, {"alerts-save-subscriptions.n_clicks": 2},
                   {"alerts-kpis.value": [KPI_ID], "alerts-departments.value": ["Public Works"]})
    assert allowed.status_code == 200
    assert subscribed(database, _user_id(database, "ben"))[DEPARTMENT] == ["Public Works"]


@pytest.mark.parametrize("width", [375, 1200])
def test_the_page_is_accessible_and_fits_a_phone(site, width):
    with chromium_page(width=width) as browser:
        browser.goto(f"{site.url}/login?next=/internal/alerts")
        browser.fill("#login-name", "ada")
        browser.fill("#login-password", PASSWORD)
        browser.press("#login-password", "Enter")
        browser.wait_for_selector("#alerts-kpis")
        assert browser.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(browser) == []


def _user_id(database: str, name: str) -> int:
    with sessions(database)() as session:
        return session.scalar(select(User.id).where(User.name == name))
