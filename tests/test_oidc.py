"""Single sign-on through an OpenID Connect provider, over a real provider (tests/oidc_provider.py)
and a real `python app.py`: the whole redirect dance signs in the local user, every broken,
forged or replayed sign-in is refused with a sentence and audited, the settings are checked,
and the button shows only when single sign-on is configured."""

from __future__ import annotations

import base64
import hashlib
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from appdb.accounts import change_user, users
from appdb.audit import events
from config.settings import SettingsError, load_settings
from tests.browser import axe_violations, chromium_page
from tests.helpers import ServerProcess, Workspace, free_port, published_site
from tests.internal_client import add_user
from tests.oidc_provider import Behaviour, ProviderServer

CALLBACK = "/login/oidc/callback"


@dataclass
class Sites:
    workspace: Workspace
    plain: ServerProcess  # no single sign-on configured
    server: ServerProcess  # signing in through `provider`
    provider: ProviderServer

    def sso_env(self, **extra: str) -> dict[str, str]:
        return {**self.workspace.env, **self.provider.env(), **extra}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, small_sample: Path) -> Iterator[Sites]:
    """A published site with a manager of Public Works, a viewer, an inactive viewer and an
    admin; served once as it is and once signing in through a test provider."""
    provider = ProviderServer()
    root = tmp_path_factory.mktemp("oidc")
    try:
        with published_site(root, small_sample) as (workspace, plain):
            for args in (("maria", "--role", "manager", "--department", "Public Works"),
                         ("vic", "--role", "viewer"), ("ina", "--role", "viewer"),
                         ("ada", "--role", "admin"), ("vic@city.example", "--role", "viewer")):
                assert add_user(workspace, *args).returncode == 0
            database = workspace.settings.database_url
            everyone = {u.account.name: u.account for u in users(database)}
            change_user(database, everyone["ina"].id, "viewer", (), False, by=everyone["ada"])
            env = {**workspace.env, **provider.env(),
                   "DASHBOARD_LOGIN_RATE_LIMIT": "100 per minute"}
            server = ServerProcess([sys.executable, "app.py"], env, free_port())
            try:
                yield Sites(workspace, plain, server, provider)
            finally:
                server.stop()
    finally:
        provider.stop()


@pytest.fixture(autouse=True)
def fresh_behaviour(sites: Sites) -> None:
    """Each test starts with a provider that behaves and has refused nothing."""
    sites.provider.provider.behaviour = Behaviour()
    sites.provider.provider.refusals.clear()


def dance(sites: Sites, user: str = "maria", next_page: str = "/internal/scorecard"
          ) -> tuple[requests.Session, requests.Response]:
    """A browser following the whole sign-in: the site, the provider, and back."""
    sites.provider.provider.behaviour.user = user
    browser = requests.Session()
    answer = browser.get(f"{sites.server.url}/login/oidc?next={quote(next_page, safe='')}",
                         timeout=30)
    return browser, answer


def past_the_guard(browser: requests.Session, sites: Sites) -> bool:
    """Whether the session may read the internal app (401 without one)."""
    status = browser.get(f"{sites.server.url}/internal/_dash-layout", timeout=30).status_code
    assert status in (200, 401)
    return status == 200


def last_event(sites: Sites) -> tuple[str, str | None, dict]:
    action, _, actor, detail = events(sites.workspace.settings.database_url, limit=1)[0]
    return action, actor, detail


def test_the_whole_dance_signs_in_the_local_user_and_returns_to_the_page(sites):
    browser, answer = dance(sites, "maria")
    assert [r.status_code for r in answer.history] == [302, 302, 303]
    assert answer.status_code == 200
    assert answer.url == f"{sites.server.url}/internal/scorecard"
    asked = parse_qs(urlsplit(answer.history[0].headers["Location"]).query)
    assert asked["redirect_uri"] == [sites.server.url + CALLBACK]
    assert asked["response_type"] == ["code"] and asked["code_challenge_method"] == ["S256"]
    assert "openid" in asked["scope"][0].split()
    assert asked["state"][0] and asked["nonce"][0] and asked["code_challenge"][0]
    # The provider checked the code, the client secret, the redirect_uri and the verifier.
    assert sites.provider.provider.refusals == []
    assert past_the_guard(browser, sites)
    assert last_event(sites) == ("login", "maria", {"via": "oidc"})


@pytest.mark.parametrize(("user", "reason"), [("nobody", "no such user"),
                                              ("ina", "user is inactive")])
