"""Console accounts: argon2id password hashes, roles, lock-out after repeated failures, an optional TOTP
second factor, and server-side sessions.

Rules:
- 5 failed sign-ins in a row (wrong password or wrong code) lock the account for 15 minutes; while it is
  locked even the right password is refused, and the attempts do not extend the lock (nobody can keep
  someone else locked out for ever by guessing). An admin can unlock it at once.
- A TOTP code is accepted once: `totp_last_step` refuses a code (or an earlier one) already used.
- A session is a random 256-bit value in a cookie; the database keeps only its SHA-256, with the CSRF
  token of the session, and forgets it after an hour without a request or 12 hours after sign-in.
  Changing a password, a role or disabling an account ends the account's sessions.
Every sign-in, failure and lock is in the CRM's audit log (actor = the username, no customer).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import Language, StaffRole, StaffSession, StaffUser
from crm.privacy import audit, utcnow

from console.i18n import refusal

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
TOTP_ISSUER = "Kelian console"
ROLE_RANK = {StaffRole.AGENT: 1, StaffRole.SUPERVISOR: 2, StaffRole.ADMIN: 3}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
DISPLAY_NAME_MAX_CHARS = 16
# Letters of any script, digits, spaces and the few marks names use ("客服小林", "Mei · Support", "Li-Na").
DISPLAY_NAME = re.compile(r"[^\W_]+(?:[ ·.\-']{1,3}[^\W_]+)*")

_hasher = PasswordHasher()  # argon2id, RFC 9106 "low memory" parameters (64 MiB, 3 passes)
# Verified when the username does not exist, so a failed sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginOutcome(StrEnum):
    OK = "ok"
    NEEDS_CODE = "needs_code"  # the password was right; the TOTP code comes next
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class StaffUserView:
    id: int
    username: str
    role: StaffRole
    totp_enabled: bool
    disabled: bool
    locked_until: datetime | None
    failed_logins: int
    created_at: datetime
    last_login_at: datetime | None
    language: Language = Language.ZH  # of the console's pages
    display_name: str | None = None  # what customers see (console.notices.display_name)

    def has_role(self, role: StaffRole | str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[StaffRole(role)]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: StaffUserView | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class SessionInfo:
    user: StaffUserView
    csrf_token: str
    mfa_pending: bool


@dataclass(frozen=True)
class NewSession:
    cookie_value: str  # goes to the browser; only its hash is stored
    csrf_token: str


def _view(user: StaffUser) -> StaffUserView:
    return StaffUserView(
        user.id,
        user.username,
        user.role,
        user.totp_secret is not None,
        user.disabled,
        user.locked_until,
        user.failed_logins,
        user.created_at,
        user.last_login_at,
        user.ui_language,
        user.display_name,
    )


# --- passwords ---------------------------------------------------------------------------------


def check_password_rules(password: str, username: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise refusal(InvalidInput, "refusal.password_short", n=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise refusal(InvalidInput, "refusal.password_long", n=PASSWORD_MAX_LENGTH)
    if username.lower() in password.lower():
        raise refusal(InvalidInput, "refusal.password_has_username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise refusal(InvalidInput, "refusal.username")
    return name


# --- accounts ----------------------------------------------------------------------------------


def _user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise refusal(NotFound, "refusal.no_user", id=user_id)
    return user


def _language(language: Language | str) -> Language:
    try:
        return Language(language)
    except ValueError:
        raise refusal(InvalidInput, "refusal.language", choices=", ".join(lang.value for lang in Language)) from None


def create_user(
    session: Session,
    username: str,
    password: str,
    role: StaffRole | str,
    *,
    language: Language | str = Language.ZH,
    actor: str = "console",
    now: datetime | None = None,
) -> StaffUserView:
    """A new account; its pages are in Chinese unless `language` says otherwise (the shop's staff read
    Chinese first; each can switch on the account page)."""
    now = now or utcnow()
    name = normalize_username(username)
    try:
        role = StaffRole(role)
    except ValueError:
        raise refusal(InvalidInput, "refusal.role", choices=", ".join(r.value for r in StaffRole)) from None
    language = _language(language)
    check_password_rules(password, name)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
        raise refusal(InvalidInput, "refusal.username_taken", name=repr(name))
    user = StaffUser(
        username=name,
        role=role,
        password_hash=hash_password(password),
        failed_logins=0,
        disabled=False,
        created_at=now,
        password_changed_at=now,
        ui_language=language,
    )
    session.add(user)
    session.flush()
    audit(session, actor=actor, action="staff_user_create", customer_id=None, now=now, user=name, role=role.value)
    return _view(user)


def get_user(session: Session, user_id: int) -> StaffUserView:
    return _view(_user(session, user_id))


def list_users(session: Session) -> list[StaffUserView]:
    return [_view(u) for u in session.scalars(select(StaffUser).order_by(StaffUser.username))]


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == StaffRole.ADMIN, StaffUser.disabled.is_(False))
        )
        or 0
    )


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def set_language(session: Session, user_id: int, language: Language | str, *, now: datetime | None = None) -> None:
    """The language of the account's pages, chosen by its owner; sessions go on (nothing about access changes)."""
    user = _user(session, user_id)
    user.ui_language = _language(language)
    audit(
        session,
        actor=user.username,
        action="staff_ui_language",
        customer_id=None,
        now=now,
        language=user.ui_language.value,
    )


