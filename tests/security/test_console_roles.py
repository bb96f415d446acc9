"""Every route of the console against every role (issues #11 and #18): the table below is the access rule of
each route, and the test enumerates the application's router, so a route added without an entry here fails,
and so does a route whose handler carries no rule (the console refuses to start with one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm.models import StaffRole
from console.app import ConsoleError, make_app
from console.web import requires
from tests.console.conftest import demo, demo_engine  # noqa: F401 - fixtures
from tests.console.hostile import Staff, client, rasa, repository_untouched, sign_in  # noqa: F401 - fixtures
from tests.console.test_web import console_config

PUBLIC, SIGNING_IN = "public", "signing-in"  # anyone; a password-checked session waiting for its TOTP code
INTERNAL = "internal"  # Kelian's own Rasa server with its API token (attachments), never a browser session
AGENT, SUPERVISOR, ADMIN = StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN
RULES: dict[tuple[str, str], str | StaffRole] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/login/totp"): SIGNING_IN,
    ("POST", "/login/totp"): SIGNING_IN,
    ("POST", "/logout"): SIGNING_IN,
    ("GET", "/account"): AGENT,
    ("POST", "/account/password"): AGENT,
    ("POST", "/account/totp/start"): AGENT,
    ("POST", "/account/totp/confirm"): AGENT,
    ("POST", "/account/totp/disable"): AGENT,
    ("POST", "/account/language"): AGENT,
    ("POST", "/account/display-name"): AGENT,
    ("GET", "/"): AGENT,
    ("GET", "/inbox"): AGENT,
    ("POST", "/handoffs/{id}/take"): AGENT,
    ("GET", "/handoffs/{id}"): AGENT,
    ("POST", "/handoffs/{id}"): AGENT,  # reveal: every role may, audited
    ("GET", "/handoffs/{id}/live"): AGENT,
    ("POST", "/handoffs/{id}/reply"): AGENT,
    ("POST", "/handoffs/{id}/close"): AGENT,
    ("POST", "/handoffs/{id}/orders/{number}/{action}"): AGENT,  # the agent holding it or a supervisor: 409 else
    ("GET", "/conversations"): AGENT,
    ("GET", "/conversations/{id}"): AGENT,
    ("POST", "/conversations/{id}"): AGENT,
    ("POST", "/messages/{id}/correction"): AGENT,
    ("POST", "/corrections/{id}/delete"): AGENT,
    ("GET", "/corrections"): AGENT,
    ("GET", "/corrections/export/{lang}.yml"): SUPERVISOR,
    ("GET", "/customers"): AGENT,
    ("GET", "/customers/{id}"): AGENT,
    ("POST", "/customers/{id}"): AGENT,
    ("GET", "/dashboard"): SUPERVISOR,
    ("GET", "/dashboard/charts/{name}.svg"): SUPERVISOR,
    ("GET", "/dashboard/service.csv"): SUPERVISOR,
    ("GET", "/dead-letters"): SUPERVISOR,
    ("GET", "/experiments"): SUPERVISOR,
    ("POST", "/experiments"): SUPERVISOR,
    ("GET", "/experiments/{key}"): SUPERVISOR,
    ("GET", "/experiments/{key}/report.json"): SUPERVISOR,
    ("GET", "/experiments/{key}/charts/{name}.svg"): SUPERVISOR,
    ("POST", "/experiments/{key}/start"): SUPERVISOR,
    ("POST", "/experiments/{key}/stop"): SUPERVISOR,
    # the Model page: retraining and activating a model (console/views/model.py)
    ("GET", "/model"): SUPERVISOR,
    ("GET", "/model/status"): SUPERVISOR,
    ("POST", "/model/retrain"): SUPERVISOR,
    ("POST", "/model/activate"): SUPERVISOR,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{id}"): ADMIN,
    # agent workspace (#16 item 2): agents use quick replies, notes and tags; supervisors manage the library
    ("GET", "/quick-replies"): AGENT,
    ("POST", "/quick-replies"): SUPERVISOR,
    ("GET", "/quick-replies/{id}"): SUPERVISOR,
    ("POST", "/quick-replies/{id}"): SUPERVISOR,
    ("POST", "/quick-replies/{id}/delete"): SUPERVISOR,
    ("POST", "/handoffs/{id}/quick-replies/{reply}"): AGENT,
    ("POST", "/conversations/{id}/notes"): AGENT,
    ("POST", "/customers/{id}/notes"): AGENT,
    ("POST", "/conversations/{id}/notes/{note}"): AGENT,  # the author's own note; a supervisor's any note
    ("POST", "/customers/{id}/notes/{note}"): AGENT,
    ("POST", "/conversations/{id}/notes/{note}/delete"): AGENT,
    ("POST", "/customers/{id}/notes/{note}/delete"): AGENT,
    ("POST", "/conversations/{id}/tags"): AGENT,
    ("POST", "/customers/{id}/tags"): AGENT,
    ("POST", "/conversations/{id}/tags/remove"): AGENT,
    ("POST", "/customers/{id}/tags/remove"): AGENT,
    # queue operations (#16 item 3): everyone sets their own presence and cap; supervisors assign requests
    ("POST", "/presence"): AGENT,
    ("POST", "/presence/heartbeat"): AGENT,
    ("POST", "/presence/cap"): AGENT,
    ("POST", "/handoffs/{id}/assign"): SUPERVISOR,
    # tickets (#16 item 7): every agent; assigning to another and working someone else's ticket is a
    # supervisor's (the handler answers 409 to an agent)
    ("GET", "/tickets"): AGENT,
    ("GET", "/tickets/{number}"): AGENT,
    ("POST", "/tickets/{number}/assign"): AGENT,
    ("POST", "/tickets/{number}/comment"): AGENT,
    ("POST", "/tickets/{number}/status"): AGENT,
    ("POST", "/tickets/{number}/close"): AGENT,
    # attachments (#16 item 6): images for staff (audited); the serving agent sends one; the channels hand over
    ("GET", "/attachments/{file_id}"): AGENT,
    ("POST", "/handoffs/{id}/image"): AGENT,  # the agent holding it or a supervisor: 409 else
    ("POST", "/internal/attachments"): INTERNAL,
    ("GET", "/internal/attachments/{file_id}"): INTERNAL,
}
RANK = {AGENT: 1, SUPERVISOR: 2, ADMIN: 3}
# Values that name nothing, so a permitted request changes nothing (404 or 400) and a refused one says 403.
PLACEHOLDERS = {"{id}": "987654321", "{lang}": "xx", "{name}": "nothing", "{reply}": "987654321", "{key}": "nothing"}
PLACEHOLDERS.update({"{number}": "KL00000000", "{action}": "cancel"})  # an order and one of its actions
PLACEHOLDERS["{file_id}"] = "0" * 32  # an attachment id that names nothing


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route the application serves, static files and HEAD (GET's twin) aside."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if "directory" in info or route.method == "HEAD":
            continue
        found.add((route.method, route.resource.canonical))
    return found


@pytest.fixture
def app(demo_engine: Engine, tmp_path: Path) -> web.Application:  # noqa: F811
    return make_app(console_config(demo_engine, tmp_path, "http://127.0.0.1:9"))


def test_every_route_has_a_rule_in_this_table(app: web.Application) -> None:
    """A new route fails here until its access rule is written down (and checked below).

    Passed before this change too, with the table as it was; it is what makes the next test complete."""
    served = app_routes(app)
    assert served == set(RULES), {"without a rule here": served - set(RULES), "gone": set(RULES) - served}


def test_a_route_without_an_access_rule_stops_the_console(
    demo_engine: Engine,
    tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deny by default: a handler with neither `public`, `mfa_step` nor `requires(role)` is a mistake the
    console refuses to start with, rather than a page open to every signed-in role.

    Failed before the fix: such a route was silently open to agents."""
    from console.views import handoffs

    extra = web.RouteTableDef()

    @extra.get("/forgotten")
    async def forgotten(request: web.Request) -> web.Response:
        return web.Response(text="open")

    monkeypatch.setattr(handoffs, "routes", [*handoffs.routes, *extra])
    with pytest.raises(ConsoleError, match="/forgotten"):
        make_app(console_config(demo_engine, tmp_path, "http://127.0.0.1:9"))
    assert requires(AGENT)(forgotten) is forgotten and forgotten.min_role == AGENT


