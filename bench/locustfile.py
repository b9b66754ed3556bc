"""The visitors of `python -m bench.load_test`, for locust (headless, one process).

    locust -f bench/locustfile.py --headless --host URL ...   # LOAD_PLAN=plan.json

bench.load_test writes the plan (what to ask for, recorded from the running site) and starts
locust with it; this file only sends it. Each visitor waits `wait` seconds (a range) between
requests, and each request is drawn by weight: Dash callbacks as the public pages make them,
the pages' HTML and layout, the KPI API, the dataset API, and one whole dataset file in every
20 requests. Every request is kept (start, kind, name, milliseconds, bytes, status, error) and
written to the plan's `records` file when locust quits, so that bench.load_test computes its
own percentiles per kind and inside or outside the publishes.
"""

from __future__ import annotations

import base64
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
# Out of every 20 requests: the site's own traffic first, one whole file (the heaviest) last.
WEIGHTS = {"callback": 8, "page": 3, "kpi_api": 3, "dataset_api": 5, "download": 1}
RECORDS: list[tuple] = []


class Visitor(FastHttpUser):
    """One reader of the site: any of the plan's requests, one at a time, keep-alive."""

    wait_time = between(*PLAN["wait"])
    network_timeout = 120.0  # a slow answer is measured as slow, not cut into an error

    def _send(self, kind: str) -> None:
        request = random.choice(PLAN["requests"][kind])
        body = base64.b64decode(request["body"]) if request.get("body") else None
        self.client.request(request["method"], request["path"], data=body,
                            headers=request.get("headers") or None, name=request["name"],
                            context={"kind": kind})

    @task
    def ask(self) -> None:
        """One request of a kind drawn by the mix's weights (8 callbacks in 20, and so on)."""
        self._send(random.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0])


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response_length: int,
            exception: BaseException | None, context: dict, start_time: float | None = None,
            response: Any = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    RECORDS.append((start_time, context.get("kind", "?"), name, response_time, response_length,
                    status, None if exception is None else f"{type(exception).__name__}: "
                    f"{exception}"[:300]))


@events.quitting.add_listener
def _save(**_: Any) -> None:
    Path(PLAN["records"]).write_text(json.dumps(RECORDS), encoding="utf-8")
