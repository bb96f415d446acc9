"""What every page of the console shares: the application's state, database calls off the event loop, the
security middlewares (headers, sessions, CSRF, sign-in and roles) and the decorators handlers carry.

Security measures, in the order a request meets them:
- every response: a strict Content-Security-Policy (own origin only, no inline script), no framing,
  no MIME sniffing, no referrer leaving the site, no loading by other sites, and `Cache-Control: no-store`
  (pages hold personal data);
- a request body over FORM_MAX_BYTES is refused (413) before anything reads it;
- the session cookie (`__Host-` prefixed, Secure, HttpOnly, SameSite=Strict; plain-http development can
  turn Secure off) names a server-side session row by a random 256-bit value;
- every state-changing request (POST) must come from the console's own origin (Origin header) and carry the
  session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`); the sign-in form, which has no
  session yet, carries an HMAC of a random pre-login cookie instead;
- then the page's rule: public, the TOTP step of signing in, or signed in with at least a given role; a
  route with no rule is refused (and `unruled_routes` keeps the console from starting with one). An
  `internal` route (attachments handed over by Kelian's own Rasa server) has no session and no CSRF token:
  it checks the Rasa API token itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.errors import CRMError, InvalidInput, NotAllowed, NotFound
from crm.models import StaffRole

from console.accounts import SessionInfo, csrf_matches, load_session
from console.config import ConsoleConfig
from console.i18n import choose_language, describe, label, translate

log = logging.getLogger(__name__)
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOGIN_COOKIE = "kelian_console_login"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The largest request body the console reads (its forms; a reply is at most 2,000 characters): aiohttp answers
# 413 to more before a handler parses it.
FORM_MAX_BYTES = 64 * 1024


class Database:
    """CRM sessions for handlers: each call is one transaction in a worker thread, so a slow query never
    stalls the event loop (and the other staff members' pages).

    A call SQLite refuses as "database is locked" is run again (`crm.db.run_transaction`); the work
    functions only touch the database, so running one again is safe."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    async def run(self, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._run, work)

    def _run(self, work: Callable[[Session], T]) -> T:
        return run_transaction(self.factory, work)


CONFIG = web.AppKey("config", ConsoleConfig)
SESSION: web.RequestKey[SessionInfo | None] = web.RequestKey("session")
COOKIE = web.RequestKey("cookie", str)
DB = web.AppKey("db", Database)
SECRET = web.AppKey("secret", bytes)


def config(request: web.Request) -> ConsoleConfig:
    return request.app[CONFIG]


def db(request: web.Request) -> Database:
    return request.app[DB]


def session_cookie_name(cfg: ConsoleConfig) -> str:
    return "__Host-kelian_console" if cfg.secure_cookies else "kelian_console"


def staff(request: web.Request) -> SessionInfo:
    info = request.get(SESSION)
    if info is None:
        raise web.HTTPUnauthorized()
    return info


# --- handler rules --------------------------------------------------------------------------------


def public(handler: Handler) -> Handler:
    handler.public = True  # type: ignore[attr-defined]
    return handler


def mfa_step(handler: Handler) -> Handler:
    """Reachable with a session that has passed the password but not yet the TOTP code."""
    handler.mfa_step = True  # type: ignore[attr-defined]
    return handler


def internal(handler: Handler) -> Handler:
    """Called by Kelian's own Rasa server, not by a browser: no session or CSRF token; the handler checks the
    Rasa API token itself (attachments handed over by the channels, console/attachments.py)."""
    handler.internal = True  # type: ignore[attr-defined]
    return handler


def requires(role: StaffRole | str) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.min_role = StaffRole(role)  # type: ignore[attr-defined]
        return handler

    return mark


def unruled_routes(app: web.Application) -> list[str]:
    """Routes whose handler says neither who may use it (`requires`) nor that it is `public` or the `mfa_step`:
    deny by default, so a page added without a rule is a mistake found at start-up, not a page open to all."""
    missing = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or "directory" in resource.get_info():  # static files
            continue
        if not any(getattr(route.handler, rule, None) for rule in ("public", "mfa_step", "min_role", "internal")):
            missing.append(f"{route.method} {resource.canonical}")
    return missing


# --- path parameters ------------------------------------------------------------------------------

# A row id as the console writes it: ASCII digits, small enough for SQLite's (and PostgreSQL's) 64-bit integers.
# int() alone would take "１２", "1_0" and " 1", and a bigger number would overflow in the database driver (500).
ROW_ID = re.compile(r"[0-9]{1,18}")


def path_id(request: web.Request, name: str = "id") -> int:
    """The row id in the URL; anything else is a page that does not exist (404)."""
    value = request.match_info[name]
    if not ROW_ID.fullmatch(value):
        raise web.HTTPNotFound()
    return int(value)


# --- the login form's CSRF token -----------------------------------------------------------------


def login_token(request: web.Request, cookie_value: str) -> str:
    return hmac.new(request.app[SECRET], cookie_value.encode(), hashlib.sha256).hexdigest()


def login_form_token(request: web.Request) -> tuple[str, str | None]:
    """The token the sign-in form carries, and a new pre-login cookie value to set (None: the browser has one)."""
    value = request.cookies.get(LOGIN_COOKIE)
    fresh = None
    if not value or len(value) > 100:
        value = fresh = secrets.token_urlsafe(32)
    return login_token(request, value), fresh


def set_login_cookie(request: web.Request, response: web.StreamResponse, value: str | None) -> None:
    if value is not None:
        response.set_cookie(
            LOGIN_COOKIE,
            value,
            httponly=True,
            samesite="Strict",
            path="/login",
            secure=config(request).secure_cookies,
            max_age=3600,
        )


# --- middlewares ----------------------------------------------------------------------------------


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        _headers(request, error)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    # No other site may load a console response (a chart, the live JSON) or keep a handle on its window.
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # Static files carry a version in their URL; everything else may hold personal data.
    static = request.path.startswith("/static/") and response.status == 200
    response.headers.setdefault("Cache-Control", "public, max-age=604800" if static else "no-store")


def language(request: web.Request) -> str:
    """The language of the page: the signed-in account's (even half signed in: the TOTP step), else the
    browser's Accept-Language (the sign-in page, before anyone is known)."""
    info = request.get(SESSION)
    if info is not None:
        return info.user.language.value
    return choose_language(request.headers.get("Accept-Language"))


def text(request: web.Request, key: str, **values: Any) -> str:
    """A message of the catalogue in the page's language, for what a handler says (notices, errors)."""
    return translate(language(request), key, **values)


def base_context(request: web.Request) -> dict[str, Any]:
    """What every template gets: the request, who is signed in, the CSRF token for forms, the time zone and
    the page's language."""
    info = request.get(SESSION)
    return {
        "request": request,
        "session": info,
        "user": None if info is None or info.mfa_pending else info.user,
        "csrf_token": "" if info is None else info.csrf_token,
        "tz_name": request.app[CONFIG].timezone,
        "lang": language(request),
    }


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    """Rendered by the middlewares, outside aiohttp_jinja2's context processors: the base context is added here."""
    return aiohttp_jinja2.render_template(
        "error.html", request, {**base_context(request), "status": status, "message": message}, status=status
    )


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CRM errors become pages that say what is wrong; anything unexpected is logged and answered 500
    without details."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except NotFound as error:
        return _error_page(request, 404, describe(language(request), error))
    except NotAllowed as error:
        return _error_page(request, 409, describe(language(request), error))
    except InvalidInput as error:
        return _error_page(request, 400, describe(language(request), error))
    except CRMError as error:
        log.exception("CRM error on %s %s", request.method, request.path)
        return _error_page(request, 500, text(request, "error.crm", kind=type(error).__name__))
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error_page(request, 500, text(request, "error.unexpected"))


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    cfg = config(request)
    value = request.cookies.get(session_cookie_name(cfg))
    request[SESSION] = None
    if value and len(value) < 100:
        request[COOKIE] = value
        request[SESSION] = await db(request).run(
            lambda s: load_session(
                s, value, absolute=timedelta(hours=cfg.absolute_hours), idle=timedelta(minutes=cfg.idle_minutes)
            )
        )
    return await handler(request)


def _rule(request: web.Request, name: str) -> Any:
    """A rule the route's handler carries (the `handler` a middleware gets is the next middleware)."""
    return getattr(request.match_info.handler, name, None)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # non-browser clients send none; the CSRF token still has to match
    return urlsplit(origin).netloc == request.host


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in UNSAFE_METHODS or _rule(request, "internal"):
        return await handler(request)
    if not _same_origin(request):
        raise web.HTTPForbidden(text=text(request, "error.cross_origin"))
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        field = (await request.post()).get("csrf_token")
        given = field if isinstance(field, str) else None
    info = request[SESSION]
    if info is not None and csrf_matches(info.csrf_token, given):
        return await handler(request)
    cookie = request.cookies.get(LOGIN_COOKIE)
    if _rule(request, "public") and cookie and csrf_matches(login_token(request, cookie), given):
        return await handler(request)
    raise web.HTTPForbidden(text=text(request, "error.csrf"))


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _rule(request, "public") or _rule(request, "internal") or request.path.startswith("/static/"):
        return await handler(request)
    info = request[SESSION]
    if info is None:
        if request.method == "GET" and "application/json" not in request.headers.get("Accept", ""):
            target = request.rel_url.raw_path_qs
            raise web.HTTPSeeOther(f"/login?next={quote(target, safe='/?=')}" if request.path != "/" else "/login")
        raise web.HTTPUnauthorized(text=text(request, "error.sign_in_first"))
    if _rule(request, "mfa_step"):  # any session, half (password only) or full
        return await handler(request)
    if info.mfa_pending:
        raise web.HTTPSeeOther("/login/totp")
    if request.match_info.http_exception is not None:
        return await handler(request)  # no such page (404) or method (405): the handler says so
    role = _rule(request, "min_role")
    if role is None:  # `check_rules` keeps the console from starting with such a route
        return _error_page(request, 403, text(request, "error.no_rule"))
    if not info.user.has_role(role):
        return _error_page(request, 403, text(request, "error.role", role=label(language(request), "role", role)))
    return await handler(request)


# A path of the console: "/" then no second "/" or "\\", and only visible ASCII (a percent-encoded query is
# fine). Browsers drop tabs and newlines from URLs and read "\\" as "/", so "/\t/evil.example" and
# "/\\evil.example" would leave the site; any whitespace or control character is refused outright.
LOCAL_PATH = re.compile(r"/(?![/\\])[!-~]*")
# What a browser or a proxy may decode before using the path: encoded slashes, backslashes, controls, spaces.
ENCODED_ESCAPES = re.compile(r"%(?:2f|5c|[01][0-9a-f]|7f|20)", re.IGNORECASE)
NEXT_MAX_CHARS = 2000


def safe_next(target: str | None) -> str:
    """A redirect target inside the console only; anything else (absolute or protocol-relative URLs,
    backslashes, whitespace or control characters, encoded ones too) becomes "/"."""
    if (
        not target
        or len(target) > NEXT_MAX_CHARS
        or not LOCAL_PATH.fullmatch(target)
        or "\\" in target
        or ENCODED_ESCAPES.search(urlsplit(target).path)
    ):
        return "/"
    return target


async def form(request: web.Request) -> dict[str, Any]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}
