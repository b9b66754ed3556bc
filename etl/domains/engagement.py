"""Platform engagement: the community platform's events and the open-data site's downloads."""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="engagement",
    table="engagement_events",
    columns=(
        Column("event_id", "VARCHAR", "Event identifier", True),
        Column("occurred_at", "TIMESTAMP", "When it happened (UTC)", True, not_in_future=True),
        Column("event_type", "VARCHAR", "What happened", True,
               allowed=("sign_up", "post", "practice_shared", "practice_implemented",
                        "webinar_attended", "feedback", "dataset_downloaded")),
        Column("member_id", "VARCHAR", "Pseudonymous member identifier; empty for an anonymous "
               "download"),
        Column("organisation", "VARCHAR", "Member's organisation"),
        Column("topic", "VARCHAR", "Topic of the post, practice or webinar; for a download, the "
               "id of the dataset downloaded"),
        Column("practice_id", "VARCHAR", "Practice shared or implemented"),
        Column("satisfaction", "SMALLINT", "Feedback score, 1 (poor) to 5 (excellent)",
               minimum=1, maximum=5),
    ),
    key=("event_id",),
)
