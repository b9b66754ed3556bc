"""initiatives.json: the sample city's improvement initiatives, for the application database.

`make run` (and the tests' published sites) import them with `python -m appdb initiatives
import` before the first ETL run, so the evidence, the chart marks and the practice library
show on a first run. The generator plants a real step change after one of them (PLANTED: Public
Works closes its cases faster from July 2025, in service_requests.py) and none after another
(the water-bill chatbot), so the evidence finds the one and not the other.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from etl.sample.writer import Written

FILE_NAME = "initiatives.json"
# (department, first day, factor on the time to close): the step the generator plants.
PLANTED = ("Public Works", date(2025, 7, 1), 0.6)

INITIATIVES: tuple[dict[str, Any], ...] = (
    {
        "key": "pw-triage",
        "created_at": "2025-06-10T09:00:00",
        "title": "Same-day triage of Public Works requests",
        "change": "A dispatcher reads every new request the morning it arrives and sends it "
                  "straight to the crew already working in that district, instead of the weekly "
                  "paper work orders each crew used to pick up on Mondays.",
        "department": PLANTED[0], "owner": "Dana Whitfield", "owner_public": True,
        "start_date": PLANTED[1].isoformat(), "end_date": "2026-01-31", "status": "done",
        "cost_once": 18000, "cost_yearly": 42000, "public": True,
        "links": ["https://millbrook.example/public-works/triage"],
        "kpis": [{"kpi_id": "median_days_to_close", "direction": "down"},
                 {"kpi_id": "on_time_rate", "direction": "up"}],
    },
    {
        "key": "ws-chatbot",
        "created_at": "2025-04-02T14:30:00",
        "title": "Chatbot for water bill questions",
        "change": "A chatbot on the water bill page answers the common questions (due dates, "
                  "meter readings, payment plans) before a resident opens a request.",
        "department": "Water & Sewer", "owner": "Water & Sewer customer service",
        "owner_public": False, "start_date": "2025-05-01", "end_date": "2025-12-31",
        "status": "done", "cost_once": 25000, "cost_yearly": 9000, "public": True,
        "kpis": [{"kpi_id": "median_days_to_close", "direction": "down"}],
    },
    {
        "key": "parks-app",
        "created_at": "2026-08-20T10:15:00",
        "title": "Photo reports for park maintenance",
        "change": "Residents attach a photo to a park maintenance request in the city's app, "
                  "so the crew brings the right tools the first time.",
        "department": "Parks & Recreation", "owner": "Luis Ortega", "owner_public": False,
        "start_date": "2026-09-01", "status": "running", "cost_once": 6000, "public": False,
        "kpis": [{"kpi_id": "on_time_rate", "direction": "up"}],
    },
    {
        "key": "tr-triage",
        "created_at": "2026-08-27T16:00:00",
        "adopted_from": "pw-triage",
        "title": "Same-day triage of Public Works requests",
        "change": "Transportation adopts Public Works' morning triage for potholes and "
                  "streetlights.",
        "department": "Transportation", "owner": "Transportation operations",
        "start_date": "2026-12-01", "status": "planned", "public": False,
        "kpis": [{"kpi_id": "median_days_to_close", "direction": "down"},
                 {"kpi_id": "on_time_rate", "direction": "up"}],
    },
)


def write(out_dir: Path) -> Written:
    path = Path(out_dir) / FILE_NAME
    text = json.dumps(list(INITIATIVES), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return Written(FILE_NAME, path, len(INITIATIVES), 0, 0, path.stat().st_size)
