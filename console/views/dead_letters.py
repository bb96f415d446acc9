"""The feedback consumer's dead letters (events it set aside), listed for supervisors and admins: what each
was and why it was refused. Never the payload: it is customer text, read (audited) and replayed or dropped
with `python -m crm dead-letters`."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from crm.models import DeadLetterStatus, StaffRole
from crm.repository.dead_letters import count_dead_letters, list_dead_letters

from console.masking import Masker
from console.web import db, requires

routes = web.RouteTableDef()
SHOWN = 100
STATUSES = [s.value for s in DeadLetterStatus]


@routes.get("/dead-letters")
@requires(StaffRole.SUPERVISOR)
async def dead_letters(request: web.Request) -> web.StreamResponse:
    chosen = request.query.get("status", DeadLetterStatus.PENDING.value)
    if chosen != "all" and chosen not in STATUSES:
        chosen = DeadLetterStatus.PENDING.value
    status = None if chosen == "all" else DeadLetterStatus(chosen)

    def load(session: Any) -> tuple[list[Any], int]:
        return list_dead_letters(session, SHOWN, status=status), count_dead_letters(session)

    letters, pending = await db(request).run(load)
    masker = Masker()  # a refusal's reason may quote the event, so customer text
    rows = [{"l": letter, "reason": masker.text(letter.reason)} for letter in letters]
    return aiohttp_jinja2.render_template(
        "dead_letters.html",
        request,
        {"rows": rows, "pending": pending, "status": chosen, "statuses": [*STATUSES, "all"], "shown": SHOWN},
    )
