"""A separate process that keeps querying the warehouse until told to stop (for the tests).

Usage: python -m tests.reader_probe WAREHOUSE_DIR STOP_FILE; prints a JSON report.
"""

import json
import sys
import time
from pathlib import Path

from warehouse.reader import WarehouseReader


def main(warehouse_dir: str, stop_file: str) -> None:
    reader = WarehouseReader(Path(warehouse_dir))
    queries, errors, seen, last = 0, [], [], None
    stop = Path(stop_file)
    while True:
        stopping = stop.exists()  # checked before the query, so the last one follows the stop
        try:
            with reader.cursor() as (snapshot, cursor):
                rows = cursor.execute(
                    "SELECT count(*), max(opened_at) FROM service_requests").fetchone()
                if rows[0] != snapshot.tables["service_requests"]["rows"]:
                    errors.append(f"{snapshot.id}: {rows[0]} rows, manifest says "
                                  f"{snapshot.tables['service_requests']['rows']}")
                last = snapshot.id
                if not seen or seen[-1] != last:
                    seen.append(last)
        except Exception as exc:  # the report must count every failure, whatever it is
            errors.append(repr(exc))
        queries += 1
        if stopping:
            break
        time.sleep(0.005)
    print(json.dumps({"queries": queries, "errors": errors, "seen": seen, "last": last}))


if __name__ == "__main__":
    main(*sys.argv[1:])