def normalize_display_name(name: str) -> str | None:
    """A display name as customers will read it (NFKC, single spaces), or None for none (the staff number);
    anything but letters, digits and a few marks between them, or over DISPLAY_NAME_MAX_CHARS, is refused."""
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX_CHARS or not DISPLAY_NAME.fullmatch(name):
        raise refusal(InvalidInput, "refusal.display_name", n=DISPLAY_NAME_MAX_CHARS)
    return name


def set_display_name(session: Session, user_id: int, name: str, *, now: datetime | None = None) -> str | None:
    """The name customers see when this person serves them, chosen by its owner (audited; the value is a work
    name, not personal data of a customer)."""
    user = _user(session, user_id)
    user.display_name = normalize_display_name(name)
    audit(
        session,
        actor=user.username,
        action="staff_display_name",
        customer_id=None,
        now=now,
        display_name=user.display_name,
    )
    return user.display_name


def set_role(
    session: Session, user_id: int, role: StaffRole | str, *, actor: StaffUserView, now: datetime | None = None
) -> None:
    user = _user(session, user_id)
    role = StaffRole(role)
    if user.role == StaffRole.ADMIN and role != StaffRole.ADMIN and not user.disabled and _active_admins(session) <= 1:
        raise refusal(NotAllowed, "refusal.last_admin_role")
    if user.id == actor.id and role != user.role:
        raise refusal(NotAllowed, "refusal.own_role")
    user.role = role
    _end_sessions(session, user.id)
    audit(
        session,
        actor=actor.username,
        action="staff_user_role",
        customer_id=None,
        now=now,
        user=user.username,
        role=role.value,
    )


def set_disabled(
    session: Session, user_id: int, disabled: bool, *, actor: StaffUserView, now: datetime | None = None
) -> None:
    user = _user(session, user_id)
    if disabled and user.id == actor.id:
        raise refusal(NotAllowed, "refusal.own_account")
    if disabled and user.role == StaffRole.ADMIN and not user.disabled and _active_admins(session) <= 1:
        raise refusal(NotAllowed, "refusal.last_admin")
    user.disabled = disabled
    if disabled:
        _end_sessions(session, user.id)
    audit(
        session,
        actor=actor.username,
        action="staff_user_disable" if disabled else "staff_user_enable",
        customer_id=None,
        now=now,
        user=user.username,
    )


def reset_password(session: Session, user_id: int, password: str, *, actor: str, now: datetime | None = None) -> None:
    """A new password set by an admin (or by the user, after `change_password` checked the old one)."""
    now = now or utcnow()
    user = _user(session, user_id)
    check_password_rules(password, user.username)
    user.password_hash, user.password_changed_at = hash_password(password), now
    user.failed_logins, user.locked_until = 0, None
    _end_sessions(session, user.id)
    audit(session, actor=actor, action="staff_password_set", customer_id=None, now=now, user=user.username)


def change_password(session: Session, user_id: int, current: str, new: str, *, now: datetime | None = None) -> None:
    user = _user(session, user_id)
    if not verify_password(user.password_hash, current):
        raise refusal(NotAllowed, "refusal.current_password")
    if current == new:
        raise refusal(InvalidInput, "refusal.same_password")
    reset_password(session, user_id, new, actor=user.username, now=now)


def unlock(session: Session, user_id: int, *, actor: str, now: datetime | None = None) -> None:
    user = _user(session, user_id)
    user.failed_logins, user.locked_until = 0, None
    audit(session, actor=actor, action="staff_user_unlock", customer_id=None, now=now, user=user.username)


# --- signing in --------------------------------------------------------------------------------


def _locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _fail(session: Session, user: StaffUser, now: datetime, what: str) -> LoginResult:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.failed_logins, user.locked_until = 0, now + LOCKOUT
        audit(session, actor=user.username, action="staff_login_locked", customer_id=None, now=now, after=what)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    audit(session, actor=user.username, action="staff_login_failed", customer_id=None, now=now, reason=what)
    return LoginResult(LoginOutcome.INVALID)