def test_someone_without_an_active_local_user_is_refused_with_the_reason(sites, user, reason):
    browser, answer = dance(sites, user)
    assert answer.status_code == 401
    assert (f"You signed in at City Login as {user}, but there is no active account of that "
            "name here. Ask an administrator to add you.") in answer.text
    assert 'id="login-name"' in answer.text  # the form, to sign in otherwise
    assert not past_the_guard(browser, sites)
    assert last_event(sites) == ("login_failed", user, {"via": "oidc", "reason": reason})


@pytest.mark.parametrize(("change", "reason"), [
    ({"forged": True}, "invalid ID token: bad_signature"),
    ({"nonce": "not-the-one-asked-for"}, "invalid ID token: invalid_claim: Invalid claim: "
                                         "'nonce'"),
    ({"audience": "another-client"}, "invalid ID token: invalid_claim: Invalid claim: 'aud'"),
    ({"lifetime": -600}, "invalid ID token: expired_token: The token is expired"),
])
def test_an_id_token_that_does_not_check_out_is_refused(sites, change, reason):
    for name, value in change.items():
        setattr(sites.provider.provider.behaviour, name, value)
    browser, answer = dance(sites, "maria")
    assert answer.status_code == 401
    assert "The sign-in at City Login could not be checked, so it was refused." in answer.text
    assert "Traceback" not in answer.text
    assert not past_the_guard(browser, sites)
    assert last_event(sites) == ("login_failed", None, {"via": "oidc", "reason": reason})


def test_a_callback_from_another_browser_or_used_twice_is_refused(sites):
    browser = requests.Session()
    to_provider = browser.get(f"{sites.server.url}/login/oidc", timeout=30,
                              allow_redirects=False)
    back = browser.get(to_provider.headers["Location"], timeout=30, allow_redirects=False)
    callback = back.headers["Location"]
    assert callback.startswith(sites.server.url + CALLBACK + "?")
    # An attacker holding the address, in a browser that did not start this sign-in:
    planted = requests.get(callback, timeout=30, allow_redirects=False)
    assert planted.status_code == 400
    assert "That sign-in had expired or was already used. Please start again." in planted.text
    assert last_event(sites) == ("login_failed", None,
                                 {"via": "oidc", "reason": "unknown or used state"})
    first = browser.get(callback, timeout=30, allow_redirects=False)
    assert first.status_code == 303 and first.headers["Location"] == "/internal/"
    again = browser.get(callback, timeout=30, allow_redirects=False)
    assert again.status_code == 400
    assert "already used" in again.text


def test_a_refusal_at_the_provider_is_shown_politely(sites):
    sites.provider.provider.behaviour.error = "access_denied"
    browser, answer = dance(sites, "maria")
    assert answer.status_code == 401
    assert "The sign-in at City Login was cancelled or refused (access_denied)." in answer.text
    assert "Traceback" not in answer.text
    assert not past_the_guard(browser, sites)
    assert last_event(sites) == ("login_failed", None,
                                 {"via": "oidc", "reason": "provider: access_denied"})


def test_a_sentence_planted_in_the_error_is_not_shown(sites):
    planted = "Your account is locked, call 555-0100"
    answer = requests.get(f"{sites.server.url}{CALLBACK}", params={"error": planted},
                          timeout=30)
    assert answer.status_code == 401
    assert "was cancelled or refused (unknown error)." in answer.text
    assert "555-0100" not in answer.text


def test_the_button_shows_only_when_single_sign_on_is_configured(sites):
    form = requests.get(f"{sites.server.url}/login?next=/internal/scorecard", timeout=30).text
    assert 'href="/login/oidc?next=/internal/scorecard"' in form
    assert ">Sign in with City Login</a>" in form
    plain = requests.get(f"{sites.plain.url}/login", timeout=30).text
    assert "login-oidc" not in plain and "Sign in with" not in plain
    for path in ("/login/oidc", CALLBACK + "?code=x&state=y"):
        assert requests.get(sites.plain.url + path, timeout=30,
                            allow_redirects=False).status_code == 404


def test_another_site_is_never_where_single_sign_on_leads(sites):
    _, answer = dance(sites, "vic", next_page="//evil.example/x")
    assert answer.url == f"{sites.server.url}/internal/"


