"""Users of the internal pages: added with a role (and a manager's departments), signed in by
name and password. Passwords are hashed with werkzeug's scrypt and never stored or logged."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from appdb.db import sessions, utc
from appdb.models import User

ROLES = ("viewer", "manager", "admin")
MIN_PASSWORD = 12
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$")
# Checked when the name is unknown, so a wrong name takes as long as a wrong password.
_NOBODY = generate_password_hash("not anyone's password")


@dataclass(frozen=True)
class UserSummary:
    account: Account
    active: bool
    created_at: datetime


class AccountError(ValueError):
    """A user cannot be added as asked; the message says why."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    departments: tuple[str, ...]


def add_user(database_url: str, name: str, password: str, role: str,
             departments: Sequence[str] = ()) -> Account:
    """Add a user; AccountError naming what is wrong (name, password, role, departments)."""
    if not NAME.fullmatch(name):
        raise AccountError(f"name {name[:80]!r}: use 2 to 80 letters, digits, '.', '_', '@' or "
                           "'-', starting with a letter or digit")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    chosen = _checked_role(role, departments)
    user = User(name=name, password_hash=generate_password_hash(password), role=role,
                departments=list(chosen), active=True, created_at=datetime.now(UTC))
    try:
        with sessions(database_url).begin() as session:
            session.add(user)
    except IntegrityError:
        raise AccountError(f"there is already a user named {name!r}") from None
    return _account(user)


def users(database_url: str) -> list[UserSummary]:
    """Every user, by name."""
    with sessions(database_url)() as session:
        return [UserSummary(_account(u), u.active, utc(u.created_at))
                for u in session.scalars(select(User).order_by(User.name))]


def change_user(database_url: str, user_id: int, role: str, departments: Sequence[str],
                active: bool, by: Account) -> Account:
    """Set a user's role, departments and whether they may sign in; AccountError naming what
    is wrong. Nobody removes their own admin rights, so an admin is always left."""
    chosen = _checked_role(role, departments)
    if user_id == by.id and (role != "admin" or not active):
        raise AccountError("you cannot take away your own admin role or sign-in: ask another "
                           "admin")
    with sessions(database_url).begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AccountError(f"there is no user with id {user_id}")
        user.role, user.departments, user.active = role, list(chosen), active
        return _account(user)


def _checked_role(role: str, departments: Sequence[str]) -> tuple[str, ...]:
    """The departments kept for this role, or AccountError."""
    if role not in ROLES:
        raise AccountError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    chosen = tuple(dict.fromkeys(d.strip() for d in departments if d.strip()))
    if role == "manager" and not chosen:
        raise AccountError("a manager needs at least one --department")
    if role != "manager" and chosen:
        raise AccountError(f"only a manager has departments (a {role} sees every one)")
    return chosen


def authenticate(database_url: str, name: str, password: str) -> Account | None:
    """The account if name and password match an active user, else None."""
    with sessions(database_url)() as session:
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None or not user.active:
        check_password_hash(_NOBODY, password)
        return None
    return _account(user) if check_password_hash(user.password_hash, password) else None


def account(database_url: str, user_id: int) -> Account | None:
    """An active user by id (a session's), else None."""
    with sessions(database_url)() as session:
        user = session.get(User, user_id)
    return _account(user) if user is not None and user.active else None


def _account(user: User) -> Account:
    return Account(user.id, user.name, user.role, tuple(user.departments or ()))
