"""Every public address of a real app, for tests that check what the public can and cannot see.

The routes come from a real create_app() (so a new route is walked without anyone listing it),
each filled in with every public KPI and dataset of the catalogue; the pages are also listed as
Dash draws them in a browser (tests/dash_client.render).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tempfile

import duckdb
import requests
import yaml
from openpyxl import load_workbook

from config.settings import PROJECT_ROOT
from tests.helpers import Workspace

FILE_FORMATS = ("csv", "json", "parquet", "xlsx")  # a dataset's files (docs/api.md, Files)


def rules(workspace: Workspace) -> list[tuple[str, str]]:
    """(rule, method) of every route the real app registers, read from a real create_app()."""
    script = ("import json; from app import server; print(json.dumps(sorted("
              "(r.rule, m) for r in server.url_map.iter_rules() "
              "for m in r.methods - {'HEAD', 'OPTIONS'})))")
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=workspace.env,
                          capture_output=True, text=True, timeout=120, check=True)
    return [tuple(pair) for pair in json.loads(done.stdout.strip().splitlines()[-1])]


def filled(rule: str, **values: str) -> str:
    """The rule with each <converter:name> replaced: by values[name], else a plain word."""
    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        return values.get(name, "x")
    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", value, rule)


def catalogue_ids() -> tuple[set[str], set[str], set[str], set[str]]:
    """(public KPI ids, internal KPI ids, public dataset ids, internal dataset ids)."""
    kpis = yaml.safe_load((PROJECT_ROOT / "config" / "kpis.yaml").read_text())["kpis"]
    datasets = yaml.safe_load((PROJECT_ROOT / "config" / "datasets.yaml").read_text())
    datasets = datasets["datasets"] if isinstance(datasets, dict) else datasets

    def split(items: list[dict]) -> tuple[set[str], set[str]]:
        return ({i["id"] for i in items if i.get("audience", "public") == "public"},
                {i["id"] for i in items if i.get("audience", "public") != "public"})

    return (*split(kpis), *split(datasets))


def public_urls(workspace: Workspace, file_formats: tuple[str, ...] = ("csv", "json")
                ) -> set[str]:
    """Every public GET route, once for each public KPI, public dataset and file format it
    takes."""
    public_kpis, _, public_datasets, _ = catalogue_ids()
    public_rules = [r for r, m in rules(workspace) if m == "GET" and not r.startswith(
        ("/internal", "/_dash-", "/assets", "/static", "/_favicon", "/_reload"))]
    urls: set[str] = set()
    for rule in public_rules:
        for kpi_id in public_kpis if "<kpi_id>" in rule else [""]:
            for dataset_id in public_datasets if "<dataset_id>" in rule else [""]:
                for file_format in file_formats if "<file_format>" in rule else [""]:
                    urls.add(filled(rule, kpi_id=kpi_id, dataset_id=dataset_id,
                                    file_format=file_format, path="budget"))
    return urls


def public_pages() -> tuple[str, ...]:
    """The path of every public page: the themes, the catalogue, each KPI and each dataset."""
    public_kpis, _, public_datasets, _ = catalogue_ids()
    return ("/", "/budget", "/services", "/engagement", "/data", "/kpi",
            *(f"/kpi/{k}" for k in sorted(public_kpis)),
            *(f"/data/{d}" for d in sorted(public_datasets)))


def readable(answer: requests.Response) -> str:
    """An answer's content as text to search: a Parquet or Excel file's values, else its
    text."""
    kind = answer.headers.get("Content-Type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(answer.content), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for cell in row)
    if answer.content.startswith(b"PAR1"):
        with tempfile.NamedTemporaryFile(suffix=".parquet") as file:
            file.write(answer.content)
            file.flush()
            rows = duckdb.sql(f"SELECT * FROM read_parquet('{file.name}')").fetchall()
        return "\n".join(str(row) for row in rows)
    return answer.text
