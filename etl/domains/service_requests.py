"""Service requests (311): what residents asked for, through which channel, and when closed."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="service_requests",
    table="service_requests",
    columns=(
        Column("request_id", "VARCHAR", "Case number", True),
        Column("opened_at", "TIMESTAMP", "When the request was made (local time)", True),
        Column("closed_at", "TIMESTAMP", "When it was closed; empty while open"),
        Column("due_at", "TIMESTAMP", "When it was due under the service level agreement"),
        Column("request_type", "VARCHAR", "What was asked for", True),
        Column("department", "VARCHAR", "Department handling it"),
        Column("district", "VARCHAR", "Council district"),
        Column("channel", "VARCHAR", "Online, Phone or In person"),
        Column("status", "VARCHAR", "Open, In progress, Closed or Cancelled", True),
        Column("latitude", "DOUBLE", "Exact latitude (private: generalised before publishing)"),
        Column("longitude", "DOUBLE", "Exact longitude (private: generalised before publishing)"),
        Column("description", "VARCHAR", "Free text from the resident (private)"),
    ),
    key=("request_id",),
)
