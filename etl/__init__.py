"""The ETL: extract sources, clean and check them, load a staging snapshot, publish it."""
