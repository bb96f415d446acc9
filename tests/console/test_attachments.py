"""Attachments in the console (aiohttp's test client, the real application, a stand-in Rasa): the internal
endpoints the channels call (Rasa's token, cleaning, refusals, the hourly bound), images served to signed-in
staff only and audited, shown on the hand-off and transcript pages, and an agent sending one."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import Attachment, AttachmentUploader
from crm.repository import find_customer, open_conversation, record_message, request_handoff
from crm.repository.attachments import MAX_PER_HOUR
from console.app import make_app
from tests.console.fake_rasa import TOKEN, FakeRasa
from tests.console.conftest import new_user
from tests.console.test_web import Staff, audit_actions, console_config, signed_in

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KelianPhone"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.5), 3: "E", 4: (121.0, 28.0, 0.2)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 200, 0)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
async def client(demo_engine: Engine, tmp_path: Path, rasa: FakeRasa) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(make_app(console_config(demo_engine, tmp_path, rasa.url))))
    await client.start_server()
    yield client
    await client.close()


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
def web_handoff(demo: sessionmaker[Session]) -> tuple[int, str]:
    """A web conversation of demo-li queued for a person; (hand-off id, sender)."""
    sender = f"li-web-{uuid.uuid4().hex[:8]}"

    def setup(session: Session) -> int:
        li = find_customer(session, "rest", "demo-li")
        assert li is not None
        conversation = open_conversation(session, "web", sender, customer_id=li.id, language="zh")
        record_message(session, conversation, "customer", "我要找人工客服", intent="contact_human_agent")
        handoff = request_handoff(session, conversation, reason="customer asked", sender_id=sender)
        return handoff

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    handoff = run_transaction(demo, setup)
    return handoff, sender


async def hand_over(
    client: TestClient, sender: str, data: bytes, headers: dict[str, str] | None = None
) -> ClientResponse:
    return await client.post(
        "/internal/attachments",
        params={"channel": "web", "sender": sender},
        data=data,
        headers={"Content-Type": "application/octet-stream", **AUTH, **(headers or {})},
    )


async def test_a_channel_hands_over_a_customer_photo_and_staff_see_it_without_exif(
    client: TestClient, demo: sessionmaker[Session], web_handoff: tuple[int, str], rasa: FakeRasa
) -> None:
    handoff, sender = web_handoff
    response = await hand_over(client, sender, jpeg_with_gps())
    assert response.status == 201
    stored = await response.json()
    assert stored["media_type"] == "image/jpeg" and (stored["width"], stored["height"]) == (40, 30)
    file_id = stored["file_id"]
    rasa.events[sender] = [
        {"event": "session_started"},
        {"event": "action", "name": "action_handoff"},
        {"event": "pause"},
        {
            "event": "user",
            "text": "[图片 image]",
            "timestamp": 1767000000.0,
            "metadata": {"kelian_attachment": file_id},
        },
    ]

    # Not signed in: no image.
    anonymous = await client.get(f"/attachments/{file_id}", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/login")

    agent, name = await signed_in(client, demo)
    page = await agent.page(f"/handoffs/{handoff}")
    assert page.count(f'src="/attachments/{file_id}"') == 2  # in the live exchange and in the images panel
    live = await (await client.get(f"/handoffs/{handoff}/live", headers={"Accept": "application/json"})).json()
    assert live["messages"][-1]["image"] == f"/attachments/{file_id}" and live["messages"][-1]["text"] == ""

    served = await client.get(f"/attachments/{file_id}")
    body = await served.read()
    assert served.status == 200 and served.content_type == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline; filename=")
    assert "sandbox" in served.headers["Content-Security-Policy"] and served.headers["Cache-Control"].startswith(
        "private"
    )
    image = Image.open(io.BytesIO(body))
    assert len(image.getexif()) == 0 and b"KelianPhone" not in body
    assert "read_attachment" in audit_actions(demo, name)

    with demo() as session:
        row = session.scalars(select(Attachment).where(Attachment.file_id == file_id)).one()
        assert row.uploader == AttachmentUploader.CUSTOMER and row.customer_id is not None
        conversation_id = row.conversation_id
    transcript = await agent.page(f"/conversations/{conversation_id}")
    assert f'src="/attachments/{file_id}"' in transcript


async def test_the_internal_endpoints_need_rasas_token(client: TestClient, web_handoff: tuple[int, str]) -> None:
    _, sender = web_handoff
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": ""}):
        response = await client.post(
            "/internal/attachments",
            params={"channel": "web", "sender": sender},
            data=jpeg_with_gps(),
            headers={"Content-Type": "application/octet-stream", **headers},
        )
        assert response.status == 401
    bad_channel = await client.post(
        "/internal/attachments", params={"channel": "phone", "sender": sender}, data=b"x", headers=AUTH
    )
    assert bad_channel.status == 400
    fetch = await client.get(f"/internal/attachments/{'0' * 32}", params={"channel": "web", "sender": sender})
    assert fetch.status == 401


@pytest.mark.parametrize(
    "data,reason,status",
    [
        (b"%PDF-1.4 a contract", "not_image", 415),
        (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "too_large", 413),
        (b"", "empty", 400),
    ],
    ids=["pdf", "oversized", "empty"],
)
async def test_what_is_not_an_acceptable_image_is_refused_with_its_reason(
    client: TestClient, demo: sessionmaker[Session], data: bytes, reason: str, status: int
) -> None:
    sender = f"guest-{uuid.uuid4().hex[:16]}"
    response = await hand_over(client, sender, data)
    assert response.status == status and (await response.json()) == {"error": reason}


async def test_a_customer_cannot_flood_a_conversation_with_images(client: TestClient) -> None:
    sender = f"guest-{uuid.uuid4().hex[:16]}"
    photo = jpeg_with_gps()
    for _ in range(MAX_PER_HOUR):
        assert (await hand_over(client, sender, photo)).status == 201
    refused = await hand_over(client, sender, photo)
    assert refused.status == 429 and (await refused.json()) == {"error": "rate_limited"}


async def test_an_agent_sends_an_image_and_the_channel_may_fetch_only_that(
    client: TestClient, demo: sessionmaker[Session], web_handoff: tuple[int, str], rasa: FakeRasa
) -> None:
    handoff, sender = web_handoff
    rasa.events[sender] = [{"event": "session_started"}, {"event": "pause"}]
    agent, name = await signed_in(client, demo, role="agent")
    await agent.page(f"/handoffs/{handoff}")
    headers = {"X-CSRF-Token": agent.csrf, "Content-Type": "application/octet-stream", "Accept": "application/json"}
    not_taken = await client.post(f"/handoffs/{handoff}/image", data=jpeg_with_gps(), headers=headers)
    assert not_taken.status == 409
    assert (await agent.post(f"/handoffs/{handoff}/take")).status == 303
    no_csrf = await client.post(
        f"/handoffs/{handoff}/image", data=jpeg_with_gps(), headers={**headers, "X-CSRF-Token": "x"}
    )
    assert no_csrf.status == 403
    refused = await client.post(f"/handoffs/{handoff}/image", data=b"<html>", headers=headers)
    assert refused.status == 415 and "JPEG, PNG or WebP" in (await refused.json())["error"]

    sent = await client.post(f"/handoffs/{handoff}/image", data=jpeg_with_gps(), headers=headers)
    answer = await sent.json()
    assert sent.status == 200 and answer["ok"] is True
    file_id = answer["file_id"]
    slot = [body for kind, who, _, body in rasa.requests if who == sender and kind == "events"][-1]
    assert json.loads(slot[0]["value"])["image"] == file_id and slot[0]["name"] == "agent_message"
    live = await (await client.get(f"/handoffs/{handoff}/live", headers={"Accept": "application/json"})).json()
    assert live["messages"][-1]["who"] == "agent" and live["messages"][-1]["image"] == f"/attachments/{file_id}"
    assert "handoff_image" in audit_actions(demo, name)

    # The channel fetches it back for this conversation only, and never a customer's upload.
    mine = await client.get(
        f"/internal/attachments/{file_id}", params={"channel": "web", "sender": sender}, headers=AUTH
    )
    assert mine.status == 200 and mine.content_type == "image/jpeg"
    other = await client.get(f"/internal/attachments/{file_id}", params={"channel": "web", "sender": "x"}, headers=AUTH)
    assert other.status == 404
    customer_upload = (await (await hand_over(client, sender, jpeg_with_gps())).json())["file_id"]
    theirs = await client.get(
        f"/internal/attachments/{customer_upload}", params={"channel": "web", "sender": sender}, headers=AUTH
    )
    assert theirs.status == 404


async def test_the_pages_speak_both_languages(
    client: TestClient, demo: sessionmaker[Session], web_handoff: tuple[int, str], rasa: FakeRasa
) -> None:
    handoff, sender = web_handoff
    rasa.events[sender] = [{"event": "session_started"}, {"event": "pause"}]
    await hand_over(client, sender, jpeg_with_gps())
    agent, _ = await signed_in(client, demo)
    english = await agent.page(f"/handoffs/{handoff}")
    assert "Images (1)" in english and "From the customer" in english
    chinese_name = new_user(demo, "agent", language="zh")
    chinese = Staff(client)
    client.session.cookie_jar.clear()
    await chinese.login(chinese_name)
    page = await chinese.page(f"/handoffs/{handoff}")
    assert "图片(1 张)" in page and "客户发送" in page
