"""The warehouse: immutable DuckDB snapshots named by an atomically replaced manifest.

Web processes use `reader` (read-only); the ETL uses `writer`. `connect` is the only module
that opens DuckDB connections.
"""