def test_the_username_claim_and_the_rate_limit_follow_the_settings(sites):
    strict = ServerProcess([sys.executable, "app.py"], sites.sso_env(
        DASHBOARD_OIDC_USERNAME_CLAIM="email", DASHBOARD_LOGIN_RATE_LIMIT="2 per minute"),
        free_port())
    try:
        sites.provider.provider.behaviour.user = "vic"
        browser = requests.Session()
        answer = browser.get(f"{strict.url}/login/oidc", timeout=30)  # 1st of 2 allowed
        assert answer.url == f"{strict.url}/internal/"
        assert last_event(sites) == ("login", "vic@city.example", {"via": "oidc"})
        starts = [requests.get(f"{strict.url}/login/oidc", timeout=30, allow_redirects=False)
                  for _ in range(2)]
    finally:
        strict.stop()
    assert [s.status_code for s in starts] == [302, 429]
    assert "Too many attempts from this address" in starts[1].text


@pytest.mark.parametrize(("env", "words"), [
    ({"DASHBOARD_OIDC_ISSUER": "http://login.example.gov"},
     "DASHBOARD_OIDC_ISSUER='http://login.example.gov' is not valid: must be an https:// "
     "address"),
    ({"DASHBOARD_OIDC_ISSUER": "login.example.gov"}, "must be an https:// address"),
    ({"DASHBOARD_OIDC_ISSUER": "https://login.example.gov"},
     "DASHBOARD_OIDC_ISSUER is set, so DASHBOARD_OIDC_CLIENT_ID and "
     "DASHBOARD_OIDC_CLIENT_SECRET must be set too"),
    ({"DASHBOARD_OIDC_ISSUER": "https://login.example.gov", "DASHBOARD_OIDC_CLIENT_ID": "dash"},
     "so DASHBOARD_OIDC_CLIENT_SECRET must be set too"),
    ({"DASHBOARD_OIDC_USERNAME_CLAIM": "user name"}, "must be a claim name"),
])
def test_single_sign_on_settings_are_checked(env, words):
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert words in str(error.value)


def test_single_sign_on_settings_keep_the_secret_out_of_sight():
    assert load_settings({}).oidc_issuer == ""  # off unless configured
    chosen = load_settings({"DASHBOARD_OIDC_ISSUER": "https://login.example.gov/realms/city/",
                            "DASHBOARD_OIDC_CLIENT_ID": "dash",
                            "DASHBOARD_OIDC_CLIENT_SECRET": "hunter2-oidc"})
    assert chosen.oidc_issuer == "https://login.example.gov/realms/city/"  # as tokens name it
    assert (chosen.oidc_name, chosen.oidc_username_claim) == ("single sign-on",
                                                              "preferred_username")
    assert "hunter2" not in repr(chosen)
    assert load_settings({"DASHBOARD_OIDC_ISSUER": "http://127.0.0.1:5556", "DASHBOARD_OIDC_"
                          "CLIENT_ID": "d", "DASHBOARD_OIDC_CLIENT_SECRET": "s"}).oidc_issuer


@pytest.mark.parametrize("fault", ["verifier", "secret", "redirect_uri", "reused"])
def test_the_test_provider_refuses_what_a_real_one_would(sites, fault):
    """So the dance above passing means the site sent the right verifier, secret and address."""
    provider = sites.provider.provider
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = "http://127.0.0.1:1/cb"
    authorized = requests.get(f"{provider.issuer}/authorize", timeout=30, allow_redirects=False,
                              params={"client_id": provider.client_id, "response_type": "code",
                                      "scope": "openid", "redirect_uri": redirect_uri,
                                      "state": "s", "nonce": "n", "code_challenge_method": "S256",
                                      "code_challenge": challenge.rstrip(b"=").decode()})
    code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    secret = provider.client_secret
    if fault == "reused":
        assert requests.post(f"{provider.issuer}/token", data=form, timeout=30,
                             auth=(provider.client_id, secret)).status_code == 200
    else:
        form |= {"code_verifier": "x" * 48} if fault == "verifier" else {}
        form |= {"redirect_uri": "http://127.0.0.1:2/cb"} if fault == "redirect_uri" else {}
        secret = "wrong" if fault == "secret" else secret
    answer = requests.post(f"{provider.issuer}/token", data=form, timeout=30,
                           auth=(provider.client_id, secret))
    assert answer.status_code in (400, 401)
    assert "id_token" not in answer.json()


@pytest.mark.browser
def test_a_click_on_the_button_signs_in_in_chromium(sites):
    sites.provider.provider.behaviour.user = "vic"
    with chromium_page(width=375) as page:
        page.goto(f"{sites.server.url}/internal/")
        assert page.evaluate("location.pathname") == "/login"
        assert axe_violations(page) == []
        page.get_by_role("link", name="Sign in with City Login").click()
        page.wait_for_url(f"{sites.server.url}/internal/")
    assert last_event(sites) == ("login", "vic", {"via": "oidc"})