def authenticate(session: Session, username: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a username and password. A wrong password counts towards the lock-out. An unknown, malformed
    or disabled username and a locked account cost one argon2 verification like a wrong password, so the
    time taken does not tell them apart (the sign-in page gives them the same answer too)."""
    now = now or utcnow()
    try:
        name = normalize_username(username)
    except InvalidInput:
        verify_password(_DUMMY_HASH, password)
        return LoginResult(LoginOutcome.INVALID)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None or user.disabled:
        verify_password(_DUMMY_HASH, password)
        return LoginResult(LoginOutcome.INVALID)
    if _locked(user, now):
        verify_password(_DUMMY_HASH, password)  # refused unchecked, but as slowly as a checked one
        audit(session, actor=user.username, action="staff_login_refused", customer_id=None, now=now, reason="locked")
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        return _fail(session, user, now, "password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_secret is not None:
        return LoginResult(LoginOutcome.NEEDS_CODE, _view(user))
    return _signed_in(session, user, now)


def _signed_in(session: Session, user: StaffUser, now: datetime) -> LoginResult:
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    audit(session, actor=user.username, action="staff_login", customer_id=None, now=now)
    return LoginResult(LoginOutcome.OK, _view(user))


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a code belongs to (now, or one step either side for clock drift), or None."""
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_second_factor(session: Session, user_id: int, code: str, *, now: datetime | None = None) -> LoginResult:
    """The TOTP step of signing in (after `authenticate` said NEEDS_CODE)."""
    now = now or utcnow()
    user = _user(session, user_id)
    if user.disabled or user.totp_secret is None:
        return LoginResult(LoginOutcome.INVALID)
    if _locked(user, now):
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    step = _totp_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return _fail(session, user, now, "code")
    user.totp_last_step = step
    return _signed_in(session, user, now)


def is_totp_secret(secret: str) -> bool:
    """Base32, as `new_totp_secret` makes them (the enrolment form sends it back, so it is client input)."""
    return re.fullmatch(r"[A-Z2-7]{16,64}", secret) is not None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def enable_totp(session: Session, user_id: int, secret: str, code: str, *, now: datetime | None = None) -> None:
    """Turn the second factor on, once the user shows a code from the authenticator they just set up."""
    now = now or utcnow()
    if not is_totp_secret(secret):
        raise refusal(InvalidInput, "refusal.enrol_secret")
    step = _totp_step(secret, code, now)
    if step is None:
        raise refusal(InvalidInput, "refusal.enrol_code")
    user = _user(session, user_id)
    user.totp_secret, user.totp_last_step = secret, step
    audit(session, actor=user.username, action="staff_totp_enabled", customer_id=None, now=now)


def disable_totp(session: Session, user_id: int, *, actor: str, now: datetime | None = None) -> None:
    user = _user(session, user_id)
    user.totp_secret, user.totp_last_step = None, None
    audit(session, actor=actor, action="staff_totp_disabled", customer_id=None, now=now, user=user.username)


# --- sessions ----------------------------------------------------------------------------------


def _session_id(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


def start_session(
    session: Session,
    user_id: int,
    *,
    mfa_pending: bool,
    absolute: timedelta,
    idle: timedelta,
    now: datetime | None = None,
) -> NewSession:
    now = now or utcnow()
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    lifetime = min(idle, timedelta(minutes=10)) if mfa_pending else min(idle, absolute)
    session.add(
        StaffSession(
            id=_session_id(value),
            user_id=user_id,
            csrf_token=csrf,
            mfa_pending=mfa_pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    return NewSession(value, csrf)


def load_session(
    session: Session, cookie_value: str, *, absolute: timedelta, idle: timedelta, now: datetime | None = None
) -> SessionInfo | None:
    """The session of a cookie, extended by `idle` (never past `absolute` after sign-in); None when it is
    unknown, expired, or its account is disabled."""
    now = now or utcnow()
    row = session.get(StaffSession, _session_id(cookie_value))
    if row is None:
        return None
    user = session.get(StaffUser, row.user_id)
    if row.expires_at <= now or user is None or user.disabled:
        session.delete(row)
        return None
    if not row.mfa_pending and now - row.last_seen_at > timedelta(seconds=30):
        row.last_seen_at = now
        row.expires_at = min(now + idle, row.created_at + absolute)
    return SessionInfo(_view(user), row.csrf_token, row.mfa_pending)


def end_session(session: Session, cookie_value: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.id == _session_id(cookie_value)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
