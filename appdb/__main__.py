"""`python -m appdb users add NAME --role ROLE [--department D ...]`: add a user of the internal
pages (the first admin, for one). The password is asked for twice, or read from standard input
with --password-stdin (one line), never given on the command line.

`python -m appdb initiatives import FILE`: add the improvement initiatives of a JSON file (the
sample city's: data/sample/initiatives.json) when the database has none yet.

Exit codes: 0 done, 1 refused (the message says why), 2 bad settings.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from appdb.accounts import ROLES, AccountError, add_user
from appdb.audit import record
from appdb.initiatives import import_file
from config.settings import Settings, SettingsError, load_settings
from etl.errors import ConfigError
from kpis.catalogue import catalogue_path, load_catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appdb", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    users = commands.add_parser("users", help="users of the internal pages").add_subparsers(
        required=True, metavar="ACTION")
    add = users.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--department", action="append", default=[],
                     help="a department a manager sees in detail (repeat for more)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    seed = commands.add_parser("initiatives", help="improvement initiatives").add_subparsers(
        required=True, metavar="ACTION")
    bring = seed.add_parser("import", help="add a file's initiatives to an empty database")
    bring.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "file" in args:
        return _import_initiatives(settings, args.file)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 1
    try:
        added = add_user(settings.database_url, args.name, password, args.role, args.department)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    record(settings.database_url, "user_added", user=added.name, role=added.role,
           departments=list(added.departments))
    print(f"added {added.role} {added.name}"
          + (f" ({', '.join(added.departments)})" if added.departments else ""))
    return 0


def _import_initiatives(settings: Settings, path: Path) -> int:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # the SQLite file's folder
        known = [k.id for k in load_catalogue(catalogue_path(settings)).kpis]
        added = import_file(settings.database_url, path, known)
    except (OSError, ValueError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"added {added} initiatives from {path}" if added else
          "initiatives: the database has some already; nothing imported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
