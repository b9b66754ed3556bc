"""Service requests (311): what residents asked for, through which channel, and when closed."""

from etl.domains import Column, Domain, RowRule, not_before

DOMAIN = Domain(
    name="service_requests",
    table="service_requests",
    columns=(
        Column("request_id", "VARCHAR", "Case number", True),
        Column("opened_at", "TIMESTAMP", "When the request was made (local time)", True,
               not_in_future=True),
        Column("closed_at", "TIMESTAMP", "When it was closed; empty while open",
               not_in_future=True),
        Column("due_at", "TIMESTAMP", "When it was due under the service level agreement"),
        Column("request_type", "VARCHAR", "What was asked for", True),
        Column("department", "VARCHAR", "Department handling it"),
        Column("district", "VARCHAR", "Council district"),
        Column("channel", "VARCHAR", "How it was made", allowed=("Online", "Phone", "In person")),
        Column("status", "VARCHAR", "Where it stands", True,
               allowed=("Open", "In progress", "Closed", "Cancelled")),
        Column("latitude", "DOUBLE", "Exact latitude (private: generalised before publishing)",
               minimum=-90, maximum=90),
        Column("longitude", "DOUBLE", "Exact longitude (private: generalised before publishing)",
               minimum=-180, maximum=180),
        Column("description", "VARCHAR", "Free text from the resident (private)"),
    ),
    key=("request_id",),
    rules=(
        RowRule("closed_after_opened", "closed before it was opened", "closed_at",
                not_before("closed_at", "opened_at")),
        RowRule("due_after_opened", "due before it was opened", "due_at",
                not_before("due_at", "opened_at")),
    ),
)
