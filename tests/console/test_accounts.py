"""Accounts: argon2 hashes, password rules, roles, lock-out, TOTP, sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import transaction
from crm.errors import InvalidInput, NotAllowed
from crm.models import AuditEntry, StaffRole, StaffSession, StaffUser
from console import accounts
from console.accounts import LoginOutcome
from tests.console.conftest import PASSWORD, new_user

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
LIFE = {"absolute": timedelta(hours=12), "idle": timedelta(minutes=60)}


def login(factory: sessionmaker[Session], name: str, password: str, now: datetime) -> accounts.LoginResult:
    with transaction(factory) as session:
        return accounts.authenticate(session, name, password, now=now)


def test_passwords_are_argon2id_hashes_that_verify_only_the_password() -> None:
    digest = accounts.hash_password("correct horse battery")
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert accounts.verify_password(digest, "correct horse battery")
    assert not accounts.verify_password(digest, "correct horse batterY")
    assert not accounts.verify_password("not a hash", "correct horse battery")
    assert accounts.hash_password("same") != accounts.hash_password("same")  # salted


def test_account_rules(empty: sessionmaker[Session]) -> None:
    with transaction(empty) as session:
        user = accounts.create_user(session, "  Mei.Lin ", PASSWORD, "supervisor")
        assert (user.username, user.role, user.totp_enabled) == ("mei.lin", StaffRole.SUPERVISOR, False)
        stored = session.scalar(select(StaffUser).where(StaffUser.username == "mei.lin"))
        assert stored.password_hash.startswith("$argon2id$")
    for name, password, role, problem in (
        ("mei.lin", PASSWORD, "agent", "taken"),
        ("x", PASSWORD, "agent", "username"),
        ("new user", PASSWORD, "agent", "username"),
        ("bob", "short", "agent", "at least 10"),
        ("bob", "bob-is-my-password", "agent", "username"),
        ("bob", PASSWORD, "boss", "role"),
    ):
        with pytest.raises(InvalidInput, match=problem), transaction(empty) as session:
            accounts.create_user(session, name, password, role)


def test_roles_are_ordered() -> None:
    user = accounts.StaffUserView(1, "s", StaffRole.SUPERVISOR, False, False, None, 0, T0, None)
    assert user.has_role("agent") and user.has_role(StaffRole.SUPERVISOR) and not user.has_role("admin")


def test_five_failures_lock_the_account_for_fifteen_minutes(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    for attempt in range(4):
        assert login(empty, name, "wrong password!", T0 + timedelta(seconds=attempt)).outcome == LoginOutcome.INVALID
    locked = login(empty, name, "wrong password!", T0 + timedelta(seconds=5))
    assert locked.outcome == LoginOutcome.LOCKED and locked.locked_until == T0 + timedelta(seconds=5, minutes=15)
    # Locked: even the right password is refused, and trying does not extend the lock.
    assert login(empty, name, PASSWORD, T0 + timedelta(minutes=10)).outcome == LoginOutcome.LOCKED
    assert login(empty, name, "wrong password!", T0 + timedelta(minutes=11)).outcome == LoginOutcome.LOCKED
    assert login(empty, name, PASSWORD, T0 + timedelta(minutes=15, seconds=6)).outcome == LoginOutcome.OK
    with empty() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == name))]
    assert actions.count("staff_login_failed") == 4 and "staff_login_locked" in actions
    assert actions.count("staff_login_refused") == 2 and actions[-1] == "staff_login"


def test_a_success_resets_the_count_and_an_admin_can_unlock(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    for _ in range(4):
        login(empty, name, "wrong password!", T0)
    assert login(empty, name, PASSWORD, T0).outcome == LoginOutcome.OK
    for _ in range(4):
        assert login(empty, name, "wrong password!", T0).outcome == LoginOutcome.INVALID
    assert login(empty, name, "wrong password!", T0).outcome == LoginOutcome.LOCKED
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        accounts.unlock(session, user_id, actor="admin")
    assert login(empty, name, PASSWORD, T0 + timedelta(minutes=1)).outcome == LoginOutcome.OK


def test_unknown_and_disabled_accounts_fail_like_a_wrong_password(empty: sessionmaker[Session]) -> None:
    admin = new_user(empty, "admin")
    name = new_user(empty)
    assert login(empty, "nobody", PASSWORD, T0).outcome == LoginOutcome.INVALID
    with transaction(empty) as session:
        me = accounts.get_user(session, session.scalars(select(StaffUser.id).where(StaffUser.username == admin)).one())
        accounts.set_disabled(
            session, session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one(), True, actor=me
        )
    assert login(empty, name, PASSWORD, T0).outcome == LoginOutcome.INVALID


def test_totp_second_factor_enrolment_login_and_replay(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    secret = accounts.new_totp_secret()
    totp = pyotp.TOTP(secret)
    assert accounts.totp_uri(secret, name).startswith(f"otpauth://totp/Kelian%20console:{name}?secret={secret}")
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        with pytest.raises(InvalidInput, match="does not match"):
            accounts.enable_totp(session, user_id, secret, "000000" if totp.at(T0) != "000000" else "111111", now=T0)
        accounts.enable_totp(session, user_id, secret, totp.at(T0), now=T0)
        assert session.get(StaffUser, user_id).totp_secret == secret  # stored encrypted, read back decrypted
    later = T0 + timedelta(minutes=5)
    first = login(empty, name, PASSWORD, later)
    assert first.outcome == LoginOutcome.NEEDS_CODE
    with transaction(empty) as session:
        assert (
            accounts.verify_second_factor(
                session, user_id, "123 456" if totp.at(later) != "123456" else "654321", now=later
            ).outcome
            == LoginOutcome.INVALID
        )
        assert accounts.verify_second_factor(session, user_id, totp.at(later), now=later).outcome == LoginOutcome.OK
        # The same code again (a replay) is refused, and so is the previous step's code.
        assert (
            accounts.verify_second_factor(session, user_id, totp.at(later), now=later).outcome == LoginOutcome.INVALID
        )
        assert (
            accounts.verify_second_factor(session, user_id, totp.at(later - timedelta(seconds=30)), now=later).outcome
            == LoginOutcome.INVALID
        )
        # The next step's code (clock drift of one step) is accepted.
        assert (
            accounts.verify_second_factor(session, user_id, totp.at(later + timedelta(seconds=30)), now=later).outcome
            == LoginOutcome.OK
        )


def test_wrong_codes_count_towards_the_lock_out(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    secret = accounts.new_totp_secret()
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        accounts.enable_totp(session, user_id, secret, pyotp.TOTP(secret).at(T0), now=T0)
    outcomes = []
    for attempt in range(5):
        with transaction(empty) as session:
            outcomes.append(
                accounts.verify_second_factor(session, user_id, "abcdef", now=T0 + timedelta(minutes=1)).outcome
            )
    assert outcomes == [LoginOutcome.INVALID] * 4 + [LoginOutcome.LOCKED]
    assert login(empty, name, PASSWORD, T0 + timedelta(minutes=2)).outcome == LoginOutcome.LOCKED


def test_sessions_store_only_a_hash_and_expire(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        new = accounts.start_session(session, user_id, mfa_pending=False, now=T0, **LIFE)
        assert len(new.cookie_value) >= 43 and new.cookie_value != new.csrf_token
        assert session.get(StaffSession, new.cookie_value) is None  # the id is a hash of the cookie
    with transaction(empty) as session:
        info = accounts.load_session(session, new.cookie_value, now=T0 + timedelta(minutes=59), **LIFE)
        assert info is not None and info.user.username == name and info.csrf_token == new.csrf_token
        assert not info.mfa_pending
        assert accounts.load_session(session, "made-up", now=T0, **LIFE) is None
    with transaction(empty) as session:  # used at 0:59 -> idle until 1:59; never past 12 h after sign-in
        assert accounts.load_session(session, new.cookie_value, now=T0 + timedelta(minutes=118), **LIFE) is not None
    with transaction(empty) as session:
        assert accounts.load_session(session, new.cookie_value, now=T0 + timedelta(hours=3, minutes=59), **LIFE) is None
    with transaction(empty) as session:
        pending = accounts.start_session(session, user_id, mfa_pending=True, now=T0, **LIFE)
    with transaction(empty) as session:  # a half-signed-in session lasts 10 minutes
        assert accounts.load_session(session, pending.cookie_value, now=T0 + timedelta(minutes=11), **LIFE) is None


def test_changing_a_password_ends_the_sessions(empty: sessionmaker[Session]) -> None:
    name = new_user(empty)
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        new = accounts.start_session(session, user_id, mfa_pending=False, now=T0, **LIFE)
        with pytest.raises(NotAllowed):
            accounts.change_password(session, user_id, "not the password", "another long password")
        accounts.change_password(session, user_id, PASSWORD, "another long password", now=T0)
        assert accounts.load_session(session, new.cookie_value, now=T0, **LIFE) is None
    assert login(empty, name, "another long password", T0).outcome == LoginOutcome.OK


def test_the_last_admin_cannot_be_demoted_or_disabled(empty: sessionmaker[Session]) -> None:
    admin = new_user(empty, "admin")
    other = new_user(empty, "admin")
    with transaction(empty) as session:
        ids = {u.username: u for u in accounts.list_users(session)}
        me = ids[admin]
        with pytest.raises(NotAllowed, match="own"):
            accounts.set_role(session, me.id, "agent", actor=me)
        with pytest.raises(NotAllowed, match="own"):
            accounts.set_disabled(session, me.id, True, actor=me)
        accounts.set_role(session, ids[other].id, "agent", actor=me)
        assert accounts.get_user(session, ids[other].id).role == StaffRole.AGENT
    with transaction(empty) as session:
        # Another admin would be needed to demote `admin`: it is the last one.
        second = accounts.create_user(session, "second-admin", PASSWORD, "admin")
        accounts.set_disabled(session, second.id, True, actor=accounts.get_user(session, me.id))
        with pytest.raises(NotAllowed, match="last admin"):
            accounts.set_role(session, me.id, "agent", actor=second)


def test_the_name_customers_see_is_chosen_checked_and_audited(empty: sessionmaker[Session]) -> None:
    from console.notices import display_name

    name = new_user(empty)
    with transaction(empty) as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == name)).one()
        assert display_name(accounts.get_user(session, user_id)) == f"客服{user_id}号"  # a staff number until chosen
        assert accounts.set_display_name(session, user_id, "  客服　小林 ") == "客服 小林"  # NFKC, single spaces
        assert display_name(accounts.get_user(session, user_id)) == "客服 小林"
        for bad in ("<b>Mei</b>", "x" * 17, "Mei_", "客服\x07小林", "@mei", "-"):
            with pytest.raises(InvalidInput):
                accounts.set_display_name(session, user_id, bad)
        assert accounts.get_user(session, user_id).display_name == "客服 小林"
        assert accounts.set_display_name(session, user_id, "") is None  # back to the staff number
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_display_name")).all()
        assert [e.detail["display_name"] for e in entries] == ["客服 小林", None]
        assert name not in display_name(accounts.get_user(session, user_id))
