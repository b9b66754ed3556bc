"""Who may see and do what on the internal pages.

A viewer reads every internal page; an admin also manages users, runs the ETL, rolls back and
sets any target; a manager reads the city-wide figures and the detail of their own departments
only (a department's page, its breakdowns and its records), and sets the targets of the KPIs
whose owner is one of their departments.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from appdb.accounts import Account

INTERNAL = "/internal"
DEPARTMENT = INTERNAL + "/department/"
ADMIN, MANAGER, VIEWER = "admin", "manager", "viewer"
EVERYONE = frozenset({ADMIN, MANAGER, VIEWER})
ADMINS = frozenset({ADMIN})


def department_path(department: str, rest: str = "") -> str:
    """The internal page of one department (and, with rest, a page under it)."""
    return DEPARTMENT + quote(department, safe="") + rest


def department_in_path(path: str | None) -> str | None:
    """The department a path under /internal/department/ is about, or None."""
    if not path or not path.startswith(DEPARTMENT):
        return None
    name = unquote(path[len(DEPARTMENT):].split("/", 1)[0]).strip()
    return name or None


def sees_department(account: Account, department: str) -> bool:
    return account.role != MANAGER or department in account.departments


def sees_all(account: Account) -> bool:
    """Whether the account sees every department's detail (a viewer or an admin)."""
    return account.role != MANAGER


def sets_target(account: Account, owner: str) -> bool:
    """Whether the account may change the target of a KPI with this owner."""
    return account.role == ADMIN or (account.role == MANAGER and owner in account.departments)


def edits_initiatives(account: Account, department: str) -> bool:
    """Whether the account may create or change a department's initiatives (and adopt a
    practice into it): an admin, or a manager of that department."""
    return account.role == ADMIN or (account.role == MANAGER and department in account.departments)


def refusal(account: Account, path: str | None, department: str | None = None) -> str | None:
    """Why this account may not see the internal path (with a department named in its query
    string), or None when it may."""
    for named in (department_in_path(path), department):
        if isinstance(named, str) and named and not sees_department(account, named):
            return f"only the managers of {named} (and viewers and admins) see its detail"
    return None
