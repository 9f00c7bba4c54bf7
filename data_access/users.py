"""Staff accounts: hashed passwords, login with lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data_access.models import LoginAttempt, User

# A hash to compare against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class SessionUser:
    """What a web request knows about its caller (kept in the signed session cookie)."""

    id: int
    username: str
    role: str
    display_name: str
    community_id: int | None
    grid_id: int | None


def create_user(session: Session, username: str, password: str, role: str, now: datetime, **fields) -> User:
    user = User(username=username, password_hash=generate_password_hash(password), role=role, created_at=now, **fields)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: SessionUser | None
    error: str | None  # i18n key: login.error.invalid / login.error.locked


def attempt_login(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    remote_addr: str | None,
    max_failures: int,
    window_seconds: int,
    lock_seconds: int,
    shared_counter=None,  # noqa: ANN001 - data_access.shared_state backend, when workers share Redis
) -> LoginResult:
    """Check a login. Failures are counted per username within the window — in Redis when the
    workers share it (one INCR instead of a COUNT over the attempts table), else from the table —
    and reaching the limit locks the account in the store. Every attempt is kept in the table."""
    username = (username or "").strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is not None and user.locked_until is not None and user.locked_until > now:
        session.add(LoginAttempt(username=username, attempted_at=now, success=False, remote_addr=remote_addr))
        return LoginResult(None, "login.error.locked")

    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=username[:64], attempted_at=now, success=ok, remote_addr=remote_addr))
    counter_key = f"login:{username.lower()}"
    if ok:
        user.locked_until = None
        if shared_counter is not None:
            shared_counter.delete(counter_key)  # a success starts the count afresh, as in the table
        return LoginResult(
            SessionUser(user.id, user.username, user.role, user.display_name, user.community_id, user.grid_id), None
        )

    if user is not None and shared_counter is not None:
        if shared_counter.incr(counter_key, window_seconds) >= max_failures:
            shared_counter.delete(counter_key)
            user.locked_until = now + timedelta(seconds=lock_seconds)
            return LoginResult(None, "login.error.locked")
    elif user is not None:
        since = now - timedelta(seconds=window_seconds)
        last_success = session.scalar(
            select(func.max(LoginAttempt.attempted_at)).where(
                LoginAttempt.username == username, LoginAttempt.success.is_(True)
            )
        )
        if last_success is not None and last_success > since:
            since = last_success
        session.flush()
        failures = session.scalar(
            select(func.count()).where(
                LoginAttempt.username == username,
                LoginAttempt.success.is_(False),
                LoginAttempt.attempted_at > since,
            )
        )
        if failures >= max_failures:
            user.locked_until = now + timedelta(seconds=lock_seconds)
            return LoginResult(None, "login.error.locked")
    return LoginResult(None, "login.error.invalid")


def load_session_user(session: Session, user_id: int) -> SessionUser | None:
    """Re-read the account on each request so a deactivated user or a changed role takes effect."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return SessionUser(user.id, user.username, user.role, user.display_name, user.community_id, user.grid_id)
