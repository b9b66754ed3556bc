"""Alert webhooks: the digest as JSON, POSTed with an HMAC-SHA256 signature.

The signed message is the timestamp header's value, a full stop, and the exact body bytes, so
a receiver can both check who sent it and refuse an old message played again (docs/alerts.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests

SIGNATURE = "X-Dashboard-Signature"
TIMESTAMP = "X-Dashboard-Timestamp"
TIMEOUT = 10  # seconds, for connecting and for the answer
ATTEMPTS = 2  # one retry


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC of "timestamp." + body>."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def post(url: str, secret: str, payload: dict[str, Any]) -> str | None:
    """POST the payload; None when the receiver answered 2xx, else why not (never raises)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    failure = ""
    for _ in range(ATTEMPTS):
        # Signed afresh each attempt: the timestamp says when this request was sent.
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP: timestamp,
                   SIGNATURE: signature(secret, timestamp, body)}
        try:
            # A redirect could carry the body somewhere the user did not name: not followed.
            answer = requests.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                   allow_redirects=False)
        except requests.RequestException as exc:
            failure = f"POST failed: {type(exc).__name__}: {exc}"
            continue
        if 200 <= answer.status_code < 300:
            return None
        failure = f"the receiver answered {answer.status_code} {answer.reason}"
        if 300 <= answer.status_code < 500 and answer.status_code not in (408, 429):
            break  # asking again would get the same answer
    return failure
