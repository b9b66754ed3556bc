"""`python -m etl.domains > docs/data-model.md`: the data model page, from the domains."""

from etl.domains import all_domains

INTRO = """# The data model: the warehouse's canonical tables

Every source is mapped onto one of these tables (`config/sources.yaml` says how; the keys are
in [sources.md](sources.md)). They are declared in `etl/domains/`, one module a domain, and this
page is generated from them (`python -m etl.domains > docs/data-model.md`; a test checks it is
current). Every domain table also has `_source`, the source each row came from.

Each snapshot also holds `quarantine` (the rows that failed validation in the latest run of each
source: run, source, origin, row, column, value, reason) and a `meta` schema: `meta.snapshot`
(which run built it, from which parent snapshot), `meta.runs` (every run that loaded into it, with
its per-source figures), `meta.source_loads` and `meta.inputs` (every input file or URL with its
sha256). The `kpi` schema holds the KPIs' values (docs/kpis.md), and `initiative_evidence` each
initiative's before/after comparison on each of its KPIs, measured at publish from them
(docs/initiatives.md).
"""


def markdown() -> str:
    out = [INTRO]
    for domain in all_domains().values():
        out += [f"## `{domain.table}` (domain `{domain.name}`)", ""]
        out += [f"Unique key: {', '.join(f'`{k}`' for k in domain.key)}." if domain.key
                else "No key: exact duplicate rows are quarantined.", ""]
        out += ["| column | type | required | rules | meaning |", "| --- | --- | --- | --- | --- |"]
        for c in domain.columns:
            rules = []
            if c.allowed:
                rules.append("one of " + ", ".join(c.allowed))
            if c.minimum is not None:
                rules.append(f"at least {c.minimum:g}")
            if c.maximum is not None:
                rules.append(f"at most {c.maximum:g}")
            if c.not_in_future:
                rules.append("not in the future")
            out.append(f"| `{c.name}` | {c.sql_type} | {'yes' if c.required else ''} | "
                       f"{'; '.join(rules)} | {c.description} |")
        if domain.rules:
            out += ["", "Row rules: " + "; ".join(f"{r.reason} is refused" for r in domain.rules)
                    + "."]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
