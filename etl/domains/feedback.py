"""Citizen feedback: the "Was this page useful?" answers given at the foot of public pages.

No free text: the comment a resident may add stays in the application database, and only the
fact that it was answered (and when) reaches the warehouse.
"""

from etl.domains import Column, Domain, RowRule, not_before

DOMAIN = Domain(
    name="feedback",
    table="citizen_feedback",
    columns=(
        Column("feedback_id", "VARCHAR", "Feedback identifier", True),
        Column("submitted_at", "TIMESTAMP", "When it was given (UTC)", True, not_in_future=True),
        Column("page", "VARCHAR", "Path of the page it was given on, e.g. /budget or "
               "/kpi/median_days_to_close", True),
        Column("kpi_id", "VARCHAR", "KPI the page showed, when it was a KPI's page"),
        Column("dataset_id", "VARCHAR", "Dataset it refers to, when it refers to one"),
        Column("snapshot_id", "VARCHAR", "Data version (snapshot) the page showed"),
        Column("useful", "BOOLEAN", "The yes/no answer; empty when only a comment was left"),
        Column("status", "VARCHAR", "Where it stands: new, answered (a reply was sent to the "
               "comment) or closed", True, allowed=("new", "answered", "closed")),
        Column("answered_at", "TIMESTAMP", "When the comment was answered (UTC); empty if not",
               not_in_future=True),
    ),
    key=("feedback_id",),
    rules=(
        RowRule("answered_after_submitted", "answered before it was submitted", "answered_at",
                not_before("answered_at", "submitted_at")),
    ),
)
