"""The dead-letters page: supervisors and admins see what the feedback consumer set aside and why, never the
payload (customer text), with personal data in the reason masked."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import StaffRole
from crm.repository.dead_letters import drop_dead_letter
from tests.console.conftest import demo, demo_engine  # noqa: F401 - fixtures
from tests.console.hostile import PAYLOAD_MARK, add_hostile_case, client, rasa, sign_in  # noqa: F401 - fixtures


async def test_supervisors_list_dead_letters_without_their_payload(
    client: TestClient,  # noqa: F811
    demo: sessionmaker[Session],
) -> None:
    case = add_hostile_case(demo)
    supervisor = await sign_in(client, demo, StaffRole.SUPERVISOR)
    assert 'href="/dead-letters"' in await supervisor.page("/inbox")
    page = await supervisor.page("/dead-letters")
    assert f'data-letter="{case.dead_letter_id}"' in page and "waiting" in page
    assert PAYLOAD_MARK not in page
    assert "13800138000" not in page and "138****8000" in page  # the reason quotes a phone number

    def drop(session: Session) -> None:
        drop_dead_letter(session, case.dead_letter_id, actor="test")

    run_transaction(demo, drop)
    assert f'data-letter="{case.dead_letter_id}"' not in await supervisor.page("/dead-letters")
    assert f'data-letter="{case.dead_letter_id}"' in await supervisor.page("/dead-letters?status=dropped")
    assert f'data-letter="{case.dead_letter_id}"' in await supervisor.page("/dead-letters?status=all")
    assert f'data-letter="{case.dead_letter_id}"' not in await supervisor.page("/dead-letters?status=bogus")


async def test_agents_do_not_see_dead_letters(client: TestClient, demo: sessionmaker[Session]) -> None:  # noqa: F811
    agent = await sign_in(client, demo, StaffRole.AGENT)
    assert 'href="/dead-letters"' not in await agent.page("/inbox")
    assert "This page is for supervisors" in await agent.page("/dead-letters", status=403)