def _path(template: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        template = template.replace(placeholder, value)
    return template


async def _request(staff: Staff, method: str, path: str) -> tuple[int, str, str]:
    if method == "GET":
        response = await staff.client.get(path, allow_redirects=False)
    else:
        response = await staff.post(path)
    return response.status, response.headers.get("Location", ""), await response.text()


@pytest.mark.parametrize("role", [AGENT, SUPERVISOR, ADMIN])
async def test_each_role_reaches_exactly_its_routes(
    client: TestClient,
    demo: sessionmaker[Session],  # noqa: F811
    role: StaffRole,
) -> None:
    """Every route, as each role, with the session's CSRF token (so the role rule is what decides): below
    the route's role 403, at or above it anything but 403 or a trip to the sign-in page.

    Passed before this change too: the existing routes had the right rules."""
    staff = await sign_in(client, demo, role)
    served = app_routes(client.app)
    for method, template in sorted(served, key=lambda r: r == ("POST", "/logout")):  # signing out last
        rule = RULES[(method, template)]
        status, location, text = await _request(staff, method, _path(template))
        where = f"{role.value}: {method} {template} -> {status} {location} {text[:300]}"
        if rule == INTERNAL:  # a staff session is not the Rasa server's token
            assert status == 401, where
        elif rule in (PUBLIC, SIGNING_IN) or RANK[rule] <= RANK[role]:  # type: ignore[index]
            assert status != 403 and not location.startswith("/login?"), where
        else:
            assert status == 403 and "This page is for" in text, where


async def test_nobody_signed_in_reaches_only_the_public_routes(client: TestClient) -> None:  # noqa: F811
    """Without a session: GET pages send to the sign-in page, JSON and POSTs are refused.

    Passed before this change too."""
    for method, template in app_routes(client.app):
        path = _path(template)
        if method == "GET":
            response = await client.get(path, allow_redirects=False)
        else:
            response = await client.post(path, data={}, allow_redirects=False)
        where = f"{method} {template} -> {response.status}"
        if RULES[(method, template)] == INTERNAL:
            assert response.status == 401, where  # no Rasa API token
            continue
        if RULES[(method, template)] == PUBLIC:
            assert response.status == (200 if method == "GET" else 403), where  # 403: no sign-in form token
            continue
        if method == "GET":
            assert response.status == 303 and response.headers["Location"].startswith("/login"), where
        else:
            assert response.status in (401, 403), where


async def test_a_half_signed_in_session_reaches_only_the_code_form(
    client: TestClient,  # noqa: F811
    demo: sessionmaker[Session],
) -> None:
    """A session past the password but not the TOTP code is sent to the code form from every page.

    Passed before this change too."""
    import pyotp

    from console import accounts
    from crm.db import transaction
    from tests.console.conftest import new_user

    name = new_user(demo)
    secret = pyotp.random_base32()
    with transaction(demo) as session:
        user = session.scalar(accounts.select(accounts.StaffUser).where(accounts.StaffUser.username == name))
        user.totp_secret = secret
    staff = Staff(client)
    response = await staff.login(name)
    assert response.headers["Location"].startswith("/login/totp")
    await staff.page("/login/totp")
    for method, template in app_routes(client.app):
        rule = RULES[(method, template)]
        if rule in (PUBLIC, SIGNING_IN, INTERNAL):
            continue
        status, location, _ = await _request(staff, method, _path(template))
        assert status == 303 and location == "/login/totp", f"{method} {template} -> {status} {location}"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../admin/users",
        "/static/%2e%2e/admin/users",
        "/static/..%2fadmin/users",
        "/static//admin/users",
        "/static/%2e%2e%2fadmin%2fusers",
        "/admin/users/",
        "/ADMIN/users",
        "/admin/users;x",
        "/admin/users%00",
    ],
)
async def test_static_paths_and_odd_spellings_open_no_page(client: TestClient, path: str) -> None:  # noqa: F811
    """Static files are served without a session; a path dressed as one (dot segments, encoded slashes), or
    an odd spelling of a page, still meets the page's rule or no page at all.

    Passed before this change too (yarl removes dot segments before the router and the middlewares see
    the path)."""
    response = await client.get(path, allow_redirects=False)
    assert response.status in (303, 404), (path, response.status)
    if response.status == 303:
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
