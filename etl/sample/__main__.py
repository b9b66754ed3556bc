"""`python -m etl.sample`: write the sample city's source files (same bytes every run).

`--scale N` writes a city with N service requests (`--requests N` is the same option); the
other files keep their sizes. On a terminal a bar shows the service requests being written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from etl.sample import (
    CITY_NAME,
    DEFAULT_REQUESTS,
    DEFAULT_SEED,
    FILE_NAMES,
    Written,
    iter_files,
    service_requests,
)

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "sample"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m etl.sample",
        description=f"Write the sample city's ({CITY_NAME}) source files.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder to write into (default: %(default)s)")
    parser.add_argument("--scale", "--requests", dest="requests", type=int,
                        default=DEFAULT_REQUESTS, metavar="N",
                        help="service requests to generate, the city's size (default: "
                             "%(default)s; --requests is the same option)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="random seed (default: %(default)s)")
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when every file already exists")
    return parser


def _line(written: Written) -> str:
    extra = ""
    if written.duplicates or written.blank_lines:
        extra = f" (+{written.duplicates:,} duplicate rows, +{written.blank_lines:,} blank lines)"
    return f"{written.name:<30} {written.rows:>10,} rows{extra}  {written.size / 1e6:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1:
        _parser().error("--scale (--requests) must be at least 1")
    if args.if_missing and all((args.out / name).is_file() for name in FILE_NAMES):
        print(f"sample files already in {args.out}; nothing to do")
        return 0
    started = time.perf_counter()
    # Ten million requests take about half a minute: show them being written (terminal only).
    with tqdm(total=args.requests, desc=service_requests.FILE_NAME, unit=" rows", unit_scale=True,
              leave=False, file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        for written in iter_files(args.out, args.requests, args.seed, bar.update):
            if written.name == service_requests.FILE_NAME:
                bar.close()
            tqdm.write(_line(written), file=sys.stdout)  # above the bar, not through it
    print(f"written to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
