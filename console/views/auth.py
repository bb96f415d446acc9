"""Signing in (password, then the TOTP code when the account has one), signing out, and the account page
(password change, TOTP enrolment with a QR code drawn here)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict
from urllib.parse import quote

import aiohttp_jinja2
import segno
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed
from crm.models import Language, StaffRole, StaffUser

from console import accounts
from console.accounts import LoginOutcome
from console.notices import display_name
from console.i18n import LANGUAGES, describe, label, refusal
from console.web import (
    COOKIE,
    LOGIN_COOKIE,
    SESSION,
    config,
    db,
    login_form_token,
    form,
    mfa_step,
    public,
    requires,
    language,
    safe_next,
    session_cookie_name,
    set_login_cookie,
    staff,
    text,
)

routes = web.RouteTableDef()
# The page's hint says that five failures lock an account for 15 minutes.
SIGN_IN_REFUSED = "login.refused"
ACCOUNT_DONE = {
    "password": "account.done.password",
    "totp_on": "account.done.totp_on",
    "totp_off": "account.done.totp_off",
    "language": "account.done.language",
    "display_name": "account.done.display_name",
}


class Lifetimes(TypedDict):
    """A staff session's limits, as `accounts.start_session` takes them."""

    absolute: timedelta
    idle: timedelta


def _lifetimes(request: web.Request) -> Lifetimes:
    cfg = config(request)
    return {"absolute": timedelta(hours=cfg.absolute_hours), "idle": timedelta(minutes=cfg.idle_minutes)}


def _set_session(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        session_cookie_name(config(request)),
        value,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=config(request).secure_cookies,
    )


def _login_page(
    request: web.Request,
    *,
    error: str | None = None,
    status: int = 200,
    username: str = "",
    next_page: str | None = None,
) -> web.Response:
    token, fresh = login_form_token(request)
    response = aiohttp_jinja2.render_template(
        "login.html",
        request,
        {
            "error": error,
            "next": safe_next(next_page or request.query.get("next")),
            "username": username,
            "login_token": token,
        },
        status=status,
    )
    set_login_cookie(request, response, fresh)
    return response


@routes.get("/health")
@public
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/login")
@public
async def login_form(request: web.Request) -> web.StreamResponse:
    info = request[SESSION]
    if info is not None and not info.mfa_pending:
        raise web.HTTPSeeOther("/")
    return _login_page(request)


@routes.post("/login")
@public
async def login(request: web.Request) -> web.StreamResponse:
    data = await form(request)
    username, password, next_page = data.get("username", ""), data.get("password", ""), data.get("next")
    result = await db(request).run(lambda s: accounts.authenticate(s, username, password))
    if result.outcome in (LoginOutcome.INVALID, LoginOutcome.LOCKED) or result.user is None:
        # One answer for an unknown name, a wrong password and a locked account: telling them apart would
        # tell a stranger which usernames exist.
        return _login_page(
            request, status=401, username=username, next_page=next_page, error=text(request, SIGN_IN_REFUSED)
        )
    pending = result.outcome == LoginOutcome.NEEDS_CODE
    user_id = result.user.id
    new = await db(request).run(
        lambda s: accounts.start_session(s, user_id, mfa_pending=pending, **_lifetimes(request))
    )
    target = safe_next(data.get("next"))
    response = web.HTTPSeeOther(f"/login/totp?next={quote(target, safe='/?=')}" if pending else target)
    _set_session(request, response, new.cookie_value)
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


@routes.get("/login/totp")
@mfa_step
async def totp_form(request: web.Request) -> web.StreamResponse:
    if not staff(request).mfa_pending:
        raise web.HTTPSeeOther("/")
    return aiohttp_jinja2.render_template(
        "totp.html", request, {"next": safe_next(request.query.get("next")), "error": None}
    )


