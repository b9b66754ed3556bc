"""Checks of the addresses a user gives for their alerts: each returns why it is refused, or
None when it is fine."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[A-Za-z0-9-]{2,}$")
MAX_EMAIL, MAX_URL = 254, 2048
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # plain http is allowed only to this machine


def email_problem(address: str) -> str | None:
    if len(address) > MAX_EMAIL or not EMAIL.fullmatch(address):
        return f"{address[:80]!r} is not an e-mail address such as name@city.gov."
    return None


def webhook_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        return f"{url[:80]!r} is not a web address."
    if len(url) > MAX_URL or not host or parts.username or parts.password:
        return ("Give the full address of the webhook, such as https://hooks.example.com/x "
                "(without a user name or password in it).")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK):
        return None
    return ("The webhook address must start with https:// (plain http:// only to "
            "127.0.0.1 or localhost, for a receiver on this machine).")
