"""`python -m appdb users add NAME --role ROLE [--department D ...]`: add a user of the internal
pages (the first admin, for one). The password is asked for twice, or read from standard input
with --password-stdin (one line), never given on the command line.

Exit codes: 0 added, 1 refused (the message says why), 2 bad settings.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from appdb.accounts import ROLES, AccountError, add_user
from appdb.audit import record
from config.settings import SettingsError, load_settings


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
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main())