@routes.post("/login/totp")
@mfa_step
async def totp(request: web.Request) -> web.StreamResponse:
    info = staff(request)
    if not info.mfa_pending:
        raise web.HTTPSeeOther("/")
    data = await form(request)
    code, old_cookie = data.get("code", ""), request[COOKIE]
    result = await db(request).run(lambda s: accounts.verify_second_factor(s, info.user.id, code))
    if result.outcome != LoginOutcome.OK:
        if result.outcome == LoginOutcome.LOCKED:
            await db(request).run(lambda s: accounts.end_session(s, old_cookie))
            response = _login_page(
                request,
                status=429,
                username=info.user.username,
                error=text(request, "login.locked", minutes=accounts.LOCKOUT.seconds // 60),
            )
            response.del_cookie(session_cookie_name(config(request)), path="/")
            return response
        return aiohttp_jinja2.render_template(
            "totp.html",
            request,
            {"next": safe_next(data.get("next")), "error": text(request, "totp.wrong")},
            status=401,
        )

    def promote(s: Session) -> accounts.NewSession:  # a new session id after the second factor
        accounts.end_session(s, old_cookie)
        return accounts.start_session(s, info.user.id, mfa_pending=False, **_lifetimes(request))

    new = await db(request).run(promote)
    response = web.HTTPSeeOther(safe_next(data.get("next")))
    _set_session(request, response, new.cookie_value)
    raise response


@routes.post("/logout")
@mfa_step
async def logout(request: web.Request) -> web.StreamResponse:
    cookie = request[COOKIE]
    await db(request).run(lambda s: accounts.end_session(s, cookie))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(session_cookie_name(config(request)), path="/")
    raise response


# --- the account page ------------------------------------------------------------------------------


def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


async def _account_page(
    request: web.Request,
    *,
    error: str | None = None,
    done: str | None = None,
    enrol: str | None = None,
    status: int = 200,
) -> web.Response:
    info = staff(request)
    user = await db(request).run(lambda s: accounts.get_user(s, info.user.id))
    context = {
        "user": user,
        "error": error,
        "done": done,
        "enrol": None,
        "languages": LANGUAGES,
        "native": {code: label(code, "language", code) for code in LANGUAGES},
        "shown_as": display_name(user),
        "display_name_max": accounts.DISPLAY_NAME_MAX_CHARS,
    }
    if enrol is not None:
        uri = accounts.totp_uri(enrol, user.username)
        context["enrol"] = {"secret": enrol, "uri": uri, "qr": _qr(uri)}
    return aiohttp_jinja2.render_template("account.html", request, context, status=status)


@routes.get("/account")
@requires(StaffRole.AGENT)
async def account(request: web.Request) -> web.StreamResponse:
    key = ACCOUNT_DONE.get(request.query.get("done", ""))
    return await _account_page(request, done=None if key is None else text(request, key))


@routes.post("/account/language")
@requires(StaffRole.AGENT)
async def set_language(request: web.Request) -> web.StreamResponse:
    """The signed-in person's own page language (CSRF-checked like every POST); anything but zh or en is
    refused and changes nothing."""
    info, data = staff(request), await form(request)
    chosen = data.get("language", "")
    if chosen not in LANGUAGES:
        return await _account_page(request, error=text(request, "account.bad_language"), status=400)
    await db(request).run(lambda s: accounts.set_language(s, info.user.id, Language(chosen)))
    raise web.HTTPSeeOther("/account?done=language")


@routes.post("/account/display-name")
@requires(StaffRole.AGENT)
async def set_display_name(request: web.Request) -> web.StreamResponse:
    """The name customers see when this person serves them (console/notices.py); empty goes back to the staff
    number. Refused names change nothing."""
    info, data = staff(request), await form(request)
    try:
        await db(request).run(lambda s: accounts.set_display_name(s, info.user.id, data.get("display_name", "")))
    except InvalidInput as error:
        return await _account_page(request, error=describe(language(request), error), status=400)
    raise web.HTTPSeeOther("/account?done=display_name")


@routes.post("/account/password")
@requires(StaffRole.AGENT)
async def change_password(request: web.Request) -> web.StreamResponse:
    info, data = staff(request), await form(request)
    if data.get("new_password") != data.get("repeat_password"):
        return await _account_page(request, error=text(request, "account.passwords_differ"), status=400)
    try:
        await db(request).run(
            lambda s: accounts.change_password(
                s, info.user.id, data.get("current_password", ""), data.get("new_password", "")
            )
        )
    except (InvalidInput, NotAllowed) as error:
        return await _account_page(request, error=describe(language(request), error), status=400)
    raise web.HTTPSeeOther("/login")  # every session of the account ended, this one too


@routes.post("/account/totp/start")
@requires(StaffRole.AGENT)
async def totp_start(request: web.Request) -> web.StreamResponse:
    return await _account_page(request, enrol=accounts.new_totp_secret())


@routes.post("/account/totp/confirm")
@requires(StaffRole.AGENT)
async def totp_confirm(request: web.Request) -> web.StreamResponse:
    info, data = staff(request), await form(request)
    secret = data.get("secret", "")
    try:
        await db(request).run(lambda s: accounts.enable_totp(s, info.user.id, secret, data.get("code", "")))
    except InvalidInput as error:
        return await _account_page(
            request,
            error=describe(language(request), error),
            enrol=secret if accounts.is_totp_secret(secret) else None,
            status=400,
        )
    raise web.HTTPSeeOther("/account?done=totp_on")


@routes.post("/account/totp/disable")
@requires(StaffRole.AGENT)
async def totp_disable(request: web.Request) -> web.StreamResponse:
    info, data = staff(request), await form(request)
    password = data.get("password", "")

    def disable(s: Session) -> None:
        user = s.get_one(StaffUser, info.user.id)
        if not accounts.verify_password(user.password_hash, password):
            raise refusal(NotAllowed, "refusal.password_wrong")
        accounts.disable_totp(s, info.user.id, actor=info.user.username)

    try:
        await db(request).run(disable)
    except NotAllowed as error:
        return await _account_page(request, error=describe(language(request), error), status=400)
    raise web.HTTPSeeOther("/account?done=totp_off")
