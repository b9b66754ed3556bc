"""Open-data downloads made from this site: how many per day, dataset and format.

Counted by the download route (appdb.downloads), never who downloaded; they feed the
open-data downloads KPI beside the platform's own download events.
"""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="downloads",
    table="dataset_downloads",
    columns=(
        Column("day", "DATE", "Day of the downloads (UTC)", True, not_in_future=True),
        Column("dataset_id", "VARCHAR", "Dataset downloaded, as in config/datasets.yaml", True),
        Column("format", "VARCHAR", "File format", True,
               allowed=("csv", "json", "parquet", "xlsx")),
        Column("downloads", "INTEGER", "Downloads that day, whole or filtered", True),
    ),
    key=("day", "dataset_id", "format"),
)
