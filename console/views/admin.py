"""User management, for admins: create accounts, change roles, disable, reset passwords, unlock, turn off
a lost second factor."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import StaffRole
from crm.privacy import utcnow

from console import accounts
from console.i18n import describe, refusal
from console.web import db, form, language, path_id, requires, staff, text

routes = web.RouteTableDef()
DONE = {
    done: f"users.done.{done}"
    for done in ("created", "role", "disabled", "enabled", "password", "unlocked", "totp_off")
}


async def _page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    users = await db(request).run(accounts.list_users)
    done = DONE.get(request.query.get("done", ""))
    return aiohttp_jinja2.render_template(
        "users.html",
        request,
        {
            "users": users,
            "roles": [r.value for r in StaffRole],
            "error": error,
            "done": None if done is None else text(request, done),
            "min_length": accounts.PASSWORD_MIN_LENGTH,
            "now_utc": utcnow(),
        },
        status=status,
    )


@routes.get("/admin/users")
@requires(StaffRole.ADMIN)
async def users(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.post("/admin/users")
@requires(StaffRole.ADMIN)
async def create(request: web.Request) -> web.StreamResponse:
    actor, data = staff(request).user, await form(request)
    try:
        await db(request).run(
            lambda s: accounts.create_user(
                s, data.get("username", ""), data.get("password", ""), data.get("role", ""), actor=actor.username
            )
        )
    except InvalidInput as error:
        return await _page(request, error=describe(language(request), error), status=400)
    raise web.HTTPSeeOther("/admin/users?done=created")


@routes.post("/admin/users/{id}")
@requires(StaffRole.ADMIN)
async def change(request: web.Request) -> web.StreamResponse:
    actor, data = staff(request).user, await form(request)
    user_id = path_id(request)
    action = data.get("action", "")

    def apply(session: Session) -> str:
        if action == "role":
            accounts.set_role(session, user_id, data.get("role", ""), actor=actor)
            return "role"
        if action in ("disable", "enable"):
            accounts.set_disabled(session, user_id, action == "disable", actor=actor)
            return f"{action}d"
        if action == "password":
            accounts.reset_password(session, user_id, data.get("password", ""), actor=actor.username)
            return "password"
        if action == "unlock":
            accounts.unlock(session, user_id, actor=actor.username)
            return "unlocked"
        if action == "totp_off":
            accounts.disable_totp(session, user_id, actor=actor.username)
            return "totp_off"
        raise refusal(InvalidInput, "refusal.unknown_action", action=repr(action[:40]))

    try:
        done = await db(request).run(apply)
    except (InvalidInput, NotAllowed, NotFound, ValueError) as error:
        return await _page(request, error=describe(language(request), error), status=400)
    raise web.HTTPSeeOther(f"/admin/users?done={done}")
