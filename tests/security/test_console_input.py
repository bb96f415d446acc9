"""Malformed input to every route of the console (issues #11 and #18): ids that overflow SQLite's integers or
are not numbers, bad query parameters, oversized and odd form fields. The answer is 400, 404 or 413 (a body
over the console's limit), never 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.models import StaffRole
from console.web import FORM_MAX_BYTES
from tests.console.conftest import demo, demo_engine  # noqa: F401 - fixtures
from tests.console.hostile import (  # noqa: F401 - fixtures
    HostileCase,
    Staff,
    add_hostile_case,
    client,
    hostile_tracker,
    rasa,
    repository_untouched,
    sign_in,
)
from tests.console.fake_rasa import FakeRasa

BAD_IDS = [
    "99999999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "1.5",
    "abc",
    "１２",
    "٣",
    "1_0",
    " 1",
    "0x10",
    "1e3",
    "9" * 5000,
    "%00",
    "%E2%80%AE1",
    "NaN",
]
BAD_QUERIES = [
    "days=99999999999999999999",
    "days=abc",
    "days=-7",
    "page=-1",
    "page=99999999999999999999999",
    "page=x",
    "page=" + "9" * 5000,
    "from=2025-13-45",
    "from=99999-01-01",
    "to=0000-00-00",
    "from=2025-02-01&to=2025-01-01",
    "customer=99999999999999999999999",
    "customer=-5",
    "customer=web:",
    "customer=%00",
    "customer=email:x",
    "q=" + "x" * 20000,
    "q=%00%01%02",
    "q=%ff%fe",
    "channel=bogus",
    "language=xx",
    "outcome=%3Cscript%3E",
    "intent=" + "i" * 5000,
    "low_confidence=maybe",
    "fragment=1",
    "fixed=abc",
    "fixed=99999999999999999999",
    "done=zzz",
    "segment=bogus",
    "segment=" + "s" * 3000,
    "next=%0d%0aSet-Cookie:x=1",
    "q=a&q=b&page=1&page=2",
]


def routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in client.app.router.routes():
        if "directory" in route.resource.get_info() or route.method == "HEAD":
            continue
        found.append((route.method, route.resource.canonical))
    return sorted(found, key=lambda r: r == ("POST", "/logout"))


def fill(template: str, case: HostileCase, value: str | None = None) -> str:
    ids = {
        "/handoffs/": case.handoff_id,
        "/conversations/": case.conversation_id,
        "/customers/": case.customer_id,
        "/messages/": case.message_id,
        "/corrections/": 987654321,
        "/admin/users/": 1,
    }
    for prefix, known in ids.items():
        if template.startswith(prefix):
            template = template.replace("{id}", value if value is not None else str(known))
    template = template.replace("{reply}", value or "987654321")  # a quick reply (agent workspace)
    template = template.replace("{key}", value or "no-such-experiment")
    return template.replace("{lang}", value or "en").replace("{name}", value or "intents")


@pytest.fixture
def case(demo: sessionmaker[Session], rasa: FakeRasa) -> HostileCase:  # noqa: F811
    found = add_hostile_case(demo)
    hostile_tracker(rasa, found.sender)
    return found


async def _send(staff: Staff, method: str, path: str, data: dict[str, str] | None = None) -> ClientResponse:
    if method == "GET":
        return await staff.client.get(path, allow_redirects=False)
    return await staff.post(path, data)


async def test_ids_that_are_not_ids_are_not_found(
    client: TestClient,
    demo: sessionmaker[Session],  # noqa: F811
    case: HostileCase,
) -> None:
    """Every route with a path parameter, as an admin, with ids too big for SQLite, negative, fractional,
    non-ASCII digits or not numbers at all: 404 (or 400), never 500.

    Failed before the fix: /handoffs/99999999999999999999999 answered 500 (OverflowError in SQLite's driver),
    "１２" or "1_0" were taken as the numbers 12 and 10, and the users page answered its errors with 200."""
    admin = await sign_in(client, demo, StaffRole.ADMIN)
    with_parameters = [(m, t) for m, t in routes(client) if "{" in t]
    assert len(with_parameters) >= 10
    for method, template in with_parameters:
        for value in BAD_IDS:
            path = fill(template, case, quote(value, safe="%") if "%" in value else quote(value))
            response = await _send(admin, method, path)
            assert response.status in (400, 404), f"{method} {path[:80]} -> {response.status}"


async def test_bad_query_parameters_on_every_route(
    client: TestClient,
    demo: sessionmaker[Session],  # noqa: F811
    case: HostileCase,
) -> None:
    """Every GET route (ids of a real case, so the handlers run to the end), as an admin, with malformed,
    huge, repeated and control-character query parameters: never 500.

    Failed before the fix: the intents chart answered 500 for an intent with `$…$` (matplotlib's mathtext)."""
    admin = await sign_in(client, demo, StaffRole.ADMIN)
    for method, template in routes(client):
        if method != "GET" or template == "/login":
            continue
        for query in BAD_QUERIES:
            path = f"{fill(template, case)}?{query}"
            response = await admin.client.get(path, allow_redirects=False)
            assert response.status < 500, f"GET {path[:100]} -> {response.status}: {(await response.text())[:200]}"


ODD_FIELDS = {
    "username": "x" * 5000,
    "password": "p" * 5000,
    "role": "emperor",
    "action": "%00",
    "text": "t" * 30000,
    "intent": "<script>",
    "entity_value_0": "v" * 5000,
    "entity_type_0": "nope",
    "code": "１２３４５６",
    "secret": "A" * 5000,
    "current_password": "",
    "new_password": "n" * 300,
    "repeat_password": "n" * 300,
    "back": "//evil.example",
    "next": "/\t/evil.example",
    "conversation_id": "99999999999999999999",
}


async def test_odd_and_oversized_forms_on_every_post_route(
    client: TestClient,
    demo: sessionmaker[Session],  # noqa: F811
    case: HostileCase,
) -> None:
    """Every POST route, as an admin: odd values in every field the console knows are 4xx or a redirect;
    a form over FORM_MAX_BYTES (64 KiB) is 413 before any handler reads it. Run against ids that name
    nothing and against the hostile case's (so the handlers get past their look-ups).

    Failed before the fix: the limit was 256 KiB, so a 100 KiB form was read and parsed; a 5,000-character
    TOTP secret sent back by the enrolment form answered 500 (its QR code overflowed), and a reply too long
    was answered 502 as if Rasa had failed."""
    admin = await sign_in(client, demo, StaffRole.ADMIN)
    for method, template in routes(client):
        if method != "POST" or template == "/logout":
            continue
        if template.startswith("/internal/"):  # the Rasa server's (attachments): its API token first, or 401
            response = await admin.post(template, {"text": "x" * (FORM_MAX_BYTES + 1)})
            assert response.status == 401, f"POST {template} -> {response.status}"
            continue
        for path in (fill(template, case, "987654321"), fill(template, case)):  # nothing there; the hostile case
            response = await admin.post(path, ODD_FIELDS)
            assert response.status < 500, f"POST {path} -> {response.status}: {(await response.text())[:200]}"
        big = await admin.post(path, {"text": "x" * (FORM_MAX_BYTES + 1)})
        assert big.status == 413, f"POST {path} -> {big.status}"
    reply = await admin.post(f"/handoffs/{case.handoff_id}/reply", {"text": "x" * 100_000})
    assert reply.status == 413
    assert (await admin.post("/logout", {"junk": "y" * 100})).status == 303
