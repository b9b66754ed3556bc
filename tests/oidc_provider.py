"""A real OpenID Connect provider on 127.0.0.1 for the single sign-on tests.

It speaks the authorization code flow over HTTP like a city's provider (Keycloak, Entra ID,
Okta): a discovery document, /authorize (consent skipped: it sends the configured user straight
back with a code, or the configured error), /token (checks the code, the client's id and
secret, the redirect_uri and the PKCE S256 verifier, once) answering an ID token signed RS256
with a key made at start, and /jwks with that key's public half. A test can make it misbehave
as a broken or hostile provider would: sign with another key, send another nonce or audience,
issue an expired token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_ID = "test-key-1"


@dataclass
class Grant:
    """What /authorize promised, for /token to check."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    user: str


@dataclass
class Behaviour:
    """How the provider answers now; tests change it between flows."""

    user: str = "maria"  # preferred_username of whoever "signs in" at /authorize
    error: str | None = None  # e.g. "access_denied": /authorize sends this back instead
    forged: bool = False  # sign with a key that is not in /jwks (under the published kid)
    nonce: str | None = None  # put this nonce in the token instead of the one asked for
    audience: str | None = None  # put this aud in the token instead of the client id
    lifetime: int = 300  # seconds until the token expires (negative: expired already)


@dataclass
class Provider:
    """The running provider: its issuer address, its one client, and its behaviour."""

    client_id: str = "dashboard"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    behaviour: Behaviour = field(default_factory=Behaviour)
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": KEY_ID}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": KEY_ID}))
    grants: dict[str, Grant] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)  # why /authorize or /token said no

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """A redirect back to the client with a code (or the set error), or 400."""
        wrong = self._wrong_authorization(query)
        if wrong:
            self.refusals.append(wrong)
            return 400, {}, wrong
        back = {"state": query["state"]}
        if self.behaviour.error:
            back["error"] = self.behaviour.error
            back["error_description"] = "The user did not allow the sign-in."
        else:
            code = secrets.token_urlsafe(24)
            self.grants[code] = Grant(query["client_id"], query["redirect_uri"],
                                      query["code_challenge"], query["nonce"],
                                      self.behaviour.user)
            back["code"] = code
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}, ""

    def _wrong_authorization(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "unknown client"
        if query.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in query.get("scope", "").split():
            return "scope must include openid"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE with S256 is required"
        for name in ("redirect_uri", "state", "nonce"):
            if not query.get(name):
                return f"{name} is missing"
        return None

    def token(self, form: dict[str, str], authorization: str | None
              ) -> tuple[int, dict[str, Any]]:
        """The tokens for a valid code (used once), or an OAuth error."""
        client = _client_credentials(form, authorization)
        if client != (self.client_id, self.client_secret):
            self.refusals.append("wrong client credentials")
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        why = ("unknown or used code" if grant is None
               else "wrong grant_type" if form.get("grant_type") != "authorization_code"
               else "redirect_uri differs" if form.get("redirect_uri") != grant.redirect_uri
               else "PKCE verifier does not match"
               if challenge.rstrip(b"=").decode() != grant.challenge else None)
        if why:
            self.refusals.append(why)
            return 400, {"error": "invalid_grant", "error_description": why}
        access_token = secrets.token_urlsafe(24)
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                     "scope": "openid profile email", "id_token": self.id_token(grant)}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        chosen = self.behaviour
        claims = {"iss": self.issuer, "aud": chosen.audience or grant.client_id,
                  "sub": f"id-{grant.user}", "iat": now, "exp": now + chosen.lifetime,
                  "nonce": chosen.nonce or grant.nonce, "preferred_username": grant.user,
                  "email": f"{grant.user}@city.example"}
        key = self.other_key if chosen.forged else self.key
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, key)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


def _client_credentials(form: dict[str, str], authorization: str | None
                        ) -> tuple[str, str] | None:
    """(id, secret) from HTTP Basic (client_secret_basic) or the form (client_secret_post)."""
    if authorization and authorization.startswith("Basic "):
        try:
            name, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return None
        return unquote_plus(name), unquote_plus(secret)  # RFC 6749 2.3.1: form-encoded
    if "client_id" in form:
        return form["client_id"], form.get("client_secret", "")
    return None


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.discovery())
        elif parts.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif parts.path == "/authorize":
            status, headers, text = self.provider.authorize(dict(parse_qsl(parts.query)))
            self._send(status, text.encode(), "text/plain", headers)
        else:
            self._send(404, b"not here", "text/plain")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/token":
            self._send(404, b"not here", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        self._json(*self.provider.token(form, self.headers.get("Authorization")))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json",
                   {"Cache-Control": "no-store"})

    def _send(self, status: int, body: bytes, kind: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": kind, "Content-Length": str(len(body)),
                            **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows what a failing test needs


class ProviderServer:
    """The provider served on a free 127.0.0.1 port in a thread, until stop()."""

    def __init__(self, provider: Provider | None = None) -> None:
        self.provider = provider or Provider()
        handler = type("Handler", (_Handler,), {"provider": self.provider})
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.provider.issuer = f"http://127.0.0.1:{self._http.server_port}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def env(self) -> dict[str, str]:
        """The dashboard's settings for signing in through this provider."""
        return {"DASHBOARD_OIDC_ISSUER": self.issuer,
                "DASHBOARD_OIDC_CLIENT_ID": self.provider.client_id,
                "DASHBOARD_OIDC_CLIENT_SECRET": self.provider.client_secret,
                "DASHBOARD_OIDC_NAME": "City Login"}

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=10)
